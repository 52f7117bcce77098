"""Load generators for ``serve_vs_prism.py``: wrk (preferred) or a small asyncio fallback.

Both keep ``connections`` HTTP/1.1 keep-alive connections busy for ``duration`` seconds with one
request (method, path, headers, body) and report requests/s and the 99th-percentile latency.
wrk is a C program with its own Lua hooks; its ``done`` hook prints the numbers as JSON so we
never parse its human table. The fallback is Python: it measures the same thing but spends far
more CPU per request, so its absolute numbers are lower (the ratio between servers still holds
while the server, not the client, is the bottleneck). Either runs pinned to one CPU (taskset).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Load", "Result", "find_wrk", "run_load"]

# wrk's Lua: one fixed request (wrk.format), numbers as JSON from ``done``.
_LUA = """
local method, path, body = %(method)s, %(path)s, %(body)s
local headers = %(headers)s
request = function() return wrk.format(method, path, headers, body) end
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "p99_us": %%d, "p50_us": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(99), latency:percentile(50), bad))
end
"""


@dataclass(frozen=True)
class Load:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True)
class Result:
    rps: float
    p99_ms: float
    p50_ms: float
    errors: int  # non-2xx answers and socket errors: a run with any is not a fair number


def _lua_str(text: str | None) -> str:
    return "nil" if text is None else json.dumps(text)  # JSON strings are valid Lua strings


def find_wrk() -> tuple[str | None, str]:
    """wrk's path, installing the Debian package if we may; else None and why."""
    found = shutil.which("wrk")
    if found:
        return found, "wrk"
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
        if found:
            return found, "wrk (installed with apt-get)"
        return None, "wrk is not installed and 'apt-get install wrk' failed"
    return None, "wrk is not installed (Debian package 'wrk') and we are not root to install it"


def run_load(
    wrk: str | None,
    base: str,
    load: Load,
    *,
    duration: float,
    connections: int,
    cpu: int | None,
    stop_after: int = 0,
) -> Result:
    """One load run. ``stop_after`` (> 0) ends it after about that many answers (the Python
    generator only: wrk always runs its whole duration)."""
    if wrk is None or stop_after:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        return asyncio.run(_python_load(base, load, duration, connections, stop_after))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _LUA
            % {
                "method": _lua_str(load.method),
                "path": _lua_str(load.path),
                "body": _lua_str(load.body),
                "headers": "{"
                + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in load.headers.items())
                + "}",
            }
        )
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    command = [
        *pin, wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s",
        "--timeout", "10s", "-s", script.name, base,
    ]  # fmt: skip
    try:
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        Path(script.name).unlink()
    numbers = json.loads(out.strip().splitlines()[-1])
    return Result(
        rps=numbers["requests"] / (numbers["duration_us"] / 1e6),
        p99_ms=numbers["p99_us"] / 1000,
        p50_ms=numbers["p50_us"] / 1000,
        errors=numbers["errors"],
    )


async def _python_load(
    base: str, load: Load, duration: float, connections: int, stop_after: int
) -> Result:
    host, _, port = base.removeprefix("http://").partition(":")
    body = (load.body or "").encode()
    head = f"{load.method} {load.path} HTTP/1.1\r\nhost: {host}:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in load.headers.items())
    raw = (head + f"content-length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        while time.perf_counter() < deadline and not (stop_after and len(latencies) >= stop_after):
            start = time.perf_counter()
            writer.write(raw)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not status_line.split()[1].startswith(b"2"):
                errors += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        rps=len(latencies) / elapsed,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        p50_ms=latencies[len(latencies) // 2] * 1000 if latencies else 0.0,
        errors=errors,
    )
