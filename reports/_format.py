"""Formatting for a finance reader: money stays `Decimal`, labels are plain words."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation

DASH = "—"

_KIND_LABELS = {
    "time_entry": "Time entries",
    "billing_milestone": "Milestones",
    "expense": "Expenses",
    "credit": "Service credits",
    "adjustment": "Adjustments",
}

_STAGE_LABELS = {
    "contract_executed_to_project_active": "Contract executed → project active",
    "time_approved_to_invoiced": "Time approved → invoiced",
    "milestone_accepted_to_invoiced": "Milestone accepted → invoiced",
    "expense_approved_to_invoiced": "Expense approved → invoiced",
    "invoiced_to_paid": "Invoiced → paid",
}

_CAUSE_LABELS = {
    "rate_version": "Wrong rate version",
    "rounding": "Rounding",
    "currency": "Wrong currency",
    "amount": "Wrong amount",
    "tax": "Wrong tax",
    "never_invoiced": "Never invoiced",
    "missing_po": "Missing purchase order",
    "unapproved_subcontractor_cost": "Unapproved subcontractor cost",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VENDOR_LABELS = {"payments": "Payments", "tax": "Tax"}


def humanize(name: str) -> str:
    """`no_duplicates` -> `No duplicates`."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def kind_order(kind: str) -> tuple[int, str]:
    """Sort key: known kinds in their usual order (time first), then new kinds by name."""
    known = list(_KIND_LABELS)
    return (known.index(kind), "") if kind in known else (len(known), kind)


def kind_label(kind: str) -> str:
    """Plain plural name of a billable source-item kind."""
    return _KIND_LABELS.get(kind, humanize(kind))


def stage_label(stage: str) -> str:
    """Plain name of a cycle-time stage such as `time_approved_to_invoiced`."""
    if stage in _STAGE_LABELS:
        return _STAGE_LABELS[stage]
    start, sep, end = stage.partition("_to_")
    return f"{humanize(start)} → {end.replace('_', ' ')}" if sep else humanize(stage)


def cause_label(cause: str) -> str:
    """Plain name of a leakage, mis-billing or hold cause."""
    return _CAUSE_LABELS.get(cause, humanize(cause))


def share(part: int, whole: int) -> str:
    """`part` as a whole-number percentage of `whole`; `<1%` rather than a misleading `0%`."""
    if not whole:
        return DASH
    if 0 < part < whole / 100:
        return "<1%"
    return f"{part / whole:.0%}"


def vendor_label(vendor: str) -> str:
    """`crm` -> `CRM`; longer names are capitalised."""
    return _VENDOR_LABELS.get(vendor, vendor.upper() if len(vendor) <= 4 else humanize(vendor))


def to_decimal(value: object) -> Decimal | None:
    """A decimal string (or int) as `Decimal`; None when absent or not a number."""
    if value is None or value == "" or isinstance(value, bool | float):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: object, signed: bool = False) -> str:
    """`"1234567.50"` -> `"1,234,567.50"`, keeping the currency's minor units as written."""
    amount = to_decimal(value)
    if amount is None:
        return DASH if value in (None, "") else str(value)
    return f"{amount:+,}" if signed else f"{amount:,}"


def count(value: object) -> str:
    """An integer count with thousands separators."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return DASH if value is None else str(value)


def percent(value: object) -> str:
    """A 0..1 ratio as a percentage, rounded down so that only exactly 1 shows as 100%."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return DASH
    ratio = Decimal(repr(value)) * 100
    return f"{ratio.quantize(Decimal('0.01'), rounding=ROUND_FLOOR)}%"


def hours(value: object) -> str:
    """A duration in hours, with days alongside when it runs past two days."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return DASH
    text = f"{value:,.1f} h" if value >= 1 else f"{value * 60:,.1f} min"
    return f"{text} ({value / 24:,.1f} d)" if value >= 48 else text


def parse_month(month: str) -> tuple[int, int] | None:
    """`"2026-03"` -> `(2026, 3)`; None when not a YYYY-MM month."""
    year, _, mon = month.partition("-")
    if len(year) == 4 and year.isdigit() and mon.isdigit() and 1 <= int(mon) <= 12:
        return int(year), int(mon)
    return None


def month_label(month: str, sep: str = " ") -> str:
    """`"2026-03"` -> `"Mar 2026"`; anything else as given."""
    parsed = parse_month(month)
    return f"{_MONTHS[parsed[1] - 1]}{sep}{parsed[0]}" if parsed else month


def month_range(months: list[str]) -> list[str]:
    """All months from the first to the last of sorted YYYY-MM keys, so gaps show as empty."""
    parsed = [parse_month(m) for m in months]
    first, last = (parsed[0], parsed[-1]) if parsed else (None, None)
    if first is None or last is None or any(p is None for p in parsed):
        return months
    (y0, m0), (y1, m1) = first, last
    span = (y1 - y0) * 12 + (m1 - m0)
    return [f"{y0 + (m0 - 1 + i) // 12:04d}-{(m0 - 1 + i) % 12 + 1:02d}" for i in range(span + 1)]
