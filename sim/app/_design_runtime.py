"""The runtime of a design served over HTTP (``q2c design serve``): wall clock, real HTTP,
flows interleaved the way the simulator interleaves them.

``orchestrator.runtime.WallClockRuntime`` gives every flow a thread, so two flows can change the
core's state at the same instant, which the simulator never lets happen (a SimPy flow runs
alone until it waits). Here one scheduler thread runs every flow, step by step, under the
core's lock (``lock``, also taken by the HTTP endpoints): a flow gives way only where it waits,
on a vendor call (run on a small thread pool, lock released) or a sleep. So a design behaves
over HTTP as it does in process, and needs no locks of its own.

Time: against a sandbox on a test clock (``clock_url``, from ``POST /_sandbox/vendors``), now
is the sandbox's simulated time, read from the ``Date`` header of every vendor answer and of
every request the world sends (one-second resolution; never going back), and a sleep is a
``POST {clock}/sleep`` that answers when simulated time has reached its end, so the sandbox
can skip to it. Without one, now is the wall clock and sleeps are wall sleeps.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orchestrator.runtime import Flow

__all__ = ["SandboxClock", "SerialRuntime"]


class SandboxClock:
    """Now as the sandbox last told it (``Date`` headers), or the wall clock without one."""

    def __init__(self, clock_url: str | None, client: httpx.Client) -> None:
        self.url = clock_url
        self._client = client
        self._seen: datetime | None = None
        self._lock = threading.Lock()

    def observe(self, headers: Mapping[str, str]) -> None:
        value = headers.get("date")
        if self.url is None or not value:
            return
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        with self._lock:
            if self._seen is None or moment > self._seen:
                self._seen = moment

    def now(self) -> datetime:
        if self.url is None:
            return datetime.now(UTC)
        with self._lock:
            seen = self._seen
        if seen is None:
            answer = self._client.get(self.url)
            seen = datetime.fromisoformat(answer.json()["now"])
            with self._lock:
                self._seen = max(seen, self._seen or seen)
        return seen

    def sleep_until(self, moment: datetime) -> None:
        """Block until the sandbox's clock reaches ``moment`` (long polls)."""
        assert self.url is not None
        while True:
            answer = self._client.post(
                self.url + "/sleep", json={"until": moment.isoformat()}, timeout=60.0
            )
            now = datetime.fromisoformat(answer.json()["now"])
            with self._lock:
                self._seen = max(now, self._seen or now)
            if now >= moment:
                return


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _Call:
    vendor: str
    method: str
    path: str
    content: bytes | None
    params: Mapping[str, str] | None
    headers: Mapping[str, str] | None


class SerialRuntime:
    """See the module docstring."""

    def __init__(
        self,
        base_urls: Mapping[str, str],
        clock_url: str | None = None,
        workers: int = 8,
    ) -> None:
        self._base_urls = {k: v.rstrip("/") for k, v in base_urls.items()}
        self._client = httpx.Client(timeout=30.0)
        self.clock = SandboxClock(clock_url, self._client)
        self.lock = threading.RLock()
        self._ready: deque[tuple[Flow[Any], Any, BaseException | None]] = deque()
        self._wake = threading.Condition()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="q2c-design-io")
        self._sleepers = ThreadPoolExecutor(256, thread_name_prefix="q2c-design-sleep")
        self._ids = itertools.count(1)
        self._closed = False
        self.records: list[dict[str, Any]] = []
        self.failed_flows: list[str] = []
        self._names: dict[int, str] = {}
        self._thread = threading.Thread(target=self._loop, name="q2c-design", daemon=True)
        self._thread.start()

    # -- the Runtime protocol ----------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def sleep(self, seconds: float) -> Flow[None]:
        yield _Sleep(seconds)

    def spawn(self, flow: Flow[Any], name: str) -> None:
        self._names[id(flow)] = name
        self._push(flow, None, None)

    def send(
        self,
        vendor: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Flow[httpx.Response]:
        response: httpx.Response = yield _Call(vendor, method, path, content, params, headers)
        return response

    def record(self, kind: str, **fields: Any) -> None:
        self.records.append({"at": self.now().isoformat(), "kind": kind, **fields})

    def close(self) -> None:
        """Stop: no flow steps after this (the one in progress ends first), waits cancelled."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._sleepers.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    # -- the scheduler -----------------------------------------------------------------------

    def _push(self, flow: Flow[Any], value: Any, error: BaseException | None) -> None:
        with self._wake:
            self._ready.append((flow, value, error))
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._ready and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                flow, value, error = self._ready.popleft()
            with self.lock:
                self._step(flow, value, error)

    def _step(self, flow: Flow[Any], value: Any, error: BaseException | None) -> None:
        try:
            waiting = flow.throw(error) if error is not None else flow.send(value)
        except StopIteration:
            self._names.pop(id(flow), None)
            return
        except Exception as exc:  # a core bug: the flow dies, the server goes on
            name = self._names.pop(id(flow), "flow")
            self.failed_flows.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        if self._closed:  # closing: the flow ends here, nothing more is scheduled
            flow.close()
            return
        if isinstance(waiting, _Call):
            called = self._pool.submit(self._call, waiting)
            called.add_done_callback(lambda done: self._resume(flow, done))
        elif isinstance(waiting, _Sleep):
            slept = self._sleepers.submit(self._sleep, waiting.seconds)
            slept.add_done_callback(lambda done: self._resume(flow, done))
        else:
            self._push(flow, None, TypeError(f"a flow yielded {waiting!r}, not a runtime wait"))

    def _resume(self, flow: Flow[Any], done: Future[Any]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        self._push(flow, None if error is not None else done.result(), error)

    def _call(self, call: _Call) -> httpx.Response:
        url = self._base_urls[call.vendor] + call.path
        response = self._client.request(
            call.method, url, content=call.content, params=call.params, headers=call.headers
        )
        self.clock.observe(response.headers)
        return response

    def _sleep(self, seconds: float) -> None:
        if self.clock.url is None:
            with self._wake:  # a wall sleep that a close ends early
                self._wake.wait_for(lambda: self._closed, timeout=seconds)
            return
        self.clock.sleep_until(self.clock.now() + timedelta(seconds=seconds))
