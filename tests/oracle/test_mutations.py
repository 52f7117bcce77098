"""A mutation suite for the oracle: doctor one field of the posted books at a time, with an error
of known size, and the oracle must catch every one.

One honest run of the small firm (with expenses in INR marked up and rounded at each step,
service credits treated as compensation outside VAT on the EUR contract, a GBP credit larger
than April's charges that goes on a credit note, a milestone and a retroactive change order
settled by credit note and reissue, so that every kind of line and both kinds of credit note
exist) is judged once and must be clean. Then each mutation deep-copies the books, changes one
field (keeping every other figure consistent, as a careful forger would, where the field is an
amount) and judges again: the run must fail, and fail the check the mutation names
(``invariant`` or ``invariant:cause``, the cause being what a violation's detail starts with).
The share caught and the per-field table are printed (``pytest -s``); the share must be 100%.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sim.judge import judge
from sim.record.folder import RunRecord
from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.oracle.forgery import Mutation, _invoices
from tests.oracle.mutation_catalog import MUTATIONS
from tests.support.paths import SMALL

SEED = 3


def _scenario_text() -> str:
    text = Path(SMALL).read_text(encoding="utf-8")
    edits = [
        (
            "    milestones:\n      - {id: M1",
            "    expense_policy: {markup_percent: 10.00, rounding: each_step}\n"
            "    service_level: {credit_per_breach: 500.00, monthly_cap: 800.00,\n"
            "                    vat_treatment: compensation,\n"
            "                    breaches: [2026-03-10, 2026-03-20, 2026-04-14]}\n"
            "    milestones:\n      - {id: M1",
        ),
        (
            "        rates: {engineer: {GB: 95.25}}\n",
            "        rates: {engineer: {GB: 95.25}}\n"
            "      - {number: 2, effective: 2026-03-16, signed: 2026-04-10,\n"
            "         rates: {engineer: {GB: 99.75}}}\n"
            "    retro_settlement: credit_and_reissue\n"
            "    service_level: {credit_per_breach: 60000.00, monthly_cap: 60000.00,\n"
            "                    breaches: [2026-04-14]}\n",
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, f"small.yaml no longer holds {old!r} once"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> RunRecord:
    file = tmp_path_factory.mktemp("mutations") / "small-ledger.yaml"
    file.write_text(_scenario_text(), encoding="utf-8")
    result = run(load_scenario(file), SEED)
    assert result.metrics["invariants"] == {"ok": True, "violations": []}
    return result.record


def _checks(violations: list[Any]) -> list[str]:
    """Each violation as its invariant and as ``invariant:cause`` (the detail's first word,
    when it names a cause such as ``due_date`` or ``rate_version``)."""
    fired: set[str] = set()
    for v in violations:
        fired.add(v.invariant)
        cause = v.detail.split(":", 1)[0]
        if cause.replace("_", "").isalnum() and cause.islower() and " " not in cause:
            fired.add(f"{v.invariant}:{cause}")
    return sorted(fired)


@pytest.fixture(scope="module")
def caught(record: RunRecord) -> list[tuple[Mutation, list[str]]]:
    """Each mutation with the checks that caught it (empty: missed)."""
    table = []
    for mutation in MUTATIONS:
        books = copy.deepcopy(record.books)
        mutation.apply(books, record)
        assert books != record.books, f"{mutation.field}: {mutation.error} changed nothing"
        verdict = judge(record.scenario, record.truth, books, record.facts)
        table.append((mutation, _checks(verdict.report.violations) if not verdict.ok else []))
    width = max(len(m.field) + len(m.error) for m in MUTATIONS) + 3
    rows = [
        f"{m.field}: {m.error}".ljust(width)
        + (m.expect if m.expect in f else "MISSED" if not f else f"NOT {m.expect}: {f}")
        for m, f in table
    ]
    share = sum(1 for _, f in table if f) / len(table)
    print("\nmutation suite: field: error -> the check that caught it\n" + "\n".join(rows))
    print(f"caught {sum(1 for _, f in table if f)} of {len(table)} ({share:.0%})")
    return table


def test_every_mutation_is_caught(caught: list[tuple[Mutation, list[str]]]) -> None:
    missed = [f"{m.field}: {m.error}" for m, fired in caught if not fired]
    assert missed == [], f"the oracle missed {len(missed)} of {len(caught)}: {missed}"


def test_each_mutation_is_caught_by_the_check_it_names(
    caught: list[tuple[Mutation, list[str]]],
) -> None:
    """Caught for the right reason: a doctored due date is a due-date violation, not some
    other check that happened to fire."""
    wrong = [
        f"{m.field}: {m.error}: expected {m.expect}, got {fired}"
        for m, fired in caught
        if fired and m.expect not in fired
    ]
    assert wrong == []


def test_the_suite_covers_every_kind_of_line_and_the_credit_note(record: RunRecord) -> None:
    fields = {m.field.split(".")[0].split(" (")[0] for m in MUTATIONS}
    assert {"invoice", "line", "memo", "memo line", "credit note", "credit note line"} <= fields
    kinds = {line["sourceItemIds"][0].rsplit(":", 1)[0]
             for inv in _invoices(record.books) for line in inv["salesInvoiceLines"]}  # fmt: skip
    assert kinds == {"psa:time_entry", "psa:expense", "psa:billing_milestone", "clm:breach"}
