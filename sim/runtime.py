"""The SimPy-backed runtime handed to the core: time skips, calls go in-process.

A vendor call waits the vendor's latency in simulated time, then runs the mock's handler as a
plain function call through its httpx transport. Every call is counted and traced; a flow that
raises is traced as failed (its items will then show up as leakage in the oracle) rather than
stopping the world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import simpy

from orchestrator.runtime import Flow
from sim.trace import Trace

__all__ = ["CountingEnvironment", "SimRuntime"]


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes."""

    def __init__(self) -> None:
        super().__init__()
        self.events_processed = 0

    def step(self) -> None:
        self.events_processed += 1
        super().step()


class SimRuntime:
    def __init__(
        self,
        env: simpy.Environment,
        epoch: datetime,
        transports: Mapping[str, httpx.BaseTransport],
        latency_s: Mapping[str, float],
        trace: Trace,
    ) -> None:
        self.env = env
        self.epoch = epoch
        self._transports = dict(transports)
        self._latency = dict(latency_s)
        self._trace = trace
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.failed_flows = 0

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.env.now)

    def sleep(self, seconds: float) -> Flow[None]:
        yield self.env.timeout(seconds)

    def spawn(self, flow: Flow[Any], name: str) -> None:
        self.env.process(self._guarded(flow, name))

    def _guarded(self, flow: Flow[Any], name: str) -> Flow[None]:
        try:
            yield from flow
        except Exception as exc:  # a core bug or an unhandled vendor error: trace it, go on
            self.failed_flows += 1
            self._trace.write("core.flow_failed", flow=name, error=f"{type(exc).__name__}: {exc}")

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
        yield self.env.timeout(self._latency.get(vendor, 0.0))
        request = httpx.Request(
            method, f"http://{vendor}.mock{path}", params=params, headers=headers, content=content
        )
        response = self._transports[vendor].handle_request(request)
        response.read()
        self.calls[vendor] += 1
        if response.status_code >= 400:
            self.errors[vendor] += 1
        self._trace.write(
            "api", vendor=vendor, method=method, path=path, status=response.status_code
        )
        return response

    def record(self, kind: str, **fields: Any) -> None:
        self._trace.write(kind, **fields)
