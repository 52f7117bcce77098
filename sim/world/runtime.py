"""The SimPy-backed runtime handed to the core: time skips, calls go in-process.

A vendor call waits the vendor's latency in simulated time, then runs the mock's handler as a
plain function call through its httpx transport (a mock's own transport takes the call
without an ``httpx.Request``: ``mocks._http.LocalTransport``). Every call is counted
and traced; a flow that raises is traced as failed (its items will then show up as leakage in
the oracle) rather than stopping the world.

A vendor with a fault layer (``mocks.FaultyVendor``) is called through it instead: the
latency is drawn per call and spent in two halves, the request's way there (the vendor handles
it on arrival) and the answer's way back, so a flow closed in between (a crash) may already
have changed the vendor. A refused connection raises ``httpx.ConnectError``; a lost answer, or
one slower than the caller's 30 s timeout, raises ``httpx.ReadTimeout`` at the timeout, after
the vendor handled the request. Vendors without a layer keep the one-wait fast path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
import simpy

from contracts.consumer import ContractValidator
from mocks import FaultyVendor, LocalTransport
from orchestrator.runtime import Flow
from sim.record.trace import Trace
from sim.scenario.faults import CrashAfterCall

__all__ = ["TIMEOUT_S", "VENDOR_COUNTS", "CountingEnvironment", "SimRuntime"]

_HANDLED = (None, "lost_response", "schema_drift")  # the vendor handled the call
TIMEOUT_S = 30.0  # the caller's read timeout (httpx's and the wall-clock runtime's default)
VENDOR_COUNTS = ("calls", "http_429", "retries", "errors_5xx", "errors_4xx", "timeouts",
                 "refused", "outage_calls")  # fmt: skip


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
        faults: Mapping[str, FaultyVendor] | None = None,
    ) -> None:
        self.env = env
        self.epoch = epoch
        self._transports = dict(transports)
        self._latency = dict(latency_s)
        self._trace = trace
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.faults = dict(faults or {})
        # per vendor, what went wrong (VENDOR_COUNTS; the calls are ``self.calls``)
        self.counts: dict[str, Counter[str]] = {k: Counter() for k in VENDOR_COUNTS[1:]}
        self.failed_flows = 0
        # crash and restart (sim.world.world drives it): flows belong to the core generation that
        # spawned them; a crash starts a new generation and the old flows die at their next
        # resume, as a killed process's threads would.
        self.generation = 0
        self.crash_point: CrashAfterCall | None = None
        self.on_crash: Callable[[str], None] | None = None
        self._crash_matches = 0
        # consumer-side contract checks (sim.world.world sets them): what the core sends and accepts
        self.contracts: ContractValidator | None = None
        self.contract_violations: Counter[str] = Counter()

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.env.now)

    def sleep(self, seconds: float) -> Flow[None]:
        yield self.env.timeout(seconds)

    def spawn(self, flow: Flow[Any], name: str) -> None:
        # the flow belongs to the core that spawned it, even if that core dies before the
        # flow's first step (spawned and crashed in the same simulated instant)
        self.env.process(self._guarded(flow, name, self.generation))

    def crash(self) -> None:
        """The core's process dies: every flow spawned before now is closed at its next resume
        (``GeneratorExit``, which ``except Exception`` does not catch), never to run again."""
        self.generation += 1

    def _guarded(self, flow: Flow[Any], name: str, generation: int) -> Flow[None]:
        """Drive ``flow`` step by step (not ``yield from``) so that a crash can end it between
        two steps; a flow that raises is traced as failed and the world goes on."""
        value: Any = None
        error: Exception | None = None
        try:
            while True:
                if self.generation != generation:
                    flow.close()
                    return
                if error is None:
                    event = flow.send(value)
                else:
                    event, error = flow.throw(error), None
                try:
                    value = yield event
                except Exception as exc:  # a failed event: the flow gets to handle it
                    value, error = None, exc
        except StopIteration:
            return
        except Exception as exc:  # a core bug or an unhandled vendor error: trace it, go on
            self.failed_flows += 1
            self._trace.write("core.flow_failed", flow=name, error=f"{type(exc).__name__}: {exc}")

    def _check_request(
        self,
        vendor: str,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
        content: bytes | None,
    ) -> None:
        if self.contracts is not None:
            lowered = {k.lower(): v for k, v in (headers or {}).items()}
            self._violations(vendor, self.contracts.check_request(
                vendor, method, path, lowered, content))  # fmt: skip

    def _check_response(
        self, vendor: str, method: str, path: str, response: httpx.Response
    ) -> None:
        if self.contracts is not None:
            self._violations(vendor, self.contracts.check_response(
                vendor, method, path, response.status_code, response.headers,
                response.content))  # fmt: skip

    def _violations(self, vendor: str, found: list[str]) -> None:
        for detail in found:
            self.contract_violations[vendor] += 1
            self._trace.write("contract.violation", vendor=vendor, detail=detail)

    def _crash_after(self, vendor: str, method: str, path: str) -> bool:
        """Count a call the vendor has handled; crash the core if it is the configured one.
        True if the core just crashed (the caller must then not see the response)."""
        point = self.crash_point
        if point is None or point.vendor != vendor or not path.startswith(point.path_prefix):
            return False
        if point.method is not None and point.method != method:
            return False
        self._crash_matches += 1
        if self._crash_matches < point.nth or self.on_crash is None:
            return False
        self.crash_point = None
        generation = self.generation
        self.on_crash(f"after {method} {vendor} {path} (call {self._crash_matches})")
        return self.generation != generation

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
        if headers is not None and headers.get("x-attempt", "1") != "1":
            self._count_retry(vendor, headers["x-attempt"])
        layer = self.faults.get(vendor)
        if layer is not None:
            return (yield from self._send_through(layer, vendor, method, path, content, params,
                                                  headers))  # fmt: skip
        yield self.env.timeout(self._latency.get(vendor, 0.0))
        self._check_request(vendor, method, path, headers, content)
        transport = self._transports[vendor]
        if isinstance(transport, LocalTransport):  # a mock's own: no httpx.Request to build
            host = f"{vendor}.mock"
            response = transport.send_local(host, method, path, params, headers, content)
        else:
            request = httpx.Request(method, f"http://{vendor}.mock{path}", params=params,
                                    headers=headers, content=content)  # fmt: skip
            response = transport.handle_request(request)
        response.read()
        self._check_response(vendor, method, path, response)
        if self.crash_point is not None and self._crash_after(vendor, method, path):
            yield self.env.timeout(0)  # the crash lands before the core sees the response
        self.calls[vendor] += 1
        if response.status_code >= 400:
            self._count_error(vendor, response.status_code)
        self._trace.write(
            "api", vendor=vendor, method=method, path=path, status=response.status_code
        )
        return response

    def _send_through(
        self,
        layer: FaultyVendor,
        vendor: str,
        method: str,
        path: str,
        content: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> Flow[httpx.Response]:
        """One call through the vendor's fault layer (see the module docstring)."""
        drawn = layer.latency_s()
        latency = self._latency.get(vendor, 0.0) if drawn is None else drawn
        there = min(latency, TIMEOUT_S) / 2
        yield self.env.timeout(there)  # the request half
        # the call without an httpx.Request where no rule needs one (mocks._faults_call)
        call = layer.inbound(f"{vendor}.mock", method, path, params, headers, content)
        self.calls[vendor] += 1
        self._check_request(vendor, method, path, headers, content)
        arrival = layer.arrive(call)
        # the vendor has handled the request here (unless refused): the crash-after-call point
        try:
            if arrival.fault in ("outage", "refused"):
                self.counts["outage_calls"][vendor] += 1
            response = arrival.response
            if response is None:
                self.counts["refused"][vendor] += 1
                self._trace.write("api", vendor=vendor, method=method, path=path, status=None,
                                  fault="refused")  # fmt: skip
                raise httpx.ConnectError(f"{vendor}: connection refused", request=call.request())
            response.read()
            if self.crash_point is not None and arrival.fault in _HANDLED:
                self._crash_after(vendor, method, path)  # the flow dies in the wait below
            # a call queued behind the vendor's concurrency (Business Central: 5 processed, the
            # rest wait) waits its turn before its answer comes back
            latency += arrival.queued_s
            if arrival.lost or latency > TIMEOUT_S:
                yield self.env.timeout(TIMEOUT_S - there)
                self.counts["timeouts"][vendor] += 1
                self._trace.write("api", vendor=vendor, method=method, path=path,
                                  status=response.status_code, fault="timeout")  # fmt: skip
                raise httpx.ReadTimeout(
                    f"{vendor}: no answer in {TIMEOUT_S:g} s", request=call.request()
                )
            yield self.env.timeout(latency - there)  # the response half
        finally:
            layer.depart(arrival)
        self._check_response(vendor, method, path, response)
        if response.status_code >= 400:
            self._count_error(vendor, response.status_code)
        if arrival.fault is None:
            self._trace.write(
                "api", vendor=vendor, method=method, path=path, status=response.status_code
            )
        else:
            self._trace.write("api", vendor=vendor, method=method, path=path,
                              status=response.status_code, fault=arrival.fault)  # fmt: skip
        return response

    def _count_error(self, vendor: str, status: int) -> None:
        self.errors[vendor] += 1
        if status == 429:
            self.counts["http_429"][vendor] += 1
        elif status >= 500:
            self.counts["errors_5xx"][vendor] += 1
        else:
            self.counts["errors_4xx"][vendor] += 1

    def _count_retry(self, vendor: str, attempt: str) -> None:
        try:
            if int(attempt) >= 2:
                self.counts["retries"][vendor] += 1
        except ValueError:
            pass

    def vendor_metrics(self) -> dict[str, dict[str, int]]:
        """Per vendor: calls, 429s, retries, 5xx and other 4xx errors, timeouts, refused
        connections and calls made during an outage (metrics.json's ``vendors``)."""
        return {
            v: {"calls": self.calls[v], **{k: self.counts[k][v] for k in VENDOR_COUNTS[1:]}}
            for v in sorted(self._transports)
        }

    def faults_fired(self) -> dict[str, int]:
        """How often each kind of fault fired, over all vendors."""
        fired: Counter[str] = Counter()
        for layer in self.faults.values():
            fired.update(layer.fired)
        return dict(sorted(fired.items()))

    def record(self, kind: str, **fields: Any) -> None:
        self._trace.write(kind, **fields)
