"""The headline: do the invariants hold, and if not, what each violation means in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports._format import humanize

VIOLATION_LIMIT = 20  # the groups by cause come first; these rows are for tracing

# What each invariant promises, in a finance reader's words. Unknown names fall back to the name.
_MEANINGS = {
    "no_duplicates": (
        "No duplicate billing",
        "An item was billed more than once: the client was invoiced twice for the same work.",
    ),
    "no_misbilling": (
        "No mis-billing",
        "An item was billed at the wrong amount: wrong rate version, rounding, tax or currency.",
    ),
    "no_leakage": (
        "No leakage",
        "Approved, billable work was never invoiced and no exception explains why: lost revenue.",
    ),
    "receivables_balance": (
        "Receivables reconcile",
        "ERP receivables do not equal invoices minus credits minus payments.",
    ),
    "audit_trail": (
        "Every invoice line is traceable",
        "An invoice line cannot be traced to a contract version and its source items.",
    ),
}
_ALIASES = {
    "no_duplicate": "no_duplicates",
    "no_misbilled": "no_misbilling",
    "no_mis_billing": "no_misbilling",
    "zero_leakage": "no_leakage",
    "leakage_zero": "no_leakage",
    "no_leaks": "no_leakage",
    "receivables": "receivables_balance",
    "receivables_reconcile": "receivables_balance",
    "traceability": "audit_trail",
    "lines_traceable": "audit_trail",
}


@dataclass(frozen=True)
class Violation:
    """One broken invariant on one item, explained."""

    invariant: str
    title: str
    meaning: str
    item: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The report's headline."""

    status: str  # "pass" | "fail" | "unknown"
    title: str
    summary: str
    violations: list[Violation]
    total_violations: int

    @property
    def hidden_violations(self) -> int:
        """Violations counted but not listed (the list is capped)."""
        return self.total_violations - len(self.violations)


def explain(invariant: str) -> tuple[str, str]:
    """Plain title and meaning of an invariant name."""
    key = invariant.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in _MEANINGS:
        return _MEANINGS[key]
    return humanize(invariant), f"The invariant “{humanize(invariant).lower()}” did not hold."


def broken(titles: list[str]) -> str:
    """The sentence naming the broken invariants: 'Invariant broken: no leakage.' or
    'Invariants broken: cash application, no duplicate billing.' (sorted, no repeats)."""
    names = sorted({t.lower() for t in titles if t}) or ["unnamed invariants"]
    return f"Invariant{'s' if len(names) != 1 else ''} broken: {', '.join(names)}."


def verdict(invariants: dict[str, Any]) -> Verdict:
    """The headline from the `invariants` section of the metrics (empty when not checked)."""
    raw = invariants.get("violations")
    entries = [v for v in raw if isinstance(v, dict)] if isinstance(raw, list) else []
    ok = invariants.get("ok")
    listed = [_violation(entry) for entry in entries[:VIOLATION_LIMIT]]
    if entries:
        n = len(entries)
        names = sorted({v.get("invariant", "") for v in entries if v.get("invariant")})
        return Verdict(
            status="fail",
            title=f"{n:,} invariant violation{'s' if n != 1 else ''}",
            summary=broken([explain(name)[0] for name in names]),
            violations=listed,
            total_violations=n,
        )
    if ok is False:
        return Verdict(
            "fail", "Invariants do not hold", "The run recorded a failure but no details.", [], 0
        )
    if ok is True:
        return Verdict(
            "pass",
            "All invariants hold",
            "The oracle checked the run against every invariant and found none broken.",
            [],
            0,
        )
    return Verdict("unknown", "Invariants not checked", "This run has no invariant results.", [], 0)


def _violation(entry: dict[str, Any]) -> Violation:
    name = str(entry.get("invariant") or "unnamed")
    title, meaning = explain(name)
    return Violation(
        invariant=name,
        title=title,
        meaning=meaning,
        item=str(entry.get("item") or ""),
        detail=str(entry.get("detail") or ""),
    )
