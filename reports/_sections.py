"""Turn a read run into the sections of the report: plain values, ready to print."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports import _format as fmt
from reports._charts import cycle_chart, monthly_chart
from reports._items import ItemSummary, MonthTotals
from reports._money import money
from reports._run import Run

# The oracle's verdicts, in reading order, with what each means for the firm.
OUTCOMES = {
    "correct": ("Billed correctly", "Billed exactly once, at the right amount and currency."),
    "leaked": (
        "Leaked",
        "Approved and billable but never invoiced by the end of the run: lost revenue.",
    ),
    "duplicated": (
        "Duplicated",
        "Billed more than once: the client was overcharged and will dispute the invoice.",
    ),
    "misbilled": (
        "Mis-billed",
        "Billed at the wrong amount: wrong rate version, rounding, tax or currency.",
    ),
    "held": (
        "Held",
        "Not billed on purpose (for example a missing purchase order) and visible in the "
        "exception queue with its reason: explained, not leaked.",
    ),
}
AMOUNT_COLUMNS = {
    "billable": "Billable",
    "invoiced": "Invoiced",
    "correct": "Billed correctly",
    "leaked": "Leaked",
    "duplicated": "Duplicated",
    "misbilled": "Mis-billed",
}
CAUSE_GROUPS = {"misbilled_by_cause": "Mis-billed", "leaked_by_cause": "Leaked"}


def about(run: Run) -> dict[str, Any]:
    """Which scenario, seed, design and period the run covers."""
    metrics, period = run.metrics, run.section("period")
    options = run.section("options")
    simulation = run.section("simulation")
    return {
        "scenario": str(metrics.get("scenario") or run.path.name),
        "seed": metrics.get("seed", fmt.DASH),
        "design": str(metrics.get("design") or fmt.DASH),
        "options": ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "defaults",
        "start": period.get("start", fmt.DASH),
        "end": period.get("end", fmt.DASH),
        "run_until": period.get("run_until"),
        "trace_sha256": metrics.get("trace_sha256"),
        "events": fmt.count(simulation.get("events")) if "events" in simulation else None,
    }


def key_figures(run: Run) -> list[dict[str, str]]:
    """The handful of numbers a finance reader looks at first."""
    items = run.section("items")
    accuracy = run.section("accuracy")
    invoices = run.section("invoices")
    lines = invoices.get("lines")
    return [
        {"label": "Billable items", "value": fmt.count(items.get("billable")), "note": ""},
        {
            "label": "Accuracy by count",
            "value": fmt.percent(accuracy.get("by_count")),
            "note": "share of items billed correctly",
        },
        {
            "label": "Accuracy by amount",
            "value": fmt.percent(accuracy.get("by_amount")),
            "note": "of the value due, billed correctly: the lowest currency's share",
        },
        {
            "label": "Invoices",
            "value": fmt.count(invoices.get("count")),
            "note": f"{fmt.count(lines)} lines" if lines is not None else "",
        },
    ]


def outcomes(run: Run) -> list[dict[str, Any]]:
    """Items per verdict, known verdicts first, then any new ones the simulator adds."""
    items = run.section("items")
    names = [n for n in OUTCOMES if n in items]
    names += sorted(n for n in items if n not in OUTCOMES and n != "billable")
    rows = []
    for name in names:
        label, meaning = OUTCOMES.get(name, (fmt.humanize(name), ""))
        value = items[name]
        bad = name not in ("correct", "held") and isinstance(value, int) and value > 0
        rows.append({"label": label, "count": fmt.count(value), "meaning": meaning, "bad": bad})
    return rows


def amounts(run: Run) -> dict[str, Any]:
    """Amounts per currency: columns known first, then any extra ones."""
    per_currency = {c: v for c, v in sorted(run.section("amounts").items()) if isinstance(v, dict)}
    seen = {key for values in per_currency.values() for key in values}
    keys = [k for k in AMOUNT_COLUMNS if k in seen] + sorted(seen - set(AMOUNT_COLUMNS))
    rows = []
    for currency, values in per_currency.items():
        cells = []
        for key in keys:
            amount = fmt.to_decimal(values.get(key))
            bad = key in ("leaked", "duplicated", "misbilled") and bool(amount)
            cells.append({"text": fmt.money(values.get(key)), "bad": bad})
        rows.append({"currency": currency, "cells": cells})
    return {"columns": [AMOUNT_COLUMNS.get(k, fmt.humanize(k)) for k in keys], "rows": rows}


def causes(run: Run) -> list[dict[str, str]]:
    """Non-zero counts of leaked and mis-billed items by cause."""
    rows = []
    for section, group in CAUSE_GROUPS.items():
        for cause, value in sorted(run.section(section).items()):
            if value:
                rows.append(
                    {"group": group, "cause": fmt.cause_label(cause), "count": fmt.count(value)}
                )
    return rows


def monthly(items: ItemSummary | None) -> list[dict[str, Any]]:
    """Per currency: the billable-vs-invoiced chart and the numbers behind it."""
    if items is None:
        return []
    sections = []
    for currency, months in items.by_month.items():
        rows = []
        for month in fmt.month_range(list(months)):
            totals = months.get(month, MonthTotals())
            gap = totals.invoiced + totals.held - totals.billable  # held is explained
            rows.append(
                {
                    "month": fmt.month_label(month),
                    "billable": money(totals.billable, currency),
                    "invoiced": money(totals.invoiced, currency),
                    "held": money(totals.held, currency),
                    "gap": money(gap, currency, signed=True),
                    "bad": gap != 0,
                }
            )
        billable = sum((t.billable for t in months.values()), Decimal(0))
        invoiced = sum((t.invoiced for t in months.values()), Decimal(0))
        held = sum((t.held for t in months.values()), Decimal(0))
        sections.append(
            {
                "currency": currency,
                "chart": monthly_chart(currency, months),
                "rows": rows,
                "total_billable": money(billable, currency),
                "total_invoiced": money(invoiced, currency),
                "total_held": money(held, currency),
                "total_gap": money(invoiced + held - billable, currency, signed=True),
            }
        )
    return sections


def cycle_times(run: Run) -> dict[str, Any]:
    """The cycle-time histogram (from items) and percentile table (from metrics)."""
    rows = []
    for stage, stats in run.section("cycle_times_hours").items():
        stats = stats if isinstance(stats, dict) else {}
        rows.append(
            {
                "stage": fmt.stage_label(stage),
                "count": fmt.count(stats.get("count")),
                **{p: fmt.hours(stats.get(p)) for p in ("p50", "p95", "p99")},
            }
        )
    items = run.items
    return {
        "chart": cycle_chart(items.cycle_hours) if items is not None else None,
        "has_items": items is not None,
        "rows": rows,
    }


def problems(items: ItemSummary | None) -> dict[str, Any] | None:
    """The first items that were not billed correctly, to start an investigation from."""
    if items is None:
        return None
    rows = [
        {
            "source_id": p.source_id,
            "kind": fmt.humanize(p.kind),
            "contract": p.contract,
            "month": fmt.month_label(p.month),
            "verdict": OUTCOMES.get(p.verdict, (fmt.humanize(p.verdict), ""))[0],
            "explained": p.verdict == "held",
            "cause": fmt.cause_label(p.cause) if p.cause else "",
            "expected": _amount(p.currency, p.expected_amount),
            "billed": _amount(p.currency, p.billed_amount) if p.billed_amount else "not billed",
            "times": p.times_billed or "0",
        }
        for p in items.problems
    ]
    return {"rows": rows, "total": items.problem_rows, "hidden": items.problem_rows - len(rows)}


def api_calls(run: Run) -> dict[str, Any]:
    """Calls per vendor and their share; a vendor's value may be a number or an object of counts."""
    calls = run.section("api_calls")
    totals = {v: _calls(value) for v, value in sorted(calls.items())}
    grand = sum(totals.values())
    rows = [
        {
            "vendor": fmt.vendor_label(vendor),
            "calls": fmt.count(total),
            "share": fmt.share(total, grand),
        }
        for vendor, total in totals.items()
    ]
    per_item = run.metrics.get("calls_per_billable_item")
    return {
        "rows": rows,
        "total": fmt.count(grand) if rows else None,
        "per_item": f"{per_item:,.2f}" if isinstance(per_item, int | float) else None,
    }


def _amount(currency: str, value: str) -> str:
    amount = fmt.to_decimal(value)
    return money(amount, currency) if amount is not None else value


def _calls(value: object) -> int:
    if isinstance(value, dict):
        value = value.get("calls", value.get("total", 0))
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
