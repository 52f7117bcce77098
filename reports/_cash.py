"""Cash, tax and FX for a finance reader: receivables, DSO and AR aging per currency, invoiced
to paid, disputes and credit notes (metrics.json's `cash` and `credit_notes`), tax billed against
tax committed in the tax engine (books), expenses converted between currencies (`fx`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports import _format as fmt
from reports._files import dec
from reports._money import money
from reports._run import Run

AGING = {
    "not_due": "Not yet due",
    "1_30": "1–30 days overdue",
    "31_60": "31–60",
    "61_90": "61–90",
    "over_90": "Over 90",
}
_ZERO = Decimal(0)


def cash(run: Run) -> dict[str, Any] | None:
    """Receivables per currency with DSO and aging buckets that add up to the receivables."""
    section = run.section("cash")
    per_currency = section.get("by_currency")
    if not isinstance(per_currency, dict) or not per_currency:
        return None
    rows = []
    for currency, c in sorted(per_currency.items()):
        aging = c.get("aging") or {}
        buckets = [dec(aging.get(k)) for k in AGING]
        receivables = dec(c.get("receivables"))
        dso = c.get("dso_days")
        rows.append(
            {
                "currency": currency,
                "invoiced": money(dec(c.get("invoiced")), currency),
                "collected": money(dec(c.get("collected")), currency),
                "receivables": money(receivables, currency),
                "dso": f"{dso:,.1f} days" if isinstance(dso, int | float) else "—",
                "aging": [money(b, currency) for b in buckets],
                "overdue": any(buckets[1:]),
                "adds_up": sum(buckets, _ZERO) == receivables,
            }
        )
    paid = section.get("invoiced_to_paid_hours") or {}
    credits = run.section("credit_notes")
    return {
        "rows": rows,
        "aging_columns": list(AGING.values()),
        "disputes": fmt.count(section.get("disputes", 0)),
        "paid_count": fmt.count(paid.get("count")),
        "paid_p50": fmt.hours(paid.get("p50")),
        "paid_p95": fmt.hours(paid.get("p95")),
        "credit_notes": [
            {
                "currency": cur,
                "values": ", ".join(
                    f"{fmt.humanize(k)} {money(dec(v), cur)}" for k, v in sorted(vals.items())
                ),
            }
            for cur, vals in sorted(credits.items())
            if isinstance(vals, dict)
        ],
    }


def tax(run: Run) -> list[dict[str, Any]]:
    """Per currency: tax on posted invoices (less credit notes) against tax the engine holds as
    committed; a difference means tax was billed but not reported, or reported but not billed."""
    billed: dict[str, Decimal] = {}
    for invoice in run.records("invoices"):
        if invoice.get("status") != "Draft":
            cur = str(invoice.get("currencyCode"))
            billed[cur] = billed.get(cur, _ZERO) + dec(invoice.get("totalTaxAmount"))
    for memo in run.records("credit_memos"):
        if memo.get("status") != "Draft":
            cur = str(memo.get("currencyCode"))
            billed[cur] = billed.get(cur, _ZERO) - dec(memo.get("totalTaxAmount"))
    committed: dict[str, Decimal] = {}
    uncommitted: dict[str, int] = {}
    for doc in run.records("tax"):
        cur = str(doc.get("currencyCode"))
        if doc.get("status") == "Committed":
            sign = -1 if "Return" in str(doc.get("type", "")) else 1
            committed[cur] = committed.get(cur, _ZERO) + sign * dec(doc.get("totalTax"))
        elif doc.get("status") != "Cancelled":
            uncommitted[cur] = uncommitted.get(cur, 0) + 1
    if not billed and not committed:
        metric = run.section("tax")  # older folders: the metrics' figure alone
        return [
            {"currency": c, "billed": money(dec(v), c), "committed": "—", "difference": "—",
             "bad": False, "uncommitted": "—"}
            for c, v in sorted(metric.items())
        ]  # fmt: skip
    rows = []
    for cur in sorted(set(billed) | set(committed)):
        diff = billed.get(cur, _ZERO) - committed.get(cur, _ZERO)
        rows.append(
            {
                "currency": cur,
                "billed": money(billed.get(cur, _ZERO), cur),
                "committed": money(committed.get(cur, _ZERO), cur),
                "difference": money(diff, cur, signed=True),
                "bad": diff != 0,
                "uncommitted": fmt.count(uncommitted.get(cur, 0)),
            }
        )
    return rows


def fx(run: Run) -> dict[str, Any]:
    """Expenses paid in one currency and billed in another, and the rates used for totals."""
    rows = []
    for cur, values in sorted(run.section("fx").items()):
        if not isinstance(values, dict):
            continue
        paid = values.get("paid_in") or {}
        rows.append(
            {
                "currency": cur,
                "billed": money(dec(values.get("billed")), cur),
                "paid_in": ", ".join(money(dec(v), k) for k, v in sorted(paid.items())),
            }
        )
    converter = run.converter
    currencies = sorted(run.section("amounts"))
    return {
        "rows": rows,
        "reporting": converter.reporting,
        "rates": [converter.describe(c) for c in currencies if c != converter.reporting],
        "published": len(run.book("fx_rates")),
    }
