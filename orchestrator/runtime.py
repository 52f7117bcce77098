"""The one interface through which the core reads time, waits, runs flows and calls vendors.

Flows are generators: ``yield from runtime.sleep(30)`` and ``response = yield from
runtime.send(...)``. On the wall-clock runtime those calls block and the generator never
yields; on a simulated runtime they yield the simulator's events and time skips ahead. The core
cannot tell which one it runs on, which is the point (Temporal's testing environment works the
same way).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import httpx

__all__ = ["Flow", "Runtime", "RuntimeLayer", "WallClockRuntime", "run_flow"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Flow = Generator[Any, Any, T]
"""A unit of core work: yields whatever its runtime needs to wait on, returns a result."""


class Runtime(Protocol):
    """Time, waiting, concurrency and vendor I/O, as handed to the core."""

    def now(self) -> datetime:
        """The current instant (timezone-aware, UTC)."""
        ...

    def sleep(self, seconds: float) -> Flow[None]:
        """Wait ``seconds``; use as ``yield from runtime.sleep(s)``."""
        ...

    def spawn(self, flow: Flow[Any], name: str) -> None:
        """Run ``flow`` concurrently with the caller."""
        ...

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
        """Send one HTTP request to ``vendor`` (its base URL is the runtime's business)."""
        ...

    def record(self, kind: str, **fields: Any) -> None:
        """Append an audit record (the simulator puts it in the run's trace)."""
        ...


class RuntimeLayer:
    """A runtime around another one that changes how vendors are called (retries, tokens)
    and passes everything else through."""

    def __init__(self, inner: Runtime) -> None:
        self._inner = inner

    def now(self) -> datetime:
        return self._inner.now()

    def sleep(self, seconds: float) -> Flow[None]:
        yield from self._inner.sleep(seconds)

    def spawn(self, flow: Flow[Any], name: str) -> None:
        self._inner.spawn(flow, name)

    def record(self, kind: str, **fields: Any) -> None:
        self._inner.record(kind, **fields)


def run_flow(flow: Flow[T]) -> T:
    """Drive a flow to completion on a runtime whose waits block (the wall clock)."""
    try:
        while True:
            next(flow)
    except StopIteration as stop:
        result: T = stop.value
        return result


class WallClockRuntime:
    """Production runtime: real time, real threads, real HTTP through ``httpx.Client``."""

    def __init__(self, base_urls: Mapping[str, str], client: httpx.Client | None = None) -> None:
        self._base_urls = dict(base_urls)
        self._client = client or httpx.Client(timeout=30.0)
        self._threads: list[threading.Thread] = []
        self.records: list[dict[str, Any]] = []

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> Flow[None]:
        time.sleep(seconds)
        return
        yield  # a generator that never yields: waiting already happened

    def spawn(self, flow: Flow[Any], name: str) -> None:
        thread = threading.Thread(target=run_flow, args=(flow,), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def close(self) -> None:
        """Wait for spawned flows, then close the HTTP client."""
        self.join()
        self._client.close()

    def join(self, timeout: float | None = None) -> None:
        """Wait for every spawned flow (tests and command-line use)."""
        for thread in list(self._threads):
            thread.join(timeout)

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
        url = self._base_urls[vendor].rstrip("/") + path
        response = self._client.request(
            method, url, content=content, params=params, headers=headers
        )
        return response
        yield

    def record(self, kind: str, **fields: Any) -> None:
        self.records.append({"at": self.now().isoformat(), "kind": kind, **fields})
