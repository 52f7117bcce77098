"""Orphan drafts: an ERP invoice left unposted whose items another, posted invoice already
bills. Nobody has been charged twice yet, but the ERP now holds a second invoice for the same
work, one month-end "post all drafts" away from a double charge: a silent inconsistency the
oracle calls out, and counts the items as duplicated (cause ``duplicate_draft``)."""

from __future__ import annotations

from typing import Any

from sim.oracle._items import OracleReport, Violation

__all__ = ["check_orphan_drafts"]


def check_orphan_drafts(invoices: list[dict[str, Any]], report: OracleReport) -> None:
    on_drafts: dict[str, list[str]] = {}
    for invoice in invoices:
        if invoice["status"] != "Draft":
            continue
        for line in invoice.get("salesInvoiceLines", []):
            for source in line.get("sourceItemIds") or []:
                on_drafts.setdefault(source, []).append(invoice["number"])
    if not on_drafts:
        return
    for verdict in report.items:
        drafts = on_drafts.get(verdict.source_id)
        if drafts is None or verdict.times_billed < 1 or verdict.verdict == "duplicated":
            continue
        verdict.verdict, verdict.cause = "duplicated", "duplicate_draft"
        report.violations.append(
            Violation(
                "no_duplicates",
                verdict.source_id,
                f"billed once and again on unposted draft(s) {', '.join(sorted(set(drafts)))}",
            )
        )
