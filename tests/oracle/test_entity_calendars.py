"""Each legal entity dates its invoices on its own calendar; the oracle judges the date by
that calendar. The small firm's GB company is registered in Scotland (which works Easter
Monday): it bills March on 6 April, the German company on 7 April. Core and oracle agree (a
clean run); the same books with a GB invoice dated by the first entity's (German) calendar,
as the core did before, are caught."""

from __future__ import annotations

import copy
from datetime import date

from sim.judge import judge
from sim.runner import run
from sim.scenario.format import Scenario


def test_invoices_are_dated_on_their_entitys_calendar(small: Scenario) -> None:
    entities = [
        e.model_copy(update={"holiday_subdivision": "SCT"}) if e.id == "GB01" else e
        for e in small.legal_entities
    ]
    result = run(small.model_copy(update={"legal_entities": entities}), 3)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    books = result.record.books
    march = {(i["currencyCode"], i["invoiceDate"]) for i in books.invoices
             if i["status"] in ("Open", "Paid") and i["invoiceDate"] < "2026-05-01"}  # fmt: skip
    assert march == {("GBP", "2026-04-06"), ("EUR", "2026-04-07")}

    doctored = copy.deepcopy(books)
    gb = next(i for i in doctored.invoices if i["invoiceDate"] == "2026-04-06")
    gb["invoiceDate"] = date(2026, 4, 7).isoformat()  # the first entity's day
    gb["dueDate"] = date.fromordinal(date.fromisoformat(gb["dueDate"]).toordinal() + 1).isoformat()
    verdict = judge(result.record.scenario, result.record.truth, doctored, result.record.facts)
    found = {(v.invariant, v.detail.split(":")[0]) for v in verdict.report.violations}
    assert found == {("documents", "invoice_date")}
    assert any("GB01's own calendar" in v.detail for v in verdict.report.violations)
