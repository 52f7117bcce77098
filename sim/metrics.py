"""Run metrics: what a finance leader and an architect want to know about one run.

Everything here is computed from the oracle's verdicts, the ground truth and the vendors' own
records; nothing from the core's memory. Values are deterministic (no wall time): the same run
gives the same ``metrics.json``, byte for byte.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from sim.oracle import OracleReport
from sim.record.truth import GroundTruth
from sim.scenario.format import Scenario

__all__ = [
    "ITEM_COLUMNS",
    "cash_metrics",
    "cycle_stats",
    "exception_figures",
    "items_csv",
    "outage_recovery",
    "summarise",
    "write_items_csv",
]

VERDICTS = ("correct", "leaked", "duplicated", "misbilled", "held")
ITEM_COLUMNS = (
    "source_id",
    "kind",
    "contract",
    "currency",
    "work_date",
    "month",
    "expected_amount",
    "billed_amount",
    "times_billed",
    "verdict",
    "cause",
    "approved_at",
    "invoiced_at",
    "cycle_hours",
)


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 4)


def cycle_stats(samples: list[float]) -> dict[str, Any]:
    """Nearest-rank percentiles (p50/p95/p99) of hours; empty samples give nulls."""
    ordered = sorted(samples)

    def rank(p: int) -> float | None:
        if not ordered:
            return None
        return ordered[max(0, -(-p * len(ordered) // 100) - 1)]

    return {
        "count": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": ordered[-1] if ordered else None,
    }


def summarise(report: OracleReport, project_cycles: list[float]) -> dict[str, Any]:
    """The oracle-derived part of metrics.json."""
    items = report.items
    counts = {v: report.count(v) for v in VERDICTS}
    amounts: dict[str, dict[str, Decimal]] = {}
    for item in items:
        money = amounts.setdefault(
            item.currency,
            {
                k: Decimal(0)
                for k in (
                    "billable",
                    "invoiced",
                    "correct",
                    "leaked",
                    "duplicated",
                    "misbilled",
                    "held",
                )
            },
        )
        money["billable"] += item.expected
        money["invoiced"] += item.billed or Decimal(0)
        money[item.verdict] += (
            item.expected
            if item.verdict != "duplicated"
            else ((item.billed or Decimal(0)) - item.expected)
        )
    # Held items are not due yet (held on purpose, with a reason): accuracy is measured over
    # the items that were due for billing.
    ratios = [
        m["correct"] / (m["billable"] - m["held"])
        for m in amounts.values()
        if m["billable"] - m["held"]
    ]
    due = len(items) - counts["held"]
    by_cause: dict[str, Counter[str]] = {v: Counter() for v in ("misbilled", "leaked", "held")}
    for item in items:
        if item.verdict in by_cause:
            by_cause[item.verdict][item.cause] += 1
    time_cycles = [
        _hours(i.ready_at, i.invoiced_at)
        for i in items
        if i.kind == "time_entry" and i.ready_at and i.invoiced_at
    ]
    milestone_cycles = [
        _hours(i.ready_at, i.invoiced_at)
        for i in items
        if i.kind == "billing_milestone" and i.ready_at and i.invoiced_at
    ]
    by_kind: dict[str, dict[str, int]] = {}
    for item in items:
        kinds = [item.kind, "adjustment"] if item.resettled else [item.kind]
        for name in kinds:  # 'adjustment': items a retroactive change order re-settled
            kind = by_kind.setdefault(name, {"billable": 0, **dict.fromkeys(VERDICTS, 0)})
            kind["billable"] += 1
            kind[item.verdict] += 1
    violations = [
        {"invariant": v.invariant, "item": v.item, "detail": v.detail} for v in report.violations
    ]
    return {
        "invariants": {"ok": not violations, "violations": violations},
        "items": {"billable": len(items), **counts},
        "items_by_kind": by_kind,
        "accuracy": {
            "by_count": round(counts["correct"] / due, 6) if due else 1.0,
            "by_amount": float(round(min(ratios), 6)) if ratios else 1.0,
            "by_amount_note": "items due for billing (billable, not held with a reason); the "
            "lowest ratio of correctly billed to due amount across "
            "currencies (amounts are never summed across currencies)",
        },
        "amounts": {cur: {k: str(v) for k, v in m.items()} for cur, m in sorted(amounts.items())},
        "misbilled_by_cause": dict(sorted(by_cause["misbilled"].items())),
        "leaked_by_cause": dict(sorted(by_cause["leaked"].items())),
        "held_by_reason": dict(sorted(by_cause["held"].items())),
        "cycle_times_hours": {
            "contract_executed_to_project_active": cycle_stats(project_cycles),
            "time_approved_to_invoiced": cycle_stats(time_cycles),
            "milestone_accepted_to_invoiced": cycle_stats(milestone_cycles),
        },
        "invoices": {"count": report.invoices, "lines": report.lines},
    }


def items_csv(report: OracleReport) -> str:
    """One row per billable item: the oracle's verdict, for notebooks and the report."""
    out = io.StringIO()
    write_items_csv(report, out)
    return out.getvalue()


def write_items_csv(report: OracleReport, out: TextIO) -> None:
    """``items_csv`` written row by row into ``out`` (a file opened with ``newline=""``): a
    big run's verdicts make a file of a hundred megabytes, never held whole (issue 14)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    for i in report.items:
        cycle = _hours(i.ready_at, i.invoiced_at) if i.ready_at and i.invoiced_at else ""
        writer.writerow(
            [
                i.source_id,
                i.kind,
                i.contract,
                i.currency,
                i.day.isoformat(),
                i.day.strftime("%Y-%m"),
                i.expected,
                "" if i.billed is None else i.billed,
                i.times_billed,
                i.verdict,
                i.cause,
                i.ready_at.isoformat() if i.ready_at else "",
                i.invoiced_at.isoformat() if i.invoiced_at else "",
                cycle,
            ]
        )


def cash_metrics(
    invoices: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    period_start: date,
    end: datetime,
    disputes: int,
) -> dict[str, Any]:
    """Receivables, DSO and AR aging per currency at the end of the run, and how long invoices
    took to be paid in full (all from the ERP's own records)."""
    by_currency: dict[str, dict[str, Any]] = {}
    paid_at: dict[str, datetime] = {}
    for p in payments:
        if p["status"] == "Posted" and p.get("postedAt"):
            moment = datetime.fromisoformat(p["postedAt"])
            invoice = p["appliesToInvoiceId"]
            paid_at[invoice] = max(paid_at.get(invoice, moment), moment)
    cycles = []
    days = max(1, (end.date() - period_start).days)
    for inv in invoices:
        if inv["status"] not in ("Open", "Paid"):
            continue
        cur = by_currency.setdefault(inv["currencyCode"], {
            "invoiced": Decimal(0), "collected": Decimal(0), "receivables": Decimal(0),
            "aging": dict.fromkeys(("not_due", "1_30", "31_60", "61_90", "over_90"),
                                   Decimal(0))})  # fmt: skip
        remaining = Decimal(inv["remainingAmount"])
        cur["invoiced"] += Decimal(inv["totalAmountIncludingTax"])
        cur["receivables"] += remaining
        due = date.fromisoformat(inv.get("dueDate") or inv["invoiceDate"])
        late = (end.date() - due).days
        bucket = ("not_due" if late <= 0 else "1_30" if late <= 30 else "31_60" if late <= 60
                  else "61_90" if late <= 90 else "over_90")  # fmt: skip
        cur["aging"][bucket] += remaining
        if inv["status"] == "Paid" and inv["id"] in paid_at and inv.get("postedAt"):
            cycles.append(_hours(datetime.fromisoformat(inv["postedAt"]), paid_at[inv["id"]]))
    for p in payments:
        if p["status"] == "Posted":
            currency = next((i["currencyCode"] for i in invoices
                             if i["id"] == p["appliesToInvoiceId"]), None)  # fmt: skip
            if currency in by_currency:
                by_currency[currency]["collected"] += Decimal(p["amount"])
    result: dict[str, Any] = {}
    for currency, cur in sorted(by_currency.items()):
        dso = (
            float(round(cur["receivables"] / cur["invoiced"] * days, 1)) if cur["invoiced"] else 0.0
        )
        result[currency] = {
            "invoiced": str(cur["invoiced"]), "collected": str(cur["collected"]),
            "receivables": str(cur["receivables"]), "dso_days": dso,
            "aging": {k: str(v) for k, v in cur["aging"].items()},
        }  # fmt: skip
    return {"by_currency": result, "invoiced_to_paid_hours": cycle_stats(cycles),
            "disputes": disputes}  # fmt: skip


def _moment(text: str) -> datetime:
    """An ISO 8601 instant as written by the vendors and the core (``Z`` or an offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def exception_figures(
    log: list[dict[str, Any]], billing_runs: list[tuple[str, datetime]]
) -> dict[str, Any]:
    """Exceptions the core raised over the run, and at each month-end close (the end of the
    day of a period's last billing run, as the report's close table has it): how many were
    raised since the previous close and how many were still open at it.

    The log (the design's ``GET /exceptions``) lists exceptions in the order they were raised,
    and an exception's ``at`` moves forward when the core refreshes it; so an exception counts
    as raised no later than the earliest ``at`` from it to the end of the log (a lower bound on
    the open count when an exception was refreshed after a close it was open at)."""
    raised: list[datetime] = []
    earliest: datetime | None = None
    for entry in reversed(log):
        at = _moment(str(entry["at"]))
        earliest = at if earliest is None else min(earliest, at)
        raised.append(earliest)
    raised.reverse()
    resolved = [
        _moment(str(e["resolved_at"])) if e.get("status") == "resolved" and e.get("resolved_at")
        else None
        for e in log
    ]  # fmt: skip
    last_run: dict[str, datetime] = {}
    for period, moment in billing_runs:
        last_run[period] = max(last_run.get(period, moment), moment)
    closes: list[dict[str, Any]] = []
    previous: datetime | None = None
    for period, moment in sorted(last_run.items(), key=lambda pm: (pm[1], pm[0])):
        close = moment.replace(hour=23, minute=59, second=59, microsecond=0)
        open_now = sum(
            1
            for r, done in zip(raised, resolved, strict=True)
            if r <= close and (done is None or done > close)
        )
        closes.append(
            {
                "period": period,
                "at": close.isoformat(),
                "opened": sum(1 for r in raised if r <= close and (not previous or r > previous)),
                "open": open_now,
            }
        )
        previous = close
    return {
        "opened": len(log),
        "open_at_end": sum(1 for e in log if e.get("status", "open") == "open"),
        "at_closes": closes,
    }


RECOVERY_WINDOW = timedelta(hours=12)
"""A billing run this long before an outage began may still be invoicing when it starts."""


def outage_recovery(scenario: Scenario, truth: GroundTruth, report: OracleReport) -> dict[str, Any]:
    """How long billing took to catch up after each vendor outage (``(vendor, start, end)``,
    clipped to the moment faults heal): the items a billing run during the outage (or in the
    ``RECOVERY_WINDOW`` before it) had to invoice and had not invoiced when it began are its
    backlog; it has recovered when the last of them is invoiced, ``hours`` after its end (0
    when it held up no billing). Items held on purpose (with a reason the oracle accepts) are
    no backlog; one never invoiced (leaked, whatever the cause) means it never recovered:
    ``hours`` is null and ``recovered`` false. ``hours`` over the run is
    the longest recovery (null if one never recovered or there was no outage).

    An item is due at the first billing run of its month or a later one that comes after it
    was ready; runs are not told apart by legal entity (the truth does not say which a run
    billed), so an entity billed on another day may be counted due a day early."""
    runs = sorted((moment, period) for period, moment in truth.billing_runs)
    heal = _heal(scenario, truth)
    first_due: list[tuple[datetime, Any]] = []
    for item in report.items:
        if item.ready_at is None or item.verdict == "held":  # held on purpose, with a reason
            continue
        month = item.day.strftime("%Y-%m")
        due = next((m for m, p in runs if p >= month and m >= item.ready_at), None)
        if due is not None:
            first_due.append((due, item))
    rows: list[dict[str, Any]] = []
    for vendor, start, end in sorted(_outages(scenario), key=lambda o: (o[1], o[0])):
        if heal is not None:
            if start >= heal:
                continue
            end = min(end, heal)
        backlog = [
            item
            for due, item in first_due
            if start - RECOVERY_WINDOW <= due <= end
            and (item.invoiced_at is None or item.invoiced_at > start)
        ]
        never = [i for i in backlog if i.invoiced_at is None]
        last = max((i.invoiced_at for i in backlog if i.invoiced_at is not None), default=None)
        hours = None if never else (_hours(end, last) if last and last > end else 0.0)
        rows.append(
            {
                "vendor": vendor,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "backlog_items": len(backlog),
                "never_invoiced": len(never),
                "recovered_at": None if never or last is None else last.isoformat(),
                "hours": hours,
            }
        )
    recovered = all(r["hours"] is not None for r in rows) if rows else None
    longest = max((r["hours"] for r in rows), default=None) if recovered else None
    return {"outages": rows, "recovered": recovered, "hours": longest}


def _outages(scenario: Scenario) -> list[tuple[str, datetime, datetime]]:
    """Every vendor outage the scenario (as run, after any swarm draw) schedules."""
    return [
        (vendor, o.start, o.end)
        for vendor, faults in sorted(scenario.faults.vendors.items())
        for o in faults.outages
    ]


def _heal(scenario: Scenario, truth: GroundTruth) -> datetime | None:
    """From when no fault fires (as ``sim.world.world.heal_moment``): 00:00 on ``faults.heal``,
    else on the day after the last billing run; None when neither is known."""
    day = scenario.faults.heal
    if day is None and truth.billing_runs:
        day = max(m for _, m in truth.billing_runs).date() + timedelta(days=1)
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)
