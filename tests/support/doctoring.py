"""Tampering with a live world's ERP after a run (the oracle's doctored tests)."""

from __future__ import annotations

from typing import Any

__all__ = ["open_lines"]


def open_lines(document: dict[str, Any], field: str = "salesInvoiceLines") -> list[dict[str, Any]]:
    """The document's lines as plain line records, put back in the document in place of the
    columns the ERP mock keeps (``mocks._erp_line_columns`` rebuilds its records on every read, so
    an edit to one it handed out would be lost): what a doctor edits, appends or removes
    stays in the ERP's books."""
    lines = list(document[field])
    document[field] = lines
    return lines
