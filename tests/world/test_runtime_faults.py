"""SimRuntime through the fault layer: what the core sees (exceptions, timing) and what it
counts, in simulated time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson

from mocks import (
    ErpMock,
    ErrorRule,
    FaultyVendor,
    LatencyRule,
    LostResponseRule,
    OutageRule,
    QuotaRule,
    QuotaWindow,
    Rule,
)
from sim.record.trace import Trace
from sim.world.runtime import TIMEOUT_S, CountingEnvironment, SimRuntime

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
LATENCY_S = 0.4


class Harness:
    """One ERP behind a fault layer (unless ``layered`` is False), on a SimPy clock."""

    def __init__(self, *rules: Rule, layered: bool = True) -> None:
        self.env = CountingEnvironment()
        self.erp = ErpMock(self.now)
        company = self.erp.add_company("firm", "DE01", "DE", "EUR")
        self.co = f"/api/v2.0/companies({company})"
        self.layer = FaultyVendor(self.erp.app, self.now, random.Random(1))
        self.trace = Trace(self.now)
        self.runtime = SimRuntime(
            self.env, T0, {"erp": self.erp.app.transport()}, {"erp": LATENCY_S}, self.trace,
            {"erp": self.layer} if layered else None,
        )  # fmt: skip
        self.outcomes: list[tuple[float, Any]] = []
        customer = {"displayName": "Client", "country": "DE", "currencyCode": "EUR"}
        self.customer = self.call("POST", "/customers", customer).json()["id"]
        for rule in rules:
            self.layer.add(rule)

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.env.now)

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        """One call as the core makes it, run to its end; the response or the exception."""
        self.outcomes.clear()
        self.env.process(self.flow(method, path, body, headers))
        self.env.run()
        return self.outcomes[-1][1]

    def flow(self, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
        content = None if body is None else simplejson.dumps(body, use_decimal=True).encode()
        try:
            response = yield from self.runtime.send(
                "erp", method, self.co + path, content=content,
                headers={"x-tenant": "firm", "content-type": "application/json", **headers},
            )  # fmt: skip
            self.outcomes.append((self.env.now, response))
        except httpx.HTTPError as exc:
            self.outcomes.append((self.env.now, exc))

    def elapsed(self) -> float:
        return self.outcomes[-1][0]

    def invoice(self) -> dict[str, Any]:
        line = {"lineType": "Account", "lineObjectNumber": "40100", "description": "Engineer",
                "quantity": Decimal(8), "unitPrice": Decimal(120)}  # fmt: skip
        return {"customerId": self.customer, "invoiceDate": "2026-03-31", "currencyCode": "EUR",
                "salesInvoiceLines": [line]}  # fmt: skip


def test_lost_response_commits_and_the_caller_times_out_after_30_simulated_seconds() -> None:
    """The ERP holds the invoice; the caller gets httpx.ReadTimeout 30 s after sending."""
    h = Harness(LostResponseRule(rate=1.0))
    start = h.env.now
    outcome = h.call("POST", "/salesInvoices", h.invoice())
    assert isinstance(outcome, httpx.ReadTimeout)
    assert h.elapsed() - start == pytest.approx(TIMEOUT_S)
    assert len(h.erp.invoices("firm")) == 1
    counts = h.runtime.vendor_metrics()["erp"]
    assert (counts["timeouts"], counts["calls"]) == (1, 2)
    assert h.runtime.faults_fired() == {"lost_response": 1}


def test_a_refused_connection_raises_connect_error_and_reaches_nobody() -> None:
    """During a refused outage the call fails fast with httpx.ConnectError, nothing written."""
    h = Harness(OutageRule(start=T0, end=T0 + timedelta(hours=1), mode="refused"))
    start = h.env.now
    outcome = h.call("POST", "/salesInvoices", h.invoice())
    assert isinstance(outcome, httpx.ConnectError)
    assert h.elapsed() - start == pytest.approx(LATENCY_S / 2)
    assert h.erp.invoices("firm") == []
    counts = h.runtime.vendor_metrics()["erp"]
    assert (counts["refused"], counts["outage_calls"]) == (1, 1)


def test_latency_beyond_the_timeout_still_reaches_the_vendor() -> None:
    """A 60 s answer: the caller times out at 30 s, yet the vendor handled the request."""
    h = Harness(LatencyRule(median_ms=60_000, p99_ms=60_000))
    start = h.env.now
    outcome = h.call("POST", "/salesInvoices", h.invoice())
    assert isinstance(outcome, httpx.ReadTimeout)
    assert h.elapsed() - start == pytest.approx(TIMEOUT_S)
    assert len(h.erp.invoices("firm")) == 1


def test_the_vendor_handles_a_call_halfway_through_its_latency() -> None:
    """Latency is spent in two halves: the invoice is stamped at the midpoint, the caller
    has its answer at the end."""
    h = Harness()
    start = h.env.now
    created = h.call("POST", "/salesInvoices", h.invoice())
    assert created.status_code == 201
    assert h.elapsed() - start == pytest.approx(LATENCY_S)
    stamped = datetime.fromisoformat(created.json()["lastModifiedDateTime"].replace("Z", "+00:00"))
    assert stamped == T0 + timedelta(seconds=start + LATENCY_S / 2)


def test_statuses_and_retries_are_counted_per_vendor() -> None:
    """429s, 5xx and other 4xx are counted apart; x-attempt >= 2 counts as a retry."""
    h = Harness(QuotaRule(windows=[QuotaWindow(limit=2, window_s=3600)]))
    assert h.call("GET", "/customers(missing)").status_code == 404
    assert h.call("GET", "/customers", **{"x-attempt": "2"}).status_code == 200
    assert h.call("GET", "/customers", **{"x-attempt": "1"}).status_code == 429
    assert h.call("GET", "/customers", **{"x-attempt": "3"}).status_code == 429
    h.layer.clear()
    h.layer.add(ErrorRule(rate=1.0, statuses=[502]))
    assert h.call("GET", "/customers").status_code == 502
    counts = h.runtime.vendor_metrics()["erp"]
    assert counts == {"calls": 6, "http_429": 2, "retries": 2, "errors_5xx": 1,
                      "errors_4xx": 1, "timeouts": 0, "refused": 0, "outage_calls": 0}  # fmt: skip


def test_the_fast_path_counts_the_same_without_a_layer() -> None:
    """Without a fault layer, retries and 4xx are still counted per vendor."""
    h = Harness(layered=False)
    h.call("GET", "/customers(missing)", **{"x-attempt": "2"})
    counts = h.runtime.vendor_metrics()["erp"]
    assert (counts["calls"], counts["errors_4xx"], counts["retries"]) == (2, 1, 1)
    assert h.runtime.faults_fired() == {}


def test_a_flow_closed_between_the_halves_frees_its_concurrency_slot() -> None:
    """A call closed after the vendor handled it (as a crash closes flows) leaves no slot
    held: the next call under a cap of one is admitted."""
    h = Harness(QuotaRule(concurrency=1))
    send = h.runtime.send("erp", "GET", h.co + "/customers", headers={"x-tenant": "firm"})
    next(send)  # the request half
    send.send(None)  # arrived at the vendor; now in the response half, holding the slot
    blocked = h.call("GET", "/customers")
    assert blocked.status_code == 429
    send.close()
    assert h.call("GET", "/customers").status_code == 200


def test_a_call_queued_behind_the_vendors_concurrency_comes_back_later() -> None:
    """Business Central's model in simulated time: with one call processed at once and a queue,
    a second call in flight is admitted (no 429) but waits a round of the latency rule's median
    before its answer comes back."""
    h = Harness(LatencyRule(median_ms=400, p99_ms=400), QuotaRule(concurrency=1, queue=5))
    first = h.runtime.send("erp", "GET", h.co + "/customers", headers={"x-tenant": "firm"})
    next(first)  # the request half
    first.send(None)  # at the vendor, holding the one processing slot
    sent = h.env.now
    queued = h.call("GET", "/customers")
    assert queued.status_code == 200  # queued, not refused
    took = h.elapsed() - sent
    assert took == pytest.approx(0.4 + 0.4, abs=0.02)  # its own latency and a round of waiting
    first.close()
    sent = h.env.now
    h.call("GET", "/customers")
    assert h.elapsed() - sent == pytest.approx(0.4, abs=0.02)  # nobody ahead: no wait
