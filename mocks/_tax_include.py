"""AvaTax's ``$include``: which nested parts of a transaction an answer carries.

AvaTax documents the values of ``$include`` on CommitTransaction (and CreateTransaction) as
"Lines", "Details (implies lines)", "Summary (implies details)", "Addresses", "SummaryOnly
(omit lines and details - reduces API response size)", "LinesOnly (omit details - reduces API
response size)" and "TaxDetailsByTaxType", several separated by commas (AvaTax REST v2
reference, operationId CommitTransaction, ../shared/vendor-specs/avatax.yaml; consulted
2026-12-07). A client that needs nothing of the answer (the core commits and reads nothing)
asks ``SummaryOnly``, and the engine builds, encodes and sends no line at all.

Where this reading is the mock's own (AvaTax does not say): without ``$include`` the answer
is complete (lines with details, and the summary), as this mock always answered; an omission
beats an inclusion (``SummaryOnly,Lines`` has no lines); ``Addresses`` is taken but adds
nothing (this mock answers no addresses); ``TaxDetailsByTaxType`` (not modelled) and any
value AvaTax does not document are refused with a 400 ``InvalidParameterValue`` naming
``$include``: AvaTax's answer to an unknown value is not documented, and a mock must not
accept what its vendor may refuse. Values are matched exactly as AvaTax spells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mocks._tax_errors import AvaTaxError, avatax_error

__all__ = ["COMPLETE", "LINES_ONLY", "Include", "included", "shown"]


@dataclass(frozen=True, slots=True)
class Include:
    """What an answer carries: its lines, their detail rows, the document's summary."""

    lines: bool
    details: bool
    summary: bool


COMPLETE = Include(lines=True, details=True, summary=True)
LINES_ONLY = Include(lines=True, details=False, summary=False)

# value -> (lines, details, summary) it asks for
_ASKS = {
    "Lines": (True, False, False),
    "Details": (True, True, False),
    "Summary": (True, True, True),
    "SummaryOnly": (False, False, True),
    "LinesOnly": (True, False, False),
    "Addresses": (False, False, False),
}
# value -> (lines, details) it omits
_OMITS = {"SummaryOnly": (True, True), "LinesOnly": (False, True)}


def included(raw: str | None) -> Include:
    """The parts ``raw`` (a ``$include`` query value; None or empty: not given) asks for;
    an ``AvaTaxError`` (400) for a value this mock does not take."""
    if not raw:
        return COMPLETE
    lines = details = summary = False
    drop_lines = drop_details = False
    for value in raw.split(","):
        value = value.strip()
        asks = _ASKS.get(value)
        if asks is None:
            raise _refused(value)
        lines, details, summary = lines or asks[0], details or asks[1], summary or asks[2]
        omits = _OMITS.get(value, (False, False))
        drop_lines, drop_details = drop_lines or omits[0], drop_details or omits[1]
    return Include(
        lines=lines and not drop_lines,
        details=details and not (drop_details or drop_lines),
        summary=summary,
    )


def _refused(value: str) -> AvaTaxError:
    if value == "TaxDetailsByTaxType":
        message = "TaxDetailsByTaxType is not modelled by this mock"
    else:
        known = ", ".join(_ASKS)
        message = f"{value!r} is not one of {known}"
    return avatax_error(400, "InvalidParameterValue", f"$include: {message}", "$include")


def shown(answered: dict[str, Any], include: Include) -> dict[str, Any]:
    """``answered``, a complete answer whose ``lines`` are still ``TaxedLines``, with only the
    parts ``include`` asks for (lines made into rows here, so omitted ones are never built)."""
    if include.lines:
        answered["lines"] = answered["lines"].rows(details=include.details)
    else:
        del answered["lines"]
    if not include.summary:
        answered.pop("summary", None)
    return answered
