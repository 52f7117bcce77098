"""Money first: what is at risk, per currency and in one reporting currency; where every
billable amount went (a table whose rows add up); violations grouped by invariant and cause.

Everything here comes from `items.csv` (one row per billable item, expected and billed amounts)
rather than from the metrics' per-currency amounts, because the metrics count a duplicate by its
excess only (zero for a duplicate left as a draft) and so cannot be made to add up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from reports import _format as fmt
from reports._items import Group, ItemSummary
from reports._money import money, total_converted
from reports._run import Run
from reports._verdict import explain

_ZERO = Decimal(0)
# Each verdict, the invariant it breaks, and the label of its column in the reconciliation.
VERDICTS = {
    "correct": (None, "Billed correctly"),
    "leaked": ("no_leakage", "Leaked (not billed)"),
    "duplicated": ("no_duplicates", "Duplicated items"),
    "misbilled": ("no_misbilling", "Mis-billed items"),
    "held": (None, "Held, explained"),
}
RISK_LABELS = {
    ("leaked", ""): "Revenue not billed (leaked)",
    ("duplicated", "billed_more_than_once"): "Overcharged: billed more than once",
    ("duplicated", "duplicate_draft"): "Waiting on duplicate drafts (not yet charged)",
    ("misbilled", ""): "Billed at the wrong amount (difference)",
}
TOP_CONTRACTS = 3


def _by_currency(items: ItemSummary) -> dict[str, dict[str, Group]]:
    """currency -> verdict -> the verdict's groups merged over causes."""
    out: dict[str, dict[str, Group]] = {}
    for (currency, verdict, _cause), group in items.groups.items():
        merged = out.setdefault(currency, {}).setdefault(verdict, Group())
        merged.count += group.count
        merged.expected += group.expected
        merged.billed += group.billed
        merged.at_risk += group.at_risk
    return out


def at_risk_by_currency(items: ItemSummary) -> dict[str, Decimal]:
    """currency -> money at risk (leaked + overcharged + on duplicate drafts + mis-billed)."""
    totals: dict[str, Decimal] = {}
    for (currency, _verdict, _cause), group in items.groups.items():
        totals[currency] = totals.get(currency, _ZERO) + group.at_risk
    return dict(sorted(totals.items()))


def banner(run: Run) -> dict[str, Any] | None:
    """The headline money: at risk per currency, its total in the reporting currency, and what
    is held on purpose (explained, not at risk)."""
    items = run.items
    if items is None:
        return None
    risk = at_risk_by_currency(items)
    held = {
        c: sum((v.expected for k, v in verdicts.items() if k == "held"), _ZERO)
        for c, verdicts in _by_currency(items).items()
    }
    converter = run.converter
    total, missing = total_converted(risk, converter)
    rows = []
    for currency, amount in risk.items():
        converted = converter.convert(amount, currency)
        rows.append(
            {
                "currency": currency,
                "at_risk": money(amount, currency),
                "bad": amount > 0,
                "converted": money(converted, converter.reporting)
                if converted is not None
                else "no rate in the run",
                "held": money(held.get(currency, _ZERO), currency),
                "kinds": _risk_kinds(items, currency),
            }
        )
    return {
        "rows": rows,
        "any": any(risk.values()),
        "total": money(total, converter.reporting),
        "reporting": converter.reporting,
        "missing": missing,
        "rates": [converter.describe(c) for c in risk if c != converter.reporting],
    }


def _risk_kinds(items: ItemSummary, currency: str) -> list[str]:
    parts: dict[str, Decimal] = {}
    for (cur, verdict, cause), group in items.groups.items():
        if cur != currency or not group.at_risk:
            continue
        label = RISK_LABELS.get((verdict, cause)) or RISK_LABELS.get((verdict, ""), verdict)
        parts[label] = parts.get(label, _ZERO) + group.at_risk
    return [f"{label}: {money(Decimal(v), currency)}" for label, v in parts.items()]


def reconciliation(run: Run) -> dict[str, Any] | None:
    """Per currency: billable = correct + leaked + duplicated + mis-billed + held, each at its
    expected amount, with a check that the row adds up; then what was billed and the difference."""
    items = run.items
    if items is None:
        return None
    rows = []
    for currency, verdicts in _by_currency(items).items():
        expected = {v: verdicts[v].expected if v in verdicts else _ZERO for v in VERDICTS}
        extra = {v: g.expected for v, g in verdicts.items() if v not in VERDICTS}
        billable = sum((g.expected for g in verdicts.values()), _ZERO)
        parts = sum(expected.values(), _ZERO) + sum(extra.values(), _ZERO)
        billed = sum((g.billed for g in verdicts.values()), _ZERO)
        rows.append(
            {
                "currency": currency,
                "billable": money(billable, currency),
                "cells": [
                    {
                        "text": money(expected[v], currency),
                        "bad": v in ("leaked", "duplicated", "misbilled") and bool(expected[v]),
                    }
                    for v in VERDICTS
                ],
                "other": money(sum(extra.values(), _ZERO), currency) if extra else None,
                "adds_up": parts == billable,
                "billed": money(billed, currency),
                "difference": money(
                    billed - billable + expected["leaked"] + expected["held"], currency, signed=True
                ),
                "values": {
                    "billable": billable,
                    **expected,
                    "other": sum(extra.values(), _ZERO),
                    "billed": billed,
                },
            }
        )
    return {"columns": [label for _, label in VERDICTS.values()], "rows": rows}


def violation_groups(run: Run) -> list[dict[str, Any]]:
    """Item violations grouped by invariant and cause, largest money first, with counts, the
    amount at risk per currency and the contracts with the most at stake."""
    items = run.items
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    if items is not None:
        for (currency, verdict, cause), group in items.groups.items():
            invariant = VERDICTS.get(verdict, (None, ""))[0]
            if invariant is None:
                continue
            entry = groups.setdefault(
                (invariant, cause),
                {"count": 0, "amounts": {}, "contracts": defaultdict(Decimal), "risk": {}},
            )
            entry["count"] += group.count
            entry["risk"][currency] = entry["risk"].get(currency, _ZERO) + group.at_risk
            for contract, amount in group.contracts.items():
                entry["contracts"][(contract, currency)] += amount
    out: list[dict[str, Any]] = []
    for (invariant, cause), entry in groups.items():
        converted, _ = total_converted(entry["risk"], run.converter)
        top = sorted(entry["contracts"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CONTRACTS]
        out.append(
            {
                "invariant": invariant,
                "title": _invariant_title(invariant),
                "cause": fmt.cause_label(cause) if cause else "—",
                "count": fmt.count(entry["count"]),
                "amounts": ", ".join(money(a, c) for c, a in sorted(entry["risk"].items())),
                "sort": converted,
                "contracts": ", ".join(f"{k} ({money(Decimal(v), c)})" for (k, c), v in top),
            }
        )
    out.sort(key=lambda g: (-g["sort"], g["invariant"], g["cause"]))
    out += _other_invariants(run)
    return out


def _invariant_title(name: str) -> str:
    return explain(name)[0]


def _other_invariants(run: Run) -> list[dict[str, Any]]:
    """Violations not about one billable item (receivables, tax, cash): counted by invariant."""
    raw = run.section("invariants").get("violations")
    entries = [v for v in raw if isinstance(v, dict)] if isinstance(raw, list) else []
    item_level = {inv for inv, _ in VERDICTS.values() if inv}
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for entry in entries:
        name = str(entry.get("invariant") or "unnamed")
        if name in item_level:
            continue
        counts[name] += 1
        first.setdefault(name, f"{entry.get('item') or ''}: {entry.get('detail') or ''}")
    return [
        {
            "invariant": name,
            "title": _invariant_title(name),
            "cause": first[name],
            "count": fmt.count(n),
            "amounts": "—",
            "sort": _ZERO,
            "contracts": "",
        }
        for name, n in sorted(counts.items())
    ]
