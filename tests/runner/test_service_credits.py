"""Service credits: missed service levels earn the client a fixed credit, capped per month,
as a negative line on the next invoice. The oracle works out each credit from the contract's
terms and catches a credit applied twice or past the cap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sim.runner import run
from sim.scenario.format import Scenario, ServiceLevelSpec


@pytest.fixture(scope="module")
def with_sla(small: Scenario) -> Scenario:
    """The small firm's GB contract with 250.00 per breach, at most 400.00 a month:
    three breaches in March (250 + 150 + 0) and one in April (250)."""
    sla = ServiceLevelSpec(
        credit_per_breach=Decimal("250.00"),
        monthly_cap=Decimal("400.00"),
        breaches=[date(2026, 3, 10), date(2026, 3, 17), date(2026, 3, 24), date(2026, 4, 14)],
    )
    contracts = [
        c.model_copy(update={"service_level": sla}) if c.id == "SMALL-GB" else c
        for c in small.contracts
    ]
    return small.model_copy(update={"contracts": contracts})


def test_credits_are_billed_capped_per_month(with_sla: Scenario) -> None:
    """Credits of -250.00 and -150.00 in March (the third breach is past the cap), -250.00 in
    April, each on exactly one posted invoice, and every invariant holds."""
    result = run(with_sla, 3)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    credits = sorted((i.day, i.billed) for i in result.report.items if i.kind == "credit")
    assert credits == [
        (date(2026, 3, 10), Decimal("-250.00")),
        (date(2026, 3, 17), Decimal("-150.00")),
        (date(2026, 4, 14), Decimal("-250.00")),
    ]
    lines = [
        x
        for inv in result.record.books.invoices
        for x in inv["salesInvoiceLines"]
        if x["billingRole"] == "credit"
    ]
    assert sorted(Decimal(x["amountExcludingTax"]) for x in lines) == [
        Decimal("-250.00"),
        Decimal("-250.00"),
        Decimal("-150.00"),
    ]


def test_credit_applied_twice_is_a_duplicate(with_sla: Scenario) -> None:
    """A core that credits the same breach on two invoices is caught: duplicated."""
    m = run(with_sla, 3, design="tests.support.designs:credits_twice").metrics
    assert m["items_by_kind"]["credit"]["duplicated"] >= 2
    assert "no_duplicates" in {v["invariant"] for v in m["invariants"]["violations"]}


def test_credit_past_the_cap_is_misbilled(with_sla: Scenario) -> None:
    """Ignoring the monthly cap over-credits March: the capped credit is mis-billed, and the
    breach that earns nothing shows up as billed although nothing was due."""
    m = run(with_sla, 3, design="tests.support.designs:uncapped").metrics
    assert m["items_by_kind"]["credit"]["misbilled"] == 1
    assert m["misbilled_by_cause"] == {"amount": 1}
    invariants = {v["invariant"] for v in m["invariants"]["violations"]}
    assert invariants == {"no_misbilling", "no_phantom_billing"}
