"""The fault layer (mocks.FaultyVendor) in front of a real vendor mock, on a hand-moved clock."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson
from pydantic import ValidationError

from mocks import (
    QUOTA_PRESETS,
    Arrival,
    CrmMock,
    ErpMock,
    ErrorRule,
    FaultyVendor,
    LatencyRule,
    LostResponseRule,
    OutageRule,
    QuotaRule,
    QuotaWindow,
    SchemaDriftRule,
    parse_rule,
)

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Erp:
    """An ERP tenant with one German company and customer, behind a fault layer."""

    def __init__(self, *rules: Any, heal_at: datetime | None = None) -> None:
        self.clock = Clock()
        self.erp = ErpMock(self.clock)
        company = self.erp.add_company("firm", "DE01", "DE", "EUR")
        self.co = f"/api/v2.0/companies({company})"
        self.layer = FaultyVendor(self.erp.app, self.clock, random.Random(7), heal_at)
        customer = {"displayName": "Client", "country": "DE", "currencyCode": "EUR"}
        self.customer = self.erp_call("POST", "/customers", customer).json()["id"]
        for rule in rules:
            self.layer.add(rule)

    def erp_call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Straight to the mock, around the layer."""
        return self.erp.app.handle(self.request(method, path, body))

    def request(
        self, method: str, path: str, body: Any = None, tenant: str = "firm"
    ) -> httpx.Request:
        content = None if body is None else simplejson.dumps(body, use_decimal=True).encode()
        headers = {"x-tenant": tenant, "content-type": "application/json"}
        return httpx.Request(method, f"http://erp.mock{self.co}{path}", headers=headers,
                             content=content)  # fmt: skip

    def send(self, method: str, path: str, body: Any = None, tenant: str = "firm") -> Arrival:
        arrival = self.layer.arrive(self.request(method, path, body, tenant))
        self.layer.depart(arrival)
        return arrival

    def status(self, method: str, path: str, body: Any = None, tenant: str = "firm") -> int:
        """The status a call gets (0 when the connection is refused)."""
        response = self.send(method, path, body, tenant).response
        return 0 if response is None else response.status_code

    def invoice_body(self, v1: bool = False) -> dict[str, Any]:
        """An invoice create as a v2.0 client sends it (a G/L account line named by
        ``lineObjectNumber``, which API v1.0 lacks), or with ``v1`` as v1.0 takes it
        (``lineDetails``)."""
        line: dict[str, Any] = {
            "lineType": "Account", "description": "Engineer", "quantity": Decimal(8),
            "unitPrice": Decimal(120),
        }  # fmt: skip
        if v1:
            line["lineDetails"] = {"number": "40100"}
        else:
            line["lineObjectNumber"] = "40100"
        return {"customerId": self.customer, "invoiceDate": "2026-03-31", "currencyCode": "EUR",
                "salesInvoiceLines": [line]}  # fmt: skip

    def invoices(self) -> list[dict[str, Any]]:
        return self.erp.invoices("firm")


def test_quota_answers_a_bare_429_as_business_central_then_resets_as_the_window_slides() -> None:
    """3 calls per 60 s: the 4th is a 429 with none of the headers BC does not send (no
    Retry-After, no x-ratelimit-*); the window slides, so a call is allowed again exactly
    when the oldest call leaves it."""
    erp = Erp(QuotaRule(windows=[QuotaWindow(limit=3, window_s=60)]))
    first = erp.send("GET", "/customers").response
    assert first is not None and first.status_code == 200
    assert not [h for h in first.headers if h.startswith("x-ratelimit")]
    erp.clock.advance(10)
    erp.send("GET", "/customers")
    erp.clock.advance(10)
    erp.send("GET", "/customers")
    erp.clock.advance(10)  # 30 s after the first call
    refused = erp.send("GET", "/customers")
    assert refused.response is not None and refused.response.status_code == 429
    assert refused.fault == "quota"
    headers = refused.response.headers
    assert refused.response.json()["error"]["code"] == "Application_TooManyRequests"
    assert "retry-after" not in headers
    assert not [h for h in headers if h.startswith("x-ratelimit")]
    assert erp.status("GET", "/customers", tenant="other") == 404
    erp.clock.advance(29)
    assert erp.status("GET", "/customers") == 429
    erp.clock.advance(1)
    assert erp.status("GET", "/customers") == 200
    assert erp.layer.fired["quota"] == 2


def test_a_shared_quota_answers_429_at_times_and_admits_at_others() -> None:
    """Other clients of the same user take ~90% of a 100-call window in bursts: what is left
    jumps, so a caller pacing at 12 calls a minute meets 429s between admitted calls."""
    erp = Erp(QuotaRule(windows=[QuotaWindow(limit=100, window_s=60, shared=0.9)]))
    answers = []
    for _ in range(60):
        erp.clock.advance(5)
        response = erp.send("GET", "/customers").response
        assert response is not None
        answers.append(response)
    refused = [r for r in answers if r.status_code == 429]
    admitted = [r for r in answers if r.status_code == 200]
    assert refused and admitted
    assert erp.layer.fired["quota"] == len(refused)


def test_stripe_test_mode_allows_25_calls_a_second_reads_and_writes_together() -> None:
    """Stripe's test-mode preset: 25 requests a second in total (docs.stripe.com/rate-limits),
    so after 25 reads a write is refused too, until the second has passed."""
    erp = Erp(QUOTA_PRESETS["stripe_test"])
    for _ in range(25):
        erp.send("GET", "/customers")
    assert erp.status("GET", "/customers") == 429
    customer = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    assert erp.status("POST", "/customers", customer) == 429
    erp.clock.advance(1)
    assert erp.status("POST", "/customers", customer) == 201


def test_ironclad_allows_40_workflow_writes_a_minute_and_400_reads() -> None:
    """Ironclad's buckets: writes refused past 40 a minute while reads go on."""
    erp = Erp(QUOTA_PRESETS["ironclad"])
    customer = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    assert [erp.status("POST", "/customers", customer) for _ in range(40)] == [201] * 40
    assert erp.status("POST", "/customers", customer) == 429
    assert erp.status("GET", "/customers") == 200


def test_business_central_processes_5_at_once_then_queues_then_refuses() -> None:
    """BC's preset: 5 calls processed at once; the next 95 wait in the queue (their wait
    grows with the calls ahead, at the latency rule's median each) and the 101st gets 429."""
    erp = Erp(QUOTA_PRESETS["business_central"], LatencyRule(median_ms=200, p99_ms=200))
    held = [erp.layer.arrive(erp.request("GET", "/customers")) for _ in range(100)]
    assert all(a.response is not None and a.response.status_code == 200 for a in held)
    waits = [a.queued_s for a in held]
    assert waits[:5] == [0.0] * 5
    assert waits[5:10] == pytest.approx([0.2] * 5)  # one round of 5 ahead
    assert waits[-1] == pytest.approx(19 * 0.2)  # 95 ahead in the queue: 19 rounds
    assert waits == sorted(waits)
    refused = erp.layer.arrive(erp.request("GET", "/customers"))
    assert refused.response is not None and refused.response.status_code == 429
    assert refused.fault == "concurrency" and "retry-after" not in refused.response.headers
    assert erp.layer.fired["queued"] == 95
    for arrival in held:
        erp.layer.depart(arrival)
    assert erp.layer.arrive(erp.request("GET", "/customers")).queued_s == 0.0


def test_a_business_central_call_that_would_queue_past_8_minutes_gets_503_after_8() -> None:
    """Calls that take 60 s to process, 5 at a time: the 6th to 45th wait 60 to 480 s; the
    46th and on would wait past BC's 8 minutes: each holds its place in the queue for 480 s,
    then gets 503."""
    erp = Erp(QUOTA_PRESETS["business_central"], LatencyRule(median_ms=60_000, p99_ms=60_000))
    held = [erp.layer.arrive(erp.request("GET", "/customers")) for _ in range(50)]
    statuses = [a.response.status_code if a.response else 0 for a in held]
    assert statuses == [200] * 45 + [503] * 5
    assert [a.queued_s for a in held[44:46]] == [480.0, 480.0]
    assert held[45].fault == "queue_timeout" and erp.layer.fired["queue_timeout"] == 5
    assert held[45].response is not None
    assert held[45].response.json()["error"]["code"] == "Internal_TenantUnavailable"  # BC's 503
    for arrival in held:
        erp.layer.depart(arrival)
    assert erp.layer.arrive(erp.request("GET", "/customers")).queued_s == 0.0


def test_salesforce_reports_its_usage_on_every_answer() -> None:
    """A CRM under the salesforce preset sends Sforce-Limit-Info: api-usage=n/m, and no
    x-ratelimit-* or Retry-After."""
    crm = CrmMock(Clock())
    layer = FaultyVendor(crm.app, Clock(), random.Random(3))
    layer.add(QUOTA_PRESETS["salesforce"])
    for n in (1, 2):
        request = httpx.Request(
            "GET", "http://crm.mock/services/data/v60.0/sobjects/Account/001000000000001"
        )
        answer = layer.arrive(request).response
        assert answer is not None
        assert answer.headers["sforce-limit-info"] == f"api-usage={n}/100000"
        assert not [h for h in answer.headers if h.startswith("x-ratelimit")]


def test_concurrency_cap_counts_calls_in_flight_until_they_depart() -> None:
    """With 2 calls in flight (arrived, not departed) a third is a 429; one leaving frees it."""
    erp = Erp(QuotaRule(windows=[], concurrency=2))
    a = erp.layer.arrive(erp.request("GET", "/customers"))
    b = erp.layer.arrive(erp.request("GET", "/customers"))
    c = erp.layer.arrive(erp.request("GET", "/customers"))
    assert c.response is not None and c.response.status_code == 429 and c.fault == "concurrency"
    erp.layer.depart(a)
    erp.layer.depart(a)  # departing twice frees one slot only
    d = erp.layer.arrive(erp.request("GET", "/customers"))
    assert d.response is not None and d.response.status_code == 200
    assert erp.layer.arrive(erp.request("GET", "/customers")).fault == "concurrency"
    erp.layer.depart(b)
    erp.layer.depart(d)


def test_outage_is_a_503_or_a_refusal_only_inside_its_window() -> None:
    """An http outage answers 503 + Retry-After (seconds left); a refused one reaches nobody."""
    erp = Erp(
        OutageRule(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2)),
        OutageRule(start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=4), mode="refused"),
    )
    assert erp.status("GET", "/customers") == 200
    erp.clock.advance(3600 + 1800)
    down = erp.send("POST", "/salesInvoices", erp.invoice_body())
    assert down.response is not None and down.response.status_code == 503
    assert down.response.headers["retry-after"] == "1800"
    erp.clock.advance(2 * 3600)
    refused = erp.send("POST", "/salesInvoices", erp.invoice_body())
    assert refused.response is None and refused.fault == "refused"
    assert erp.invoices() == []  # neither reached the ledger
    erp.clock.advance(3600)
    assert erp.status("GET", "/customers") == 200
    assert (erp.layer.fired["outage"], erp.layer.fired["refused"]) == (1, 1)


def test_error_burst_fails_consecutive_calls_without_committing() -> None:
    """A burst of 3 at rate 1: the first three creates fail 500/502, nothing is written."""
    erp = Erp(ErrorRule(rate=1.0, burst=3))
    statuses = [erp.status("POST", "/salesInvoices", erp.invoice_body())
                for _ in range(3)]  # fmt: skip
    assert set(statuses) <= {500, 502}
    assert erp.invoices() == []
    assert erp.layer.fired["error"] == 3
    erp.layer.clear()
    assert erp.status("POST", "/salesInvoices", erp.invoice_body()) == 201


def test_lost_response_commits_the_write_the_caller_never_hears_of() -> None:
    """A lost answer: the invoice exists on the ERP, the arrival is marked lost; GETs are not
    lost when only writes are configured."""
    erp = Erp(LostResponseRule(rate=1.0, methods=["POST"]))
    lost = erp.send("POST", "/salesInvoices", erp.invoice_body())
    assert lost.lost and lost.fault == "lost_response"
    assert len(erp.invoices()) == 1
    assert not erp.send("GET", "/salesInvoices").lost
    served = erp.layer.handle(erp.request("POST", "/salesInvoices", erp.invoice_body()))
    assert served.status_code == 504 and served.headers["x-fault"] == "lost-response"
    assert len(erp.invoices()) == 2


def test_schema_drift_speaks_business_central_api_v1_to_a_v2_client() -> None:
    """From the drift moment the ERP is BC's API v1.0: a v2.0 create naming a property v1.0
    lacks (a line's lineObjectNumber) is BC's 400 naming it; a v1.0 create (lineDetails, and a
    customer with v1.0's complex address) is made, translated for the v2.0 mock underneath;
    answers nest addresses as v1.0 does and key lines by document and sequence."""
    erp = Erp(SchemaDriftRule(start=T0 + timedelta(days=1)))
    before = erp.send("POST", "/salesInvoices", erp.invoice_body()).response
    assert before is not None and before.status_code == 201, before.text
    erp.clock.advance(86_400)
    v2 = erp.send("POST", "/salesInvoices", erp.invoice_body()).response
    assert v2 is not None and v2.status_code == 400
    assert v2.json()["error"] == {
        "code": "BadRequest",
        "message": "The property 'lineObjectNumber' does not exist on type "
        "'Microsoft.NAV.salesInvoiceLine'. Make sure to only use property names that are defined "
        "by the type.",
    }
    v1 = erp.send("POST", "/salesInvoices", erp.invoice_body(v1=True)).response
    assert v1 is not None and v1.status_code == 201, v1.text
    made = v1.json()
    line = made["salesInvoiceLines"][0]
    assert line["id"] == f"{made['id']}-{line['sequence']}"
    listed = erp.send("GET", f"/salesInvoices({made['id']})/salesInvoiceLines").response
    assert listed is not None and listed.json()["value"][0]["id"] == line["id"]
    flat = {"displayName": "Flat", "country": "DE", "currencyCode": "EUR"}
    refused = erp.send("POST", "/customers", flat).response
    assert refused is not None and "'country' does not exist" in refused.text
    nested = {"displayName": "Nested", "currencyCode": "EUR",
              "address": {"street": "Hauptstr. 1", "city": "Berlin", "countryLetterCode": "DE",
                          "postalCode": "10115"}}  # fmt: skip
    customer = erp.send("POST", "/customers", nested).response
    assert customer is not None and customer.status_code == 201, customer.text
    assert customer.json()["address"] == {"street": "Hauptstr. 1", "city": "Berlin",
                                          "state": None, "countryLetterCode": "DE",
                                          "postalCode": "10115"}  # fmt: skip
    assert "addressLine1" not in customer.json()
    stored = erp.erp.tables.get("firm", "customers", customer.json()["id"])
    assert (stored["addressLine1"], stored["country"]) == ("Hauptstr. 1", "DE")
    assert erp.layer.fired["schema_drift"] == 5
    assert len(erp.invoices()) == 2


def test_schema_drift_applies_to_each_request_of_a_batch() -> None:
    """A drifted batch: the v2.0 invoice is answered BC's 400 in its place and what depends
    on it 424, never run; the v1.0 customer is made and answered with v1.0's address."""
    erp = Erp(SchemaDriftRule(start=T0))
    co = erp.co.removeprefix("/api/v2.0/")
    nested = {"displayName": "Nested", "currencyCode": "EUR",
              "address": {"street": "Hauptstr. 1", "countryLetterCode": "DE"}}  # fmt: skip
    invoice = erp.invoice_body()
    batch = {"requests": [
        {"id": "1", "method": "POST", "url": f"{co}/salesInvoices", "body": invoice},
        {"id": "2", "method": "GET", "url": f"{co}/customers", "dependsOn": ["1"]},
        {"id": "3", "method": "POST", "url": f"{co}/customers", "body": nested},
    ]}  # fmt: skip
    content = simplejson.dumps(batch, use_decimal=True).encode()
    headers = {"x-tenant": "firm", "content-type": "application/json"}
    request = httpx.Request("POST", "http://erp.mock/api/v2.0/$batch", content=content,
                            headers=headers)  # fmt: skip
    arrival = erp.layer.arrive(request)
    assert arrival.response is not None and arrival.response.status_code == 200
    answers = arrival.response.json()["responses"]
    assert [a["status"] for a in answers] == [400, 424, 201]
    assert "'lineObjectNumber' does not exist" in answers[0]["body"]["error"]["message"]
    assert answers[2]["body"]["address"]["street"] == "Hauptstr. 1"
    assert "country" not in answers[2]["body"]
    assert erp.invoices() == [] and arrival.fault == "schema_drift"


def test_nothing_fires_from_the_heal_moment() -> None:
    """After heal_at every rule is silent and latency is the median, undrawn."""
    heal = T0 + timedelta(hours=1)
    erp = Erp(ErrorRule(rate=1.0), LatencyRule(median_ms=200, p99_ms=9000), heal_at=heal)
    assert erp.send("GET", "/customers").fault == "error"
    erp.clock.now = heal
    assert erp.status("GET", "/customers") == 200
    assert erp.layer.latency_s() == 0.2


def test_latency_is_a_lognormal_fitted_to_median_and_p99() -> None:
    """20,000 draws: the empirical median and 99th percentile are within a few percent."""
    erp = Erp(LatencyRule(median_ms=120, p99_ms=4000))
    draws = sorted(erp.layer.latency_s() or 0 for _ in range(20_000))
    assert statistics.median(draws) == pytest.approx(0.120, rel=0.05)
    assert draws[int(0.99 * len(draws))] == pytest.approx(4.0, rel=0.15)
    assert 150 <= erp.layer.fired["latency_tail"] <= 250


def test_rules_are_added_listed_removed_and_validated() -> None:
    """The control API: ids per rule, JSON listing, removal, and 422-ready validation."""
    erp = Erp()
    quota = erp.layer.add(parse_rule({"kind": "quota", "windows": [{"limit": 1, "window_s": 1}]}))
    errors = erp.layer.add(parse_rule({"kind": "errors", "rate": 0.5}))
    assert [r["id"] for r in erp.layer.list()] == [quota, errors]
    assert erp.layer.list()[1] == {"id": errors, "kind": "errors", "rate": 0.5, "burst": 1,
                                   "statuses": [500, 502]}  # fmt: skip
    assert erp.layer.remove(quota) and not erp.layer.remove(quota)
    with pytest.raises(ValidationError) as caught:
        parse_rule({"kind": "errors", "rate": 2})
    assert caught.value.errors()[0]["loc"] == ("errors", "rate")


def test_same_seed_same_decisions() -> None:
    """Two layers with the same seed and rules decide every call alike."""

    def decisions() -> list[str | None]:
        erp = Erp(ErrorRule(rate=0.3, burst=2), LostResponseRule(rate=0.3, methods=["GET"]))
        return [erp.send("GET", "/customers").fault for _ in range(200)]

    first = decisions()
    assert first == decisions() and {"error", "lost_response", None} <= set(first)
