"""``q2c design serve DESIGN`` as its own process on a free loopback port, started and
stopped by the test that needs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.paths import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServedDesign:
    """``with ServedDesign("reference") as url:`` the design's base URL, its process ended
    on exit; its output is in ``log``."""

    def __init__(self, design: str, *options: str) -> None:
        self.design = design
        self.options = options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"q2c-design-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        command = [
            sys.executable,
            "-c",
            "from sim.app.cli import app; app()",
            "design",
            "serve",
            self.design,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        for option in self.options:
            command += ["--option", option]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                httpx.get(self.url + "/status", timeout=1.0)
                return self.url
            except httpx.TransportError:
                assert time.monotonic() < deadline, "q2c design serve did not start"
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.unlink(missing_ok=True)
