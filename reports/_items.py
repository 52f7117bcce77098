"""Read `items.csv` (one row per billable source item) into the totals the report needs.

The file can hold hundreds of thousands of rows, so it is read once, row by row, and only
aggregates are kept: amounts per currency and month, cycle hours per item kind, and the first
few items that were not billed correctly.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from reports._errors import RunFolderError
from reports._format import kind_order

ATTENTION_LIMIT = 25
_ZERO = Decimal(0)


@dataclass
class MonthTotals:
    """Expected (billable) and billed amounts of the items of one month, in one currency."""

    billable: Decimal = _ZERO
    invoiced: Decimal = _ZERO
    held: Decimal = _ZERO  # billable but held on purpose (explained, not missing)


@dataclass(frozen=True)
class Problem:
    """An item that was not billed correctly (or was held on purpose)."""

    source_id: str
    kind: str
    contract: str
    currency: str
    month: str
    verdict: str
    cause: str
    expected_amount: str
    billed_amount: str
    times_billed: str


@dataclass
class ItemSummary:
    """What the report needs from `items.csv`."""

    rows: int = 0
    by_month: dict[str, dict[str, MonthTotals]] = field(default_factory=dict)
    cycle_hours: dict[str, list[float]] = field(default_factory=dict)
    verdicts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def invoiced_rows(self) -> int:
        """Items with a cycle time, i.e. invoiced at least once."""
        return sum(len(values) for values in self.cycle_hours.values())

    @property
    def problem_rows(self) -> int:
        """Items whose verdict is anything but correct."""
        return self.rows - self.verdicts.get("correct", 0)


def read_items(path: Path) -> ItemSummary:
    """Aggregate `items.csv`; raise `RunFolderError` naming the line of a malformed row."""
    summary = ItemSummary()
    by_month: defaultdict[str, defaultdict[str, MonthTotals]] = defaultdict(
        lambda: defaultdict(MonthTotals)
    )
    cycles: defaultdict[str, list[float]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            try:
                _add_row(summary, by_month, cycles, row)
            except (InvalidOperation, ValueError) as exc:
                raise RunFolderError(
                    f"{path}: line {reader.line_num} is malformed ({exc.__class__.__name__}: "
                    f"{exc}); expected decimal amounts and hours"
                ) from exc
    summary.by_month = {
        cur: dict(sorted(months.items())) for cur, months in sorted(by_month.items())
    }
    summary.cycle_hours = {kind: cycles[kind] for kind in sorted(cycles, key=kind_order)}
    return summary


def _add_row(
    summary: ItemSummary,
    by_month: defaultdict[str, defaultdict[str, MonthTotals]],
    cycles: defaultdict[str, list[float]],
    row: dict[str, str],
) -> None:
    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    currency = get("currency") or "?"
    month = get("month") or get("work_date")[:7] or "unknown"
    verdict = get("verdict") or "unknown"
    kind = get("kind") or "unknown"
    totals = by_month[currency][month]
    totals.billable += Decimal(get("expected_amount") or 0)
    totals.invoiced += Decimal(get("billed_amount") or 0)
    if verdict == "held":
        totals.held += Decimal(get("expected_amount") or 0)
    if get("cycle_hours"):
        cycles[kind].append(float(get("cycle_hours")))
    summary.rows += 1
    summary.verdicts[verdict] += 1
    if verdict != "correct" and len(summary.problems) < ATTENTION_LIMIT:
        summary.problems.append(
            Problem(
                source_id=get("source_id"),
                kind=kind,
                contract=get("contract"),
                currency=currency,
                month=month,
                verdict=verdict,
                cause=get("cause"),
                expected_amount=get("expected_amount"),
                billed_amount=get("billed_amount"),
                times_billed=get("times_billed"),
            )
        )
