"""Holds a vendor forced: items the core could not bill because a vendor broke its contract
(the ERP answering in its v2 shape) and never healed before the run ended. The core held them
and said why; the oracle counts them as held, not leaked. Only reasons the world confirms are
excused: a hold for a fault that was not in force is still a leak."""

from __future__ import annotations

from collections.abc import Iterable

from sim.oracle._items import OracleReport

__all__ = ["excuse_vendor_holds"]


def excuse_vendor_holds(report: OracleReport, reasons: Iterable[str]) -> int:
    """Turn leaks the core explained with one of ``reasons`` into holds; how many."""
    excused = {f"wrongly_held_{reason}": reason for reason in reasons}
    if not excused:
        return 0
    forgiven: set[str] = set()
    for verdict in report.items:
        if verdict.verdict == "leaked" and verdict.cause in excused:
            verdict.verdict, verdict.cause = "held", excused[verdict.cause]
            forgiven.add(verdict.source_id)
    report.violations = [
        v for v in report.violations if not (v.invariant == "no_leakage" and v.item in forgiven)
    ]
    return len(forgiven)
