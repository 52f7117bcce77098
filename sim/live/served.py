"""The world's six vendors over HTTP, on the test clock, for an integration in another process.

The mocks served are the world's own (the ones the firm acts on and the books are read from),
each behind the world's fault layer (``World.faults``: the scenario's outages, quotas and
lost answers, on simulated time), mounted under its role as ``q2c serve`` mounts them
(``/crm``, ``/clm``, ``/psa``, ``/erp``, ``/tax``, ``/payments``) and watched by the same
traffic check (``contracts.traffic``), whose contract report lands in the run folder.

Every vendor answer carries the simulated time in its ``Date`` header (RFC 9110 5.6.7,
one-second resolution; uvicorn's own wall-clock ``Date`` is switched off). Beside the vendors:

- ``GET /_clock``: ``{"now": ISO-8601 with microseconds, "frozen": bool, ...}``;
- ``POST /_clock/sleep`` ``{"until": ISO}`` or ``{"seconds": n}``: answers once simulated time
  has reached it (or after 20 wall seconds: ask again). A sleeping integration is quiet, so
  the clock skips, and stops at its timer: the way to back off on the simulated clock;
- ``POST /_admin/clock/freeze``, ``POST /_admin/clock/advance`` ``{"to": ISO}`` or
  ``{"seconds": n}``, ``POST /_admin/clock/run``: the test-clock controls (``sim.live.clock``).

Latency rules and the vendors' base latency are not spent over HTTP (the answer is sent when
it is ready): the integration's real network and processing time passes at the clock's rate
instead. A refused connection and a lost answer are the fault layer's served forms (503 with
``x-fault: refused``, 504 with ``x-fault: lost-response``). Served calls never bind anything but
127.0.0.1. This is not simulated code: requests arrive on the wall clock.
"""

from __future__ import annotations

import asyncio
import email.utils
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import simplejson
import uvicorn

from contracts import VENDORS
from contracts.traffic import TrafficChecker
from mocks import Mount, Problem, Reply, to_response
from sim.live.clock import LiveClock, WorldLock
from sim.world.world import World

__all__ = ["LiveVendors", "Server", "http_date"]

SLEEP_POLL_S = 20.0  # wall seconds a POST /_clock/sleep waits before answering anyway
_JSON = {"content-type": "application/json"}


def http_date(moment: datetime) -> str:
    """``moment`` as an HTTP date (IMF-fixdate, GMT)."""
    return email.utils.format_datetime(moment, usegmt=True)


class _Vendor:
    """One served vendor: the world's fault layer (or bare mock), under the world lock."""

    def __init__(self, live: LiveVendors, vendor: str) -> None:
        self.live = live
        self.vendor = vendor
        world = live.world
        self.target: Any = world.faults.get(vendor) or getattr(world, vendor).app

    def handle(self, request: httpx.Request) -> httpx.Response:
        live = self.live
        with live.lock.held():
            response = self.target.handle(request)
            response.headers["date"] = http_date(live.clock.now())
            live.count(self.vendor, request, response)
        return response

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        query = scope.get("query_string", b"").decode("latin-1")
        request = httpx.Request(
            scope["method"],
            httpx.URL(f"http://{self.vendor}.mock{scope['path']}", query=query.encode()),
            headers=list(scope["headers"]),
            content=b"".join(chunks),
        )
        self.live.clock.begin()
        try:
            response = await asyncio.to_thread(self.handle, request)
        finally:
            self.live.clock.end()
        await _send(send, response)


class LiveVendors:
    """The ASGI app: the world's vendors, the clock and its admin calls."""

    def __init__(self, world: World, clock: LiveClock, lock: WorldLock) -> None:
        self.world = world
        self.clock = clock
        self.lock = lock
        self.traffic = TrafficChecker()
        for vendor in VENDORS:
            self.traffic.guard(vendor, getattr(world, vendor).app)
        watched: dict[str, Any] = {v: self.traffic.watch(v, _Vendor(self, v)) for v in VENDORS}
        self.mount = Mount(watched)
        self.calls: Counter[str] = Counter()
        self.timers = 0  # sleeps that set a timer (POST /_clock/sleep)
        self.statuses: Counter[str] = Counter()

    def count(self, vendor: str, request: httpx.Request, response: httpx.Response) -> None:
        """Count the integration's call in the world's vendor figures and trace it (under the
        lock: the trace is the world's)."""
        runtime = self.world.runtime
        status = response.status_code
        runtime.calls[vendor] += 1
        self.calls[vendor] += 1
        self.statuses[f"{vendor} {status}"] += 1
        if status == 429:
            runtime.counts["http_429"][vendor] += 1
        elif status >= 500:
            runtime.counts["errors_5xx"][vendor] += 1
        elif status >= 400:
            runtime.counts["errors_4xx"][vendor] += 1
        if status >= 400:
            runtime.errors[vendor] += 1
        fields: dict[str, Any] = {"vendor": vendor, "method": request.method,
                                  "path": request.url.path, "status": status}  # fmt: skip
        attempt = request.headers.get("x-attempt")
        if attempt not in (None, "1"):
            fields["attempt"] = attempt
            runtime.counts["retries"][vendor] += 1
        self.world.trace.write("live.api", **fields)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await self.mount(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if path == "/_clock" and method == "GET":
            return await _send(send, _json(200, self.clock_document()))
        if path == "/_clock/sleep" and method == "POST":
            body = await _body(receive)
            return await _send(send, await asyncio.to_thread(self._sleep, body))
        if path.startswith("/_admin/clock/") and method == "POST":
            body = await _body(receive)
            return await _send(send, await asyncio.to_thread(self._admin, path, body))
        if path.startswith("/_admin/contract-report") and method == "GET":
            return await _send(send, _json(200, self.traffic.report()))
        return await self.mount(scope, receive, send)

    # -- the clock ---------------------------------------------------------------------------

    def clock_document(self) -> dict[str, Any]:
        settings = self.clock.settings
        return {
            "now": self.clock.now().isoformat(),
            "frozen": self.clock.frozen,
            "rate": settings.rate,
            "quiet_ms": settings.quiet_s * 1000,
        }

    def _moment(self, body: bytes) -> datetime:
        try:
            data = simplejson.loads(body or b"{}")
            if "until" in data or "to" in data:
                moment = datetime.fromisoformat(str(data.get("until", data.get("to"))))
                if moment.tzinfo is None:
                    raise ValueError("a time zone (Z or +00:00) is required")
                return moment
            return self.clock.now() + timedelta(seconds=float(data["seconds"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise Problem(400, "Bad Request", f"expected {{'to'|'until': ISO-8601}} or "
                          f"{{'seconds': number}}: {exc}") from None  # fmt: skip

    def _sleep(self, body: bytes) -> httpx.Response:
        try:
            until = self._moment(body)
        except Problem as problem:
            return to_response(problem.reply())
        woken = threading.Event()
        with self.lock.held():
            delay = (until - self.clock.now()).total_seconds()
            if delay > 0:
                timer = self.world.env.timeout(delay)
                self.timers += 1
                timer.callbacks.append(lambda _event: self._wake(woken))
                self.clock.sleeping()
            else:
                woken.set()
        woken.wait(SLEEP_POLL_S)
        document = self.clock_document()
        document["reached"] = woken.is_set()
        return _json(200, document)

    def _wake(self, woken: threading.Event) -> None:
        """A timer fired: the integration is about to work again (busy from now)."""
        self.clock.touch()
        woken.set()

    def _admin(self, path: str, body: bytes) -> httpx.Response:
        action = path.removeprefix("/_admin/clock/")
        try:
            if action == "freeze":
                self.clock.freeze()
            elif action == "run":
                self.clock.resume()
            elif action == "advance":
                if not self.clock.advance(self._moment(body)):
                    raise Problem(504, "Gateway Timeout", "the clock did not get there in time")
            else:
                raise Problem(404, "Not Found", f"no clock action {action!r}")
        except ValueError as exc:
            return to_response(Problem(409, "Conflict", str(exc)).reply())
        except Problem as problem:
            return to_response(problem.reply())
        return _json(200, self.clock_document())


def _json(status: int, body: Any) -> httpx.Response:
    return to_response(Reply(status, body, dict(_JSON)))


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, response: httpx.Response) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [(k.lower(), v) for k, v in response.headers.raw],
        }
    )
    await send({"type": "http.response.body", "body": response.content})


class Server:
    """An ASGI app on uvicorn in a thread, on 127.0.0.1 and a free port (or the one given)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off",
            access_log=False, date_header=False, server_header=False,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="q2c-live", daemon=True)
        self.host = host
        self.port = port

    def start(self, wait_s: float = 10.0) -> str:
        """Start serving; returns the base URL."""
        import time

        self.thread.start()
        deadline = time.monotonic() + wait_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"could not serve on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
