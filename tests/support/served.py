"""`q2c serve` in a subprocess on a free loopback port, for the tests that need the real HTTP
stack (uvicorn's protocol, limits before the app, latency on the event loop)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

__all__ = ["Served", "free_port", "q2c_serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    pid: int


@contextlib.contextmanager
def q2c_serve(*options: str, quiet: bool = False) -> Iterator[Served]:
    """Start ``q2c serve --port P *options``, wait (30 s at most) until the ERP's spec answers,
    and stop the server when the block ends. ``quiet`` drops its output (else it is shown if it
    exits early)."""
    port = free_port()
    command = [sys.executable, "-m", "sim.app.cli", "serve", "--port", str(port), *options]
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                said = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"q2c serve exited: {said}")
            try:
                if httpx.get(f"{base}/erp/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "q2c serve did not start in 30 s"
            time.sleep(0.1)
        yield Served(base, port, process.pid)
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout:
            process.stdout.close()
