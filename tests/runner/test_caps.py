"""Invoices within the vendors' caps (issue 14, "the 1,000-consultants-on-6-contracts case"),
at a reduced cap so a small firm's month outgrows it: the core splits the month into several
invoices, each its own ERP document, tax document and business key; the oracle, judging item by
item, finds every item billed exactly once, whatever fails in the middle of the series."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import Scenario

CAP = {"max_invoice_lines": "50"}


def _with_faults(scenario: Scenario, faults: dict[str, Any]) -> Scenario:
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["faults"] = faults
    return Scenario.model_validate(data)


def _holds_everything(result: RunResult) -> None:
    assert result.metrics["invariants"]["violations"] == []
    items = result.metrics["items"]
    assert items["leaked"] == 0 and items["duplicated"] == 0 and items["misbilled"] == 0
    assert items["correct"] == items["billable"] > 0


def _invoices(result: RunResult) -> list[dict[str, Any]]:
    return result.record.books.invoices


def _split_months(result: RunResult) -> Counter[tuple[str, str]]:
    """(contract, period) -> how many invoices the core posted for it."""
    lines = result.world.trace.content().decode().splitlines()
    posted = [json.loads(x) for x in lines if '"core.invoice_posted"' in x]
    return Counter((p["contract"], p["period"]) for p in posted)


@pytest.fixture(scope="module")
def capped(small: Scenario) -> RunResult:
    return run(small, seed=1, options=CAP)


def test_a_month_over_the_cap_is_split_and_billed_exactly_once(capped: RunResult) -> None:
    _holds_everything(capped)
    invoices = _invoices(capped)
    assert max(len(i["salesInvoiceLines"]) for i in invoices) <= 50
    assert max(_split_months(capped).values()) >= 2  # the cap did bite
    references = [i["customerPurchaseOrderReference"] for i in invoices]
    assert len(references) == len(set(references))  # each part has its own business key
    sources = [s for i in invoices for x in i["salesInvoiceLines"]
               for s in x.get("sourceItemIds") or ()]  # fmt: skip
    assert len(sources) == len(set(sources))  # every item on exactly one invoice


def test_each_part_has_its_own_tax_document(capped: RunResult) -> None:
    world = capped.world
    codes = [t["code"] for t in world.tax.transactions(world.tenant) if t["status"] == "Committed"]
    assert len(codes) == len(set(codes)) >= len(_invoices(capped))


def test_the_split_is_deterministic(small: Scenario, capped: RunResult) -> None:
    again = run(small, seed=1, options=CAP)
    assert again.world.trace.content() == capped.world.trace.content()


def _invoice_posts(small: Scenario) -> list[int]:
    """Which ERP POSTs of the capped clean run create an invoice (1-based), in order."""
    lines = run(small, seed=1, options=CAP).world.trace.content().decode().splitlines()
    posts = [json.loads(x)["path"] for x in lines if '"method":"POST"' in x
             and '"vendor":"erp"' in x and '"kind":"api"' in x]  # fmt: skip
    return [n for n, path in enumerate(posts, start=1) if path.endswith("/salesInvoices")]


@pytest.mark.parametrize("which", [1, 2, 3])
def test_a_crash_in_the_middle_of_a_split_series_duplicates_no_part(
    small: Scenario, which: int
) -> None:
    """The core dies right after the ERP made the 2nd (3rd, 4th) invoice of the series, before
    it saw the answer, and comes back from its store: it finds that part by its business key,
    makes the rest, and no part is made twice (no orphan draft either)."""
    nth = _invoice_posts(small)[which]
    faulty = _with_faults(
        small,
        {
            "crash": {
                "after_call": {"vendor": "erp", "method": "POST", "nth": nth},
                "downtime_minutes": 30,
            }
        },
    )
    result = run(faulty, seed=1, options=CAP)
    assert len(result.metrics["crashes"]) == 1
    _holds_everything(result)
    assert not [i for i in _invoices(result) if i["status"] == "Draft"]


def test_lost_answers_in_a_split_series_duplicate_no_part(small: Scenario) -> None:
    faulty = _with_faults(
        small, {"vendors": {"erp": {"lost_responses": {"rate": 0.5, "methods": ["POST"]}},
                            "tax": {"lost_responses": {"rate": 0.5, "methods": ["POST"]}}}},
    )  # fmt: skip
    result = run(faulty, seed=1, options=CAP)
    assert result.metrics["faults_fired"].get("lost_response", 0) > 0
    _holds_everything(result)
    assert max(_split_months(result).values()) >= 2


def test_a_cap_that_is_no_number_is_refused() -> None:
    from orchestrator.reference import option_problems

    assert option_problems({"max_invoice_lines": "0"}) and option_problems(
        {"max_invoice_lines": "many"}
    )
    assert option_problems({"max_invoice_lines": "50"}) == []
