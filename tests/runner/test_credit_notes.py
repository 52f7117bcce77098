"""Service credits larger than the month's charges: never a negative invoice. The invoice
absorbs what it can, the rest goes, credit by credit, on a credit note of the same billing run
on the customer's account; the oracle judges each credit once, on whichever document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import Scenario, ServiceLevelSpec

BREACHES = [date(2026, 3, 10), date(2026, 3, 17), date(2026, 3, 24), date(2026, 4, 14)]


def _with(small: Scenario, treatment: str) -> Scenario:
    """The small firm's GB contract (some 25,000 GBP of time a month) with 20,000.00 a
    breach, at most 60,000.00 a month: March earns 60,000, more than its charges."""
    sla = ServiceLevelSpec(
        credit_per_breach=Decimal("20000.00"),
        monthly_cap=Decimal("60000.00"),
        breaches=BREACHES,
        vat_treatment=treatment,  # type: ignore[arg-type]
    )
    contracts = [
        c.model_copy(update={"service_level": sla}) if c.id == "SMALL-GB" else c
        for c in small.contracts
    ]
    return small.model_copy(update={"contracts": contracts})


@pytest.fixture(scope="module", params=["price_reduction", "compensation"])
def result(request: pytest.FixtureRequest, small: Scenario) -> RunResult:
    return run(_with(small, request.param), 3)


def _memos(result: RunResult) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in result.record.books.credit_memos if m["status"] != "Draft"]


def test_no_invoice_is_negative_and_every_credit_is_given_once(result: RunResult) -> None:
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    invoices = [i for i in result.record.books.invoices
                if i["status"] in ("Open", "Paid")]  # fmt: skip
    assert all(Decimal(i["totalAmountIncludingTax"]) >= 0 for i in invoices)
    credits = sorted((i.day, i.billed, i.times_billed, i.verdict)
                     for i in result.report.items if i.kind == "credit")  # fmt: skip
    assert credits == [(day, Decimal("-20000.00"), 1, "correct") for day in BREACHES]


def test_the_excess_is_a_credit_note_on_the_customers_account(result: RunResult) -> None:
    """March's charges absorb one credit at most; the rest are on a credit note dated like
    March's invoice, naming no invoice (an open credit), in the contract's currency."""
    memos = _memos(result)
    assert memos, "no credit note for the credits March could not absorb"
    march = [x for m in memos for x in m["salesCreditMemoLines"]]
    assert all(x["billingRole"] == "credit" for x in march)
    assert {m["currencyCode"] for m in memos} == {"GBP"}
    assert all(m["invoiceId"] is None and m["status"] == "Open" for m in memos)
    on_invoices = [x for i in result.record.books.invoices
                   for x in i["salesInvoiceLines"] if x["billingRole"] == "credit"]  # fmt: skip
    assert len(march) + len(on_invoices) == len(BREACHES)
    assert len(march) >= 2
    gbp = result.metrics["credit_notes"]["GBP"]
    assert Decimal(gbp["on_account"]) == sum(Decimal(m["totalAmountIncludingTax"]) for m in memos)


def test_vat_on_the_credit_follows_the_contracts_reading(result: RunResult) -> None:
    """A price reduction gives back the 20% UK VAT on the credit (HMRC VAT Notice 700);
    compensation is outside the scope of VAT: no tax on any credit line."""
    gb = next(c for c in result.record.scenario.contracts if c.id == "SMALL-GB")
    treatment = gb.service_level
    assert treatment is not None
    lines = [x for m in _memos(result) for x in m["salesCreditMemoLines"]]
    lines += [x for i in result.record.books.invoices
              for x in i["salesInvoiceLines"] if x["billingRole"] == "credit"]  # fmt: skip
    for x in lines:
        vat = Decimal(x["amountExcludingTax"]).copy_abs() * Decimal("0.20")
        want = Decimal(0) if treatment.vat_treatment == "compensation" else vat
        assert Decimal(x["totalTaxAmount"]).copy_abs() == want
