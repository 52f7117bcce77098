"""Read `items.csv` (one row per billable source item) into the totals the report needs.

The file can hold hundreds of thousands of rows, so it is read once, row by row, and only
aggregates are kept: amounts per currency and month, cycle hours per item kind, and the first
few items that were not billed correctly.
"""

from __future__ import annotations

import csv
import heapq
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
class Group:
    """Items of one currency with one verdict and cause: how many, and their money."""

    count: int = 0
    expected: Decimal = _ZERO  # what they should have been billed at
    billed: Decimal = _ZERO  # what posted invoices billed for them (all copies)
    at_risk: Decimal = _ZERO  # see `at_risk`
    contracts: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # contract -> at-risk amount (expected amount for held items)
    months: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    # contract|month -> the same


def at_risk(verdict: str, cause: str, expected: Decimal, billed: Decimal) -> Decimal:
    """Money the firm or its client stands to lose on one item, never negative.

    Leaked: the whole expected amount (revenue not billed). Duplicated: what was billed beyond
    the expected amount; for a duplicate left as an unposted draft (billed once, correctly, so
    far) the amount the draft would charge again. Mis-billed: the difference either way. Correct
    and held items (held on purpose, with a reason) put nothing at risk.
    """
    if verdict == "leaked":
        return expected
    if verdict == "duplicated":
        return expected if cause == "duplicate_draft" else max(billed - expected, _ZERO)
    if verdict == "misbilled":
        return abs(billed - expected)
    return _ZERO


@dataclass
class ItemSummary:
    """What the report needs from `items.csv`."""

    rows: int = 0
    by_month: dict[str, dict[str, MonthTotals]] = field(default_factory=dict)
    cycle_hours: dict[str, list[float]] = field(default_factory=dict)
    verdicts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)  # the largest amounts at risk first
    groups: dict[tuple[str, str, str], Group] = field(default_factory=dict)
    # (currency, verdict, cause) -> Group, for the money table and the causes
    leaks: defaultdict[tuple[str, str, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )
    # (currency, contract, approved_at) -> leaked amount: to find the billing run that missed them
    leak_counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

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
    largest: list[tuple[Decimal, int, Problem]] = []  # a min-heap of the largest at risk
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            try:
                _add_row(summary, by_month, cycles, largest, row)
            except (InvalidOperation, ValueError) as exc:
                raise RunFolderError(
                    f"{path}: line {reader.line_num} is malformed ({exc.__class__.__name__}: "
                    f"{exc}); expected decimal amounts and hours"
                ) from exc
    summary.by_month = {
        cur: dict(sorted(months.items())) for cur, months in sorted(by_month.items())
    }
    summary.cycle_hours = {kind: cycles[kind] for kind in sorted(cycles, key=kind_order)}
    summary.problems = [p for _, _, p in sorted(largest, key=lambda e: (-e[0], -e[1]))]
    summary.groups = dict(sorted(summary.groups.items()))
    return summary


def _add_row(
    summary: ItemSummary,
    by_month: defaultdict[str, defaultdict[str, MonthTotals]],
    cycles: defaultdict[str, list[float]],
    largest: list[tuple[Decimal, int, Problem]],
    row: dict[str, str],
) -> None:
    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    currency = get("currency") or "?"
    month = get("month") or get("work_date")[:7] or "unknown"
    verdict = get("verdict") or "unknown"
    kind = get("kind") or "unknown"
    expected = Decimal(get("expected_amount") or 0)
    billed = Decimal(get("billed_amount") or 0)
    cause = get("cause")
    totals = by_month[currency][month]
    totals.billable += expected
    totals.invoiced += billed
    if verdict == "held":
        totals.held += expected
    if get("cycle_hours"):
        cycles[kind].append(float(get("cycle_hours")))
    summary.rows += 1
    summary.verdicts[verdict] += 1
    risk = at_risk(verdict, cause, expected, billed)
    group = summary.groups.setdefault((currency, verdict, cause), Group())
    group.count += 1
    group.expected += expected
    group.billed += billed
    group.at_risk += risk
    contract = get("contract")
    if verdict != "correct":
        group.contracts[contract] += risk if risk else expected
        group.months[f"{contract}|{month}"] += risk if risk else expected
        if verdict == "leaked":
            summary.leaks[(currency, contract, get("approved_at"))] += expected
            summary.leak_counts[(currency, contract, get("approved_at"))] += 1
        problem = Problem(
            source_id=get("source_id"),
            kind=kind,
            contract=contract,
            currency=currency,
            month=month,
            verdict=verdict,
            cause=cause,
            expected_amount=get("expected_amount"),
            billed_amount=get("billed_amount"),
            times_billed=get("times_billed"),
        )
        entry = (risk, -summary.rows, problem)  # ties: the earlier row first
        if len(largest) < ATTENTION_LIMIT:
            heapq.heappush(largest, entry)
        elif entry[:2] > largest[0][:2]:
            heapq.heapreplace(largest, entry)
