"""Invoice -> cash: the core asks clients to pay through the payment platform and applies the
money that arrives to the right ERP invoice; the oracle checks every amount sent against what
the ERP applied, and the metrics report receivables, DSO and AR aging."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import PaymentBehaviourSpec, Scenario


@pytest.fixture(scope="module")
def honest(small: Scenario) -> RunResult:
    return run(small, 3)


def test_cash_is_applied_to_the_invoice_it_pays(honest: RunResult) -> None:
    """Every posted payment in the ERP matches what the client sent for that invoice, and
    receivables are invoiced minus collected, per currency."""
    assert honest.metrics["invariants"]["ok"]
    world = honest.world
    payments = [p for p in world.erp.payments(world.tenant) if p["status"] == "Posted"]
    assert len(payments) == len(world.truth.payments) > 0
    for currency, figures in honest.metrics["cash"]["by_currency"].items():
        invoiced, collected = Decimal(figures["invoiced"]), Decimal(figures["collected"])
        assert Decimal(figures["receivables"]) == invoiced - collected, currency
        assert sum(Decimal(v) for v in figures["aging"].values()) == invoiced - collected
    assert honest.metrics["cash"]["invoiced_to_paid_hours"]["count"] > 0


def test_cash_applied_to_the_wrong_invoice_is_caught(small: Scenario) -> None:
    """Payments applied to another invoice of the same client break cash application."""
    m = run(small, 3, design="tests.support.designs:misapplies_cash").metrics
    broken = [v for v in m["invariants"]["violations"] if v["invariant"] == "cash_application"]
    assert broken
    assert any("the ERP applied 0" in v["detail"] for v in broken)


def test_disputes_reach_the_exception_queue(small: Scenario) -> None:
    """A client who pays and then disputes leaves an open payment_disputed exception."""
    disputing = small.model_copy(
        update={
            "behaviour": small.behaviour.model_copy(
                update={"payments": PaymentBehaviourSpec(on_time=0, late=0, partial=0, disputed=1)}
            )
        }
    )
    result = run(disputing, 3)
    assert result.metrics["cash"]["disputes"] == len(result.world.truth.disputes) > 0
    reasons = set(result.record.books.exceptions.values())
    assert "payment_disputed" in reasons
    # the run folder's exception log has each one with the moment it was raised
    log = [e for e in result.record.books.exception_log if e["reason"] == "payment_disputed"]
    assert log and all(e["status"] == "open" and e["at"].startswith("2026-") for e in log)


def test_customer_balance_is_invoices_less_credits_less_payments() -> None:
    """Hand-worked: invoice 100.00, credit note on account 20.00, payment 30.00 applied:
    the ERP must show 70.00 owed on the invoice and 50.00 for the customer; a payment the
    invoice does not reflect breaks the customer's balance."""
    from sim.oracle import OracleReport, check_customer_balances

    invoice = {
        "status": "Open",
        "customerId": "c1",
        "totalAmountIncludingTax": Decimal("100.00"),
        "remainingAmount": Decimal("70.00"),
    }
    memo = {
        "status": "Open",
        "customerId": "c1",
        "invoiceId": None,
        "totalAmountIncludingTax": Decimal("20.00"),
    }
    payment = {"status": "Posted", "customerId": "c1", "amount": Decimal("30.00")}
    report = OracleReport()
    check_customer_balances([invoice], [memo], [payment], report)
    assert report.violations == []
    report = OracleReport()
    check_customer_balances(
        [{**invoice, "remainingAmount": Decimal("100.00")}], [memo], [payment], report
    )
    assert [(v.invariant, v.item) for v in report.violations] == [("receivables", "customer:c1")]
