"""A faulted call from the simulator (``FaultyVendor.inbound``: no ``httpx.Request`` where no
rule needs one) gets byte for byte what the same call as an ``httpx.Request`` gets: two
identical ERPs behind identical fault layers (every kind of rule, the same random streams)
take the same calls in the same order, one each way, and every answer, fault, held slot,
queue wait, random draw and the books left behind are compared."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import simplejson

from mocks import (
    Arrival,
    ErpMock,
    ErrorRule,
    FaultyVendor,
    LatencyRule,
    LostResponseRule,
    OutageRule,
    QuotaRule,
    QuotaWindow,
    SchemaDriftRule,
)

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
HOST = "erp.mock"


class _Side:
    """One ERP behind a fault layer with every kind of rule, on a clock the test moves."""

    def __init__(self) -> None:
        self.now = T0
        self.erp = ErpMock(lambda: self.now)
        company = self.erp.add_company("firm", "DE01", "DE", "EUR")
        self.erp.add_company("other", "DE02", "DE", "EUR")
        self.co = f"/api/v2.0/companies({company})"
        self.layer = FaultyVendor(self.erp.app, lambda: self.now, random.Random(3))
        rules: list[Any] = [
            LatencyRule(median_ms=200, p99_ms=2000),
            QuotaRule(
                windows=[
                    QuotaWindow(limit=6, window_s=5, per_endpoint=True, shared=0.3),
                    QuotaWindow(limit=40, window_s=60, applies_to="writes"),
                ],
                concurrency=1,
                queue=3,
                queue_timeout_s=0.3,  # past two calls ahead (0.2 s each)
            ),
            ErrorRule(rate=0.15, burst=2),
            LostResponseRule(rate=0.3, methods=["POST", "PATCH", "GET"]),
            OutageRule(start=T0 + timedelta(seconds=40), end=T0 + timedelta(seconds=50)),
            OutageRule(
                start=T0 + timedelta(seconds=60), end=T0 + timedelta(seconds=65), mode="refused"
            ),
            SchemaDriftRule(start=T0 + timedelta(seconds=80)),
        ]
        for k, rule in enumerate(rules):
            self.layer.add(rule, random.Random(100 + k))


def _calls(co: str, customer: str | None) -> list[tuple[str, str, Any, dict[str, str], Any]]:
    """(method, path, params, headers, body) of one round of calls, odd ones included."""
    json = {"x-tenant": "firm", "content-type": "application/json"}
    new = {"displayName": "Köln GmbH", "country": "DE", "currencyCode": "EUR"}
    calls: list[tuple[str, str, Any, dict[str, str], Any]] = [
        ("GET", f"{co}/customers", None, {"x-tenant": "firm"}, None),
        ("GET", f"{co}/customers", {"$top": "2", "$filter": "displayName eq 'a b'"}, json, None),
        ("POST", f"{co}/customers", None, json, new),
        ("POST", f"{co}/customers", None, {"X-Tenant": "other", "Content-Type": JSON}, new),
        ("POST", f"{co}/customers", None, json, {"displayName": "X", "website": "a.example"}),
        ("POST", f"{co}/customers", None, json, None),  # body-less: Content-Length 0
        ("GET", f"{co}/customers", {"$top": 2}, json, None),  # not text: the httpx way
        ("GET", f"{co}/cust omers/../customers", None, json, None),  # an odd path
        ("GET", "/openapi.json", None, {}, None),
        ("DELETE", f"{co}/customers(nobody)", None, json, None),
    ]
    if customer is not None:
        calls.append(("PATCH", f"{co}/customers({customer})", None,
                      {**json, "if-match": "*"}, {"displayName": "Renamed"}))  # fmt: skip
    return calls


JSON = "application/json"


def _body(body: Any) -> bytes | None:
    return None if body is None else simplejson.dumps(body).encode()


def _seen(arrival: Arrival) -> tuple[Any, ...]:
    answer = arrival.response
    shown = None if answer is None else (answer.status_code, answer.headers.raw, answer.content)
    return shown, arrival.lost, arrival.fault, arrival.tenant, arrival.queued_s


def test_every_fault_kind_decides_and_answers_the_same_both_ways() -> None:
    lean, full = _Side(), _Side()
    held: list[tuple[Arrival, Arrival]] = []
    faults: set[str | None] = set()
    customer: str | None = None
    for step in range(120):
        assert lean.layer.latency_s() == full.layer.latency_s()
        for method, path, params, headers, body in _calls(lean.co, customer):
            content = _body(body)
            call = lean.layer.inbound(HOST, method, path, params, headers, content)
            request = httpx.Request(method, f"http://{HOST}{path}", params=params,
                                    headers=headers, content=content)  # fmt: skip
            mine, theirs = lean.layer.arrive(call), full.layer.arrive(request)
            assert _seen(mine) == _seen(theirs), (step, method, path)
            built = call.request()  # what a refused or timed-out caller's error carries
            assert (built.method, built.url, built.headers.raw, built.read()) == (
                request.method, request.url, request.headers.raw, request.read())  # fmt: skip
            faults.add(mine.fault)
            answer = mine.response
            if customer is None and answer is not None and answer.status_code == 201:
                customer = answer.json()["id"]
            if (step + len(held)) % 3:  # some calls hold their slot a while
                held.append((mine, theirs))
            else:
                lean.layer.depart(mine)
                full.layer.depart(theirs)
        while len(held) > 5:
            mine, theirs = held.pop(0)
            lean.layer.depart(mine)
            full.layer.depart(theirs)
        lean.now = full.now = lean.now + timedelta(seconds=1)
    every = {None, "quota", "concurrency", "queue_timeout", "error", "lost_response",
             "outage", "refused", "schema_drift"}  # fmt: skip
    assert faults == every
    assert lean.layer.fired == full.layer.fired
    assert lean.layer.fired["queued"] > 0 and lean.layer.fired["latency_tail"] > 0
    books = f"http://{HOST}{lean.co}/customers"
    for tenant in ("firm", "other"):
        ask = httpx.Request("GET", books, headers={"x-tenant": tenant})
        assert lean.erp.app.handle(ask).content == full.erp.app.handle(ask).content


def test_a_plain_call_builds_no_request_until_asked() -> None:
    side = _Side()
    side.layer.clear()
    call = side.layer.inbound(HOST, "GET", f"{side.co}/customers", None, {"x-tenant": "firm"})
    arrival = side.layer.arrive(call)
    assert arrival.response is not None and arrival.response.status_code == 200
    assert call._request is None  # answered the lean way
    odd = side.layer.inbound(HOST, "GET", f"{side.co}/x/../customers", None, {"x-tenant": "firm"})
    assert odd._request is not None and odd.path == f"{side.co}/customers"  # as httpx reads it
    assert odd.handle().status_code == 200  # the customers, the httpx way
