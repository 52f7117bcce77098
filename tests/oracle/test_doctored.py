"""The oracle can fail: doctor the ERP after an honest run and each tampering is reported as
the right kind of error, on the right item, while every other item stays correct."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from sim.oracle import expected_time_amount
from sim.runner import run
from sim.scenario.format import Scenario
from sim.world.books import traced
from sim.world.world import World
from tests.support.doctoring import open_lines

SEED = 3


def _sources(line: dict[str, Any]) -> list[str]:
    """The items a line bills, as the books read them from its description."""
    sources: list[str] = traced({"lines": [line]}, "lines")["lines"][0]["sourceItemIds"]
    return sources


def _posted(world: World) -> list[dict[str, Any]]:
    posted = [i for i in world.erp.invoices(world.tenant) if i["status"] == "Open"]
    for invoice in posted:
        open_lines(invoice)
    return posted


def _time_line(world: World, want: Any) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The first posted line billing one time entry for which ``want(truth, contract)`` holds."""
    contracts = {c.id: c for c in world.scenario.contracts}
    for invoice in _posted(world):
        for line in invoice["salesInvoiceLines"]:
            source = _sources(line)[0]
            if not source.startswith("psa:time_entry:"):
                continue
            truth = world.truth.time_by_psa_id[source.rsplit(":", 1)[1]]
            if want(truth, contracts[truth.contract]):
                return invoice, line, truth
    raise AssertionError("no line fits the doctoring; the small scenario changed?")


VAT = {"EUR": Decimal("0.19"), "GBP": Decimal("0.20")}  # the small firm's DE and GB VAT


def _set_amount(invoice: dict[str, Any], line: dict[str, Any], amount: Decimal) -> None:
    """Change a line's amount and, like a careful forger, keep its tax and the invoice's
    totals consistent with it (so only the amount itself is wrong)."""
    tax = (amount * VAT[invoice["currencyCode"]]).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    delta = amount - Decimal(line["amountExcludingTax"])
    tax_delta = tax - Decimal(line["totalTaxAmount"])
    line["amountExcludingTax"], line["totalTaxAmount"] = amount, tax
    invoice["totalAmountExcludingTax"] = Decimal(invoice["totalAmountExcludingTax"]) + delta
    invoice["totalTaxAmount"] = Decimal(invoice["totalTaxAmount"]) + tax_delta
    for key in ("totalAmountIncludingTax", "remainingAmount"):
        invoice[key] = Decimal(invoice[key]) + delta + tax_delta


def _verdicts(result: Any) -> dict[str, tuple[str, str]]:
    return {i.source_id: (i.verdict, i.cause) for i in result.report.items}


def _only_wrong(result: Any, source: str, verdict: str, cause: str, invariant: str) -> None:
    verdicts = _verdicts(result)
    assert verdicts[source] == (verdict, cause)
    wrong = {s: v for s, v in verdicts.items() if v[0] != "correct"}
    assert wrong == {source: (verdict, cause)}
    # a doctored ERP also disagrees with the tax engine's committed tax, and a doctored amount
    # with the line's quantity x unit price (a "documents" violation): both are reported too
    found = [
        v.invariant
        for v in result.report.violations
        if v.invariant not in ("tax_committed", "documents")
    ]
    assert found == [invariant]
    assert result.metrics["invariants"]["ok"] is False
    assert result.metrics["accuracy"]["by_count"] < 1.0


def test_honest_run_is_all_correct(small: Scenario) -> None:
    """Without doctoring, the reference core bills every item correctly (the baseline)."""
    result = run(small, SEED)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    assert result.metrics["items"]["correct"] == result.metrics["items"]["billable"] > 300


def test_duplicated_line_is_a_duplicate(small: Scenario) -> None:
    """A line copied onto another posted invoice makes its item 'duplicated'."""
    hit: dict[str, str] = {}

    def doctor(world: World) -> None:
        invoice, line, truth = _time_line(world, lambda t, c: True)
        other = next(
            i
            for i in _posted(world)
            if i["id"] != invoice["id"] and i["companyId"] == invoice["companyId"]
        )
        twin = copy.deepcopy(line)
        twin["sequence"] = 999_999
        other["salesInvoiceLines"].append(twin)
        other["totalAmountExcludingTax"] = Decimal(other["totalAmountExcludingTax"]) + Decimal(
            twin["amountExcludingTax"]
        )
        other["totalTaxAmount"] = Decimal(other["totalTaxAmount"]) + Decimal(twin["totalTaxAmount"])
        for key in ("totalAmountIncludingTax", "remainingAmount"):
            other[key] = Decimal(other[key]) + Decimal(twin["amountIncludingTax"])
        hit["source"] = truth.source_id

    result = run(small, SEED, doctor=doctor)
    _only_wrong(result, hit["source"], "duplicated", "billed_more_than_once", "no_duplicates")


def test_old_rate_after_version_change_is_misbilled_rate_version(small: Scenario) -> None:
    """Work after the v2 effective date billed at the v1 rate is mis-billed by rate version."""
    hit: dict[str, str] = {}

    def doctor(world: World) -> None:
        def after_change(t: Any, c: Any) -> bool:
            return len(c.versions) > 1 and t.work_date >= c.versions[1].effective

        invoice, line, truth = _time_line(world, after_change)
        contract = next(c for c in world.scenario.contracts if c.id == truth.contract)
        old = expected_time_amount(
            contract, truth.role, truth.country, truth.work_date, truth.minutes, version=1
        )
        assert old != Decimal(line["amountExcludingTax"])
        _set_amount(invoice, line, old)
        hit["source"] = truth.source_id

    result = run(small, SEED, doctor=doctor)
    _only_wrong(result, hit["source"], "misbilled", "rate_version", "no_misbilling")


def test_dropped_line_is_leakage(small: Scenario) -> None:
    """A line removed from its invoice leaves its item 'leaked', never invoiced."""
    hit: dict[str, str] = {}

    def doctor(world: World) -> None:
        invoice, line, truth = _time_line(world, lambda t, c: True)
        _set_amount(invoice, line, Decimal(0))
        invoice["salesInvoiceLines"].remove(line)
        hit["source"] = truth.source_id

    result = run(small, SEED, doctor=doctor)
    _only_wrong(result, hit["source"], "leaked", "never_invoiced", "no_leakage")


def test_wrong_rounding_rule_is_misbilled_rounding(small: Scenario) -> None:
    """Half-up where the contract says half-even (a half-cent case) is mis-billed by rounding."""
    hit: dict[str, str] = {}

    def doctor(world: World) -> None:
        def half_cent(t: Any, c: Any) -> bool:
            up = expected_time_amount(c, t.role, t.country, t.work_date, t.minutes, rule="half_up")
            return c.rounding == "half_even" and up != expected_time_amount(
                c, t.role, t.country, t.work_date, t.minutes
            )

        invoice, line, truth = _time_line(world, half_cent)
        contract = next(c for c in world.scenario.contracts if c.id == truth.contract)
        _set_amount(
            invoice,
            line,
            expected_time_amount(
                contract, truth.role, truth.country, truth.work_date, truth.minutes, rule="half_up"
            ),
        )
        hit["source"] = truth.source_id

    result = run(small, SEED, doctor=doctor)
    _only_wrong(result, hit["source"], "misbilled", "rounding", "no_misbilling")


def test_wrong_currency_is_misbilled_currency(small: Scenario) -> None:
    """An invoice issued in another currency mis-bills every item on it, by currency."""
    hit: dict[str, Any] = {}

    def doctor(world: World) -> None:
        invoice, _, _ = _time_line(world, lambda t, c: c.currency == "GBP")
        invoice["currencyCode"] = "EUR"
        hit["sources"] = {s for line in invoice["salesInvoiceLines"] for s in _sources(line)}

    result = run(small, SEED, doctor=doctor)
    wrong = {s: v for s, v in _verdicts(result).items() if v[0] != "correct"}
    assert wrong == dict.fromkeys(hit["sources"], ("misbilled", "currency"))
    assert result.metrics["misbilled_by_cause"] == {"currency": len(hit["sources"])}


def test_billing_unapproved_work_is_phantom(small: Scenario) -> None:
    """A line for an item that is not billable (unknown source) breaks 'no phantom billing'."""

    def doctor(world: World) -> None:
        _, line, _ = _time_line(world, lambda t, c: True)
        line["description"] = line["description"].replace(
            _sources(line)[0], "psa:time_entry:999999", 1
        )

    result = run(small, SEED, doctor=doctor)
    phantoms = [v for v in result.report.violations if v.invariant == "no_phantom_billing"]
    assert [v.item for v in phantoms] == ["psa:time_entry:999999"]
    assert "no such billable item" in phantoms[0].detail


def test_tampered_total_breaks_the_ledger(small: Scenario) -> None:
    """An invoice whose total disagrees with its lines breaks the invoice-totals invariant."""

    def doctor(world: World) -> None:
        invoice = _posted(world)[0]
        invoice["totalAmountExcludingTax"] = Decimal(invoice["totalAmountExcludingTax"]) + 1

    result = run(small, SEED, doctor=doctor)
    assert [v.invariant for v in result.report.violations] == ["invoice_totals"]
