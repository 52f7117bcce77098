"""Runtimes for unit tests of the core's parts and adapters, each standing in for the simulator's
runtime so that a test drives one part on its own:

- ``StillRuntime``: a fixed clock, spawned flows kept for the test to run (or not), and any
  vendor call refused, since a test that reaches a vendor there has left the part it meant to
  test;
- ``VirtualRuntime``: a virtual clock that sleeping moves, and a script that answers each call
  (the resilience layer's tests script outages, 429s and lost answers call by call);
- ``MockRuntime``: the virtual clock, every call answered by one vendor's mock in process, with
  hooks to lose an answer or crash the core after the mock handled a call (what a real network
  and process do to an integration, which no mock's own fault does on demand);
- ``HandClock``: a vendor mock's own clock, moved by hand, where the mock's time is not the
  runtime's.

``VirtualRuntime`` is under the other two, so that the runtime protocol's ``send`` is written
once: a subclass answers by ``answer`` (or refuses by its script), not by a second ``send``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from orchestrator.runtime import Flow, run_flow

__all__ = ["Crash", "HandClock", "MockRuntime", "Script", "StillRuntime", "VirtualRuntime"]

Script = Callable[[int, str, str, dict[str, str]], httpx.Response | Exception]
# one call as the runtime saw it: time, method, path, headers, body, query parameters
Sent = tuple[float, str, str, dict[str, str], bytes, dict[str, str]]


class VirtualRuntime:
    """Blocking runtime on a virtual clock from ``start``: sleeping moves time, each call takes
    0.1 s and is answered by ``answer`` (by default the script). With ``step``, every call and
    sleep yields first, so flows driven in turn interleave at each of them as concurrent flows
    do."""

    def __init__(
        self,
        script: Script,
        *,
        start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        step: bool = False,
    ) -> None:
        self.t = 0.0
        self.start = start
        self.script = script
        self.step = step
        self.sent: list[Sent] = []
        self.records: list[tuple[str, dict[str, Any]]] = []

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def sleep(self, seconds: float) -> Flow[None]:
        self.t += seconds
        if self.step:
            yield None

    def spawn(self, flow: Flow[Any], name: str) -> None:
        run_flow(flow)

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
        if self.step:
            yield None
        sent = dict(headers or {})
        self.sent.append((self.t, method, path, sent, content or b"", dict(params or {})))
        outcome = self.answer(vendor, method, path, sent, content, params)
        self.t += 0.1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def answer(
        self,
        vendor: str,
        method: str,
        path: str,
        headers: dict[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response | BaseException:
        """The outcome of the call just recorded in ``sent``: an answer, or what to raise."""
        return self.script(len(self.sent), method, path, headers)

    def record(self, kind: str, **fields: Any) -> None:
        self.records.append((kind, fields))


class StillRuntime(VirtualRuntime):
    """Time stands at 2026-03-02 09:00 UTC (sleeping does not move it); nothing runs unless the
    test runs it (spawned flows are kept in ``spawned``); any vendor call fails the test."""

    def __init__(self) -> None:
        super().__init__(_refused, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        self.spawned: list[tuple[str, Flow[Any]]] = []

    def sleep(self, seconds: float) -> Flow[None]:
        return
        yield

    def spawn(self, flow: Flow[Any], name: str) -> None:
        self.spawned.append((name, flow))


class HeldRuntime(StillRuntime):
    """A ``StillRuntime`` whose time the test sets by hand (``runtime.at += timedelta(...)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.at = super().now()

    def now(self) -> datetime:
        return self.at


class HandClock:
    """A clock the test moves by hand (``clock.now += timedelta(days=1)``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Crash(BaseException):
    """The core's process dies (not an ``Exception``: nothing in the core catches it)."""


class MockRuntime(VirtualRuntime):
    """Every call to ``vendor`` answered by its mock through ``http`` (an in-process client;
    a call to any other vendor fails the test). ``lose`` names calls (method, path suffix)
    whose answer is lost once after the mock handled them; ``crash_after`` one after which
    the core dies (``Crash``)."""

    def __init__(
        self,
        vendor: str,
        http: httpx.Client,
        *,
        start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        step: bool = False,
    ) -> None:
        super().__init__(_refused, start=start, step=step)
        self.vendor = vendor
        self.http = http
        self.lose: list[tuple[str, str]] = []
        self.crash_after: tuple[str, str] | None = None

    def answer(
        self,
        vendor: str,
        method: str,
        path: str,
        headers: dict[str, str],
        content: bytes | None,
        params: Mapping[str, str] | None,
    ) -> httpx.Response | BaseException:
        assert vendor == self.vendor, f"a call to {vendor}, not {self.vendor}: {method} {path}"
        response = self.http.request(method, path, content=content, params=params, headers=headers)
        for i, (m, suffix) in enumerate(self.lose):
            if m == method and path.endswith(suffix):
                del self.lose[i]
                return httpx.ReadTimeout(f"answer lost after the {vendor} mock handled it")
        crash = self.crash_after
        if crash is not None and method == crash[0] and path.endswith(crash[1]):
            self.crash_after = None
            return Crash()
        return response


def _refused(n: int, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    raise AssertionError(f"no vendor call expected: {method} {path}")
