"""The load generators of ``make bench-serve`` count what they should: answers, non-2xx ones,
and a stop after N (how the benchmark posts its 40k records). No timing is asserted."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.benchmarks.loadgen import Load, run_load


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the generators use it
    seen: ClassVar[list[tuple[str, str, str, bytes]]] = []

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        _Handler.seen.append((self.command, self.path, self.headers.get("authorization", ""), body))
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_python_generator_sends_the_request_and_stops_after_n(base: str) -> None:
    load = Load("POST", "/things?x=1", {"Authorization": "Bearer t"}, '{"a": 1}')
    result = run_load(None, base, load, duration=30, connections=2, cpu=None, stop_after=25)
    assert 25 <= len(_Handler.seen) <= 27  # each connection may have one more in flight
    assert set(_Handler.seen) == {("POST", "/things?x=1", "Bearer t", b'{"a": 1}')}
    assert result.errors == 0 and result.rps > 0 and result.p99_ms >= result.p50_ms > 0


def test_python_generator_counts_non_2xx(base: str) -> None:
    result = run_load(None, base, Load("GET", "/missing", {}), duration=0.3, connections=1,
                      cpu=None)  # fmt: skip
    assert result.errors == len(_Handler.seen) > 0


def test_wrk_sends_the_request(base: str) -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed (make bench-serve installs it, or falls back)")
    load = Load("POST", "/w", {"Authorization": "Bearer w", "X-Quote": 'say "hi"'}, '{"b":2}')
    result = run_load(wrk, base, load, duration=1, connections=1, cpu=None)
    assert result.errors == 0 and result.rps > 0
    assert _Handler.seen and set(_Handler.seen) == {("POST", "/w", "Bearer w", b'{"b":2}')}
