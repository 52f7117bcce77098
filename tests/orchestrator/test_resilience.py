"""The core's resilience layer on its own: retries, Retry-After, unknown outcomes, idempotency
keys, circuits and pacing, on a scripted vendor and a virtual clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orchestrator._resilience import (
    OutcomeUnknown,
    Quota,
    ResilientRuntime,
    RetryPolicy,
    VendorUnavailable,
)
from orchestrator.runtime import run_flow
from tests.support.runtimes import Script, VirtualRuntime


def _answers(*outcomes: httpx.Response | Exception) -> Script:
    def script(n: int, method: str, path: str, headers: dict[str, str]) -> Any:
        return outcomes[min(n, len(outcomes)) - 1]

    return script


def _status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, headers=headers, json={"status": code})


def _send(rt: ResilientRuntime, method: str = "GET", path: str = "/x", **headers: str) -> Any:
    return run_flow(rt.send("erp", method, path, headers=headers))


def test_a_429_is_retried_no_sooner_than_retry_after() -> None:
    """A quota refusal waits at least the vendor's Retry-After, then succeeds."""
    inner = VirtualRuntime(_answers(_status(429, **{"retry-after": "90"}), _status(200)))
    response = _send(ResilientRuntime(inner, quotas={}))
    assert response.status_code == 200
    assert inner.sent[1][0] - inner.sent[0][0] >= 90
    assert inner.sent[1][3]["x-attempt"] == "2" and "x-attempt" not in inner.sent[0][3]


def test_backoff_is_exponential_capped_and_jittered() -> None:
    """Waits between tries double from the base, stay within +-25% and under the cap."""
    inner = VirtualRuntime(_answers(*[_status(503)] * 7, _status(200)))
    policy = RetryPolicy(base_s=10, cap_s=100, breaker_threshold=99)
    _send(ResilientRuntime(inner, policy=policy, quotas={}))
    gaps = [b[0] - a[0] - 0.1 for a, b in zip(inner.sent, inner.sent[1:], strict=False)]
    for attempt, gap in enumerate(gaps, start=1):
        ceiling = min(100, 10 * 2 ** (attempt - 1))
        assert 0.75 * ceiling - 1e-6 <= gap <= 1.25 * ceiling + 1e-6


def test_retries_stop_at_the_attempt_limit_with_the_vendors_answer() -> None:
    """An outage longer than the policy ends with the last error answer, after N tries."""
    inner = VirtualRuntime(_answers(_status(503)))
    policy = RetryPolicy(attempts=4, breaker_threshold=99)
    response = _send(ResilientRuntime(inner, policy=policy, quotas={}))
    assert response.status_code == 503 and len(inner.sent) == 4


def test_a_refused_connection_is_retried_then_reported_unavailable() -> None:
    """Connection refused on every try: VendorUnavailable (a 503 VendorError), not a crash."""
    inner = VirtualRuntime(_answers(httpx.ConnectError("refused")))
    with pytest.raises(VendorUnavailable) as caught:
        _send(ResilientRuntime(inner, policy=RetryPolicy(attempts=3), quotas={}))
    assert caught.value.status == 503 and len(inner.sent) == 3


def test_a_timed_out_write_without_a_key_is_not_repeated() -> None:
    """Unknown outcome on an unkeyed POST: stop with OutcomeUnknown rather than risk a double."""
    inner = VirtualRuntime(_answers(httpx.ReadTimeout("lost"), _status(201)))
    with pytest.raises(OutcomeUnknown):
        _send(ResilientRuntime(inner, quotas={}), "POST", "/customers")
    assert len(inner.sent) == 1


def test_a_timed_out_keyed_write_is_repeated_with_the_same_key() -> None:
    """A keyed POST is safe to repeat: same Idempotency-Key on the second try."""
    inner = VirtualRuntime(_answers(httpx.ReadTimeout("lost"), _status(201)))
    response = _send(ResilientRuntime(inner, quotas={}), "POST", "/invoices",
                     **{"idempotency-key": "inv:1"})  # fmt: skip
    assert response.status_code == 201
    assert [s[3]["idempotency-key"] for s in inner.sent] == ["inv:1", "inv:1"]


def test_idempotency_false_drops_keys_but_still_retries() -> None:
    """The naive design: no key on the wire, and a lost answer is sent again anyway."""
    inner = VirtualRuntime(_answers(httpx.ReadTimeout("lost"), _status(201)))
    rt = ResilientRuntime(inner, idempotency=False, quotas={})
    _send(rt, "POST", "/invoices", **{"idempotency-key": "inv:1"})
    assert len(inner.sent) == 2 and all("idempotency-key" not in s[3] for s in inner.sent)


def test_retries_false_gives_up_at_once() -> None:
    """With retries switched off the first failure is the answer."""
    inner = VirtualRuntime(_answers(_status(503), _status(200)))
    response = _send(ResilientRuntime(inner, retries=False, quotas={}))
    assert response.status_code == 503 and len(inner.sent) == 1


def test_a_500_on_an_unsafe_write_is_returned_not_repeated() -> None:
    """A 500 on an unkeyed POST may have done the work: the caller gets it, no second try."""
    inner = VirtualRuntime(_answers(_status(500), _status(201)))
    response = _send(ResilientRuntime(inner, quotas={}), "POST", "/customers")
    assert response.status_code == 500 and len(inner.sent) == 1


def test_the_circuit_opens_and_holds_calls_for_the_cool_off() -> None:
    """After the threshold of failures no call goes out until the cool-off has passed."""
    inner = VirtualRuntime(_answers(*[_status(503)] * 3, _status(200)))
    policy = RetryPolicy(base_s=1, cap_s=1, breaker_threshold=3, breaker_cool_off_s=300)
    rt = ResilientRuntime(inner, policy=policy, quotas={})
    _send(rt)
    assert rt.circuit_opens["erp"] == 1
    assert inner.sent[3][0] - inner.sent[2][0] >= 300


def test_pacing_keeps_within_the_vendors_quota() -> None:
    """No sliding window ever holds more calls than 90% of the published limit."""
    inner = VirtualRuntime(_answers(_status(200)))
    rt = ResilientRuntime(inner, quotas={"erp": Quota(limit=20, window_s=10.0)})
    for _ in range(60):
        _send(rt)
    times = [s[0] for s in inner.sent]
    in_window = [sum(1 for t in times if start <= t < start + 10 - 1e-6) for start in times]
    assert max(in_window) <= 18
    assert rt.throttled["erp"] > 0


def test_salesforce_usage_past_90_percent_pauses_the_vendor_for_an_hour() -> None:
    """Sforce-Limit-Info: api-usage=91/100 (Salesforce's own signal): the next call waits an
    hour; at 50/100 it goes at once."""
    nearly = _status(200, **{"sforce-limit-info": "api-usage=91/100"})
    inner = VirtualRuntime(_answers(nearly, _status(200)))
    rt = ResilientRuntime(inner, quotas={})
    _send(rt)
    _send(rt)
    assert inner.sent[1][0] - inner.sent[0][0] >= 3600
    half = _status(200, **{"sforce-limit-info": "api-usage=50/100"})
    inner = VirtualRuntime(_answers(half, _status(200)))
    rt = ResilientRuntime(inner, quotas={})
    _send(rt)
    _send(rt)
    assert inner.sent[1][0] - inner.sent[0][0] < 1


def test_generic_rate_limit_headers_are_not_paced_on() -> None:
    """x-ratelimit-remaining: 0 is a header none of the mirrored vendors sends: the core
    ignores it and paces on its own budget."""
    spent = _status(200, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "45"})
    inner = VirtualRuntime(_answers(spent, _status(200)))
    rt = ResilientRuntime(inner, quotas={})
    _send(rt)
    _send(rt)
    assert inner.sent[1][0] - inner.sent[0][0] < 1


def test_a_bare_429_pauses_the_vendor_for_the_backoff() -> None:
    """A 429 without Retry-After (Business Central, Stripe): the vendor is paused for the
    backoff, so the retry (and any other flow's call) waits it out."""
    inner = VirtualRuntime(_answers(_status(429), _status(200)))
    rt = ResilientRuntime(inner, policy=RetryPolicy(base_s=8, cap_s=8), quotas={})
    assert _send(rt).status_code == 200
    assert inner.sent[1][0] - inner.sent[0][0] >= 6  # 8 s, jittered by +-25%
    assert rt._paces["erp"].paused_until >= 6


def test_salesforces_spent_allocation_is_backed_off_as_a_429() -> None:
    """Past its daily allocation Salesforce answers 403 REQUEST_LIMIT_EXCEEDED, never 429:
    the core pauses the vendor and retries as for a 429; any other 403 is the caller's."""
    spent = httpx.Response(
        403, json=[{"message": "TotalRequests Limit exceeded.",
                    "errorCode": "REQUEST_LIMIT_EXCEEDED", "fields": []}],
    )  # fmt: skip
    inner = VirtualRuntime(_answers(spent, _status(200)))
    rt = ResilientRuntime(inner, policy=RetryPolicy(base_s=8, cap_s=8), quotas={})
    assert run_flow(rt.send("crm", "GET", "/x")).status_code == 200
    assert inner.sent[1][0] - inner.sent[0][0] >= 6
    assert rt._paces["crm"].paused_until >= 6
    scope = httpx.Response(
        403, json=[{"message": "no", "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY", "fields": []}]
    )
    other = VirtualRuntime(_answers(scope, _status(200)))
    rt = ResilientRuntime(other, policy=RetryPolicy(base_s=8, cap_s=8), quotas={})
    assert run_flow(rt.send("crm", "GET", "/x")).status_code == 403
    assert len(other.sent) == 1


def _invoice_and_echo() -> tuple[Any, dict[str, Any]]:
    from datetime import date
    from decimal import Decimal

    from orchestrator.adapters._erp_line_body import line_body
    from orchestrator.model import Invoice, InvoiceLine

    line = InvoiceLine(description="Engineer 7.5 h", quantity=Decimal("7.5"),
                       unit_price=Decimal("110.10"), amount=Decimal("825.75"),
                       source_ids=("psa:time_entry:1",), contract_version_id="r/v1")  # fmt: skip
    invoice = Invoice(contract_id="C-1", customer_id="cus", legal_entity_id="DE01",
                      period="2026-03", invoice_date=date(2026, 4, 3), currency="EUR",
                      lines=(line,))  # fmt: skip
    created = {
        "id": "i1",
        "number": "S-1",
        "totalAmountIncludingTax": Decimal("982.64"),
        "currencyCode": "EUR",
        "salesInvoiceLines": [
            {**line_body(line), "amountExcludingTax": line.amount, "totalTaxAmount": line.tax}
        ],
    }  # fmt: skip  (BC adds the amount and the tax it computed)
    return invoice, created


def test_an_invoice_echoed_as_sent_passes_the_check() -> None:
    """The ERP's answer repeats our lines: nothing to report."""
    from orchestrator.adapters.erp import ErpAdapter

    invoice, created = _invoice_and_echo()
    ErpAdapter(VirtualRuntime(_answers(_status(200))), "t").check_echo(
        invoice, created, created["salesInvoiceLines"]
    )


def test_a_renamed_line_field_is_a_contract_violation() -> None:
    """v2's lineDescription instead of description: caught before anything is posted."""
    from orchestrator._wire import ContractViolation
    from orchestrator.adapters.erp import ErpAdapter

    invoice, created = _invoice_and_echo()
    lines = [{**created["salesInvoiceLines"][0]}]
    lines[0]["lineDescription"] = lines[0].pop("description")
    with pytest.raises(ContractViolation, match="description"):
        ErpAdapter(VirtualRuntime(_answers(_status(200))), "t").check_echo(invoice, created, lines)


def test_a_half_open_circuit_waiting_on_the_quota_does_not_lock_itself_out() -> None:
    """Circuit open after 503s, and the last answer reported the allowance nearly spent: the
    probe waits out the pause first and then goes out (it used to claim the probe, wait,
    and block itself)."""
    spent = _status(503, **{"sforce-limit-info": "api-usage=95/100"})
    inner = VirtualRuntime(_answers(_status(503), _status(503), spent, _status(200)))
    policy = RetryPolicy(base_s=1, cap_s=1, breaker_threshold=3, breaker_cool_off_s=60)
    response = _send(ResilientRuntime(inner, policy=policy, quotas={}))
    assert response.status_code == 200 and len(inner.sent) == 4
    assert inner.sent[3][0] - inner.sent[2][0] >= 3600


def test_a_dropped_connection_on_a_probe_frees_the_circuit() -> None:
    """A transport error other than a timeout is an unknown outcome, and the probe is freed:
    the next call goes out instead of waiting for ever."""
    inner = VirtualRuntime(
        _answers(*[_status(503)] * 3, httpx.RemoteProtocolError("reset"), _status(200))
    )
    policy = RetryPolicy(base_s=1, cap_s=1, breaker_threshold=3, breaker_cool_off_s=60)
    rt = ResilientRuntime(inner, policy=policy, quotas={})
    assert _send(rt).status_code == 200
    with pytest.raises(OutcomeUnknown):
        _send(ResilientRuntime(VirtualRuntime(_answers(httpx.ReadError("gone"))), quotas={}),
              "POST", "/customers")  # fmt: skip


def test_a_quota_of_one_paces_instead_of_crashing() -> None:
    """90% of a limit of 1 rounds to 0: still one call per window, no IndexError."""
    inner = VirtualRuntime(_answers(_status(200)))
    rt = ResilientRuntime(inner, quotas={"erp": Quota(limit=1, window_s=10.0)})
    _send(rt)
    _send(rt)
    assert inner.sent[1][0] - inner.sent[0][0] >= 10
