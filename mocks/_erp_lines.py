"""Business Central v2.0's sales document lines, as the ERP mock takes and prices them.

A client sends what is sold (a G/L account), a quantity, a unit price and perhaps a discount;
Business Central computes every amount from them, rounding to the currency's Amount Rounding
Precision, and refuses a client that sends an amount itself. Invoices and credit memos share
the line model and its arithmetic, so it stands here once, beside the tax BC's AvaTax
connector writes onto the same lines (``mocks._erp_tax``); the documents that hold the lines
(``mocks._erp_base``) only store what these functions compute. A payment's amount is held to
the same currency precision (``quantum``, read by ``mocks._erp_cash``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.currencies import MINOR_UNITS
from mocks._erp_errors import refused
from mocks._erp_line_columns import GIVEN, StoredLines
from mocks._http import Problem

__all__ = [
    "ACCOUNTS",
    "LineIn",
    "document_totals",
    "line_records",
    "priced_lines",
    "quantum",
]

# The revenue accounts of every company's chart (G/L accounts a line of type ``Account`` names
# by ``lineObjectNumber``), set up with the company by the simulated firm like its ``CASH``
# journal. Numbers and names are the sandbox's own chart, not BC's demo company's.
ACCOUNTS = {
    "40100": "Income, services",
    "40200": "Income, reimbursed expenses",
    "40300": "Income, service credits",
}
# Line properties Business Central computes: a client that sends one gets BC's 400 "Control
# '<name>' is read-only" (apideck.com, "Business Central gotchas", consulted 2026-12-07; the
# v2.0 salesInvoiceLine page marks them computed: learn.microsoft.com/dynamics365/
# business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoiceline).
READ_ONLY_LINE_FIELDS = (
    "id",
    "documentId",
    "amountExcludingTax",
    "amountIncludingTax",
    "taxPercent",
    "netAmount",
    "netTaxAmount",
    "netAmountIncludingTax",
    "totalTaxAmount",
)
_READ_ONLY = frozenset(READ_ONLY_LINE_FIELDS)


class LineIn(BaseModel):
    """A sales document line as BC v2.0 takes it (invoices and credit memos share the model):
    what is sold (``lineType`` and ``lineObjectNumber``), ``description``, ``quantity``,
    ``unitPrice``, an optional line discount and ``taxCode``; BC computes every amount from
    them, the tax through its AvaTax connector (``mocks._erp_tax``)."""

    # unknown properties are BC's 400, as on every body model of the ERP (``_erp_base.Strict``,
    # which builds on this module and so cannot be this model's base)
    model_config = ConfigDict(extra="forbid")

    lineType: Literal["Account", "Comment"]
    lineObjectNumber: str | None = Field(default=None, max_length=20)
    description: str = Field(max_length=100)  # Sales Line "Description": Text[100]
    quantity: Decimal = Decimal(0)
    unitPrice: Decimal = Decimal(0)
    discountAmount: Decimal = Field(default=Decimal(0), ge=0)
    taxCode: str | None = Field(default=None, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _computed_fields_are_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict) and not _READ_ONLY.isdisjoint(data):  # one set test a line
            for name in READ_ONLY_LINE_FIELDS:  # the first named, in this order
                if name in data:
                    raise ValueError(f"Control '{name}' is read-only")
        return data

    @model_validator(mode="after")
    def _what_is_sold(self) -> LineIn:
        if self.lineType == "Comment":
            if self.quantity or self.unitPrice or self.discountAmount:
                raise ValueError("a Comment line carries no quantity, price or amount")
            return self
        if self.lineObjectNumber not in ACCOUNTS:
            raise ValueError(
                f"lineObjectNumber {self.lineObjectNumber!r} is not a G/L account of this "
                f"company ({', '.join(ACCOUNTS)})"
            )
        if self.quantity <= 0:
            raise ValueError("quantity must be greater than 0 on an Account line")
        return self


def quantum(currency: str) -> Decimal:
    """The currency's minor unit (0.01 for EUR), or BC's 400 naming ``currencyCode``. Every ISO
    4217 currency in use is set up (``MINOR_UNITS``: ISO minor units, from Babel)."""
    minor = MINOR_UNITS.get(currency)
    if minor is None:
        raise refused(f"currency {currency} is not set up", "currencyCode", "unknown currency")
    return Decimal(1).scaleb(-minor)


def line_amount(line: LineIn, unit: Decimal) -> Decimal:
    """BC's line amount: ``quantity x unitPrice`` rounded to the currency's Amount Rounding
    Precision (``unit``; BC's Currency table, default 0.01: Microsoft Learn, "Set up
    currencies", consulted 2026-12-07), halves away from zero (AL ``Round``, direction '='),
    less the line's ``discountAmount`` (a currency amount)."""
    gross = (line.quantity * line.unitPrice).quantize(unit, rounding=ROUND_HALF_UP)
    return gross - line.discountAmount


def priced_lines(lines: list[LineIn], currency: str, field: str) -> list[Decimal]:
    """Each line's amount excluding tax as BC computes it (``line_amount``) in ``currency``,
    or a refusal (BC's 400) naming each line whose figures BC cannot take (a discount above
    the line's value or finer than the currency, figures beyond Decimal's range). The
    document stores these very amounts (``line_records``): each line is priced once."""
    unit = quantum(currency)
    minor = MINOR_UNITS[currency]
    errors = []
    nets = []
    for k, line in enumerate(lines):
        try:
            amount = line_amount(line, unit)
            whole_discount = line.discountAmount == line.discountAmount.quantize(unit)
        except ArithmeticError:  # beyond Decimal's context (values like 1e30 or 1e999999)
            errors.append({"field": f"{field}[{k}]", "message": "amounts out of range"})
            continue
        if not whole_discount or line.discountAmount > abs(amount + line.discountAmount):
            errors.append(
                {
                    "field": f"{field}[{k}].discountAmount",
                    "message": f"must have at most {minor} decimals and not exceed the line",
                }
            )
        nets.append(amount)
    if errors:
        raise Problem(422, "Unprocessable Entity", "inconsistent line amounts", errors=errors)
    return nets


def document_totals(nets: list[Decimal], taxes: list[Decimal]) -> dict[str, Decimal]:
    """A document's totals, as BC sums its lines: excluding tax, tax, and including tax."""
    net, tax = sum(nets, Decimal(0)), sum(taxes, Decimal(0))
    return {
        "totalAmountExcludingTax": net,
        "totalTaxAmount": tax,
        "totalAmountIncludingTax": net + tax,
    }


def line_records(
    lines: list[LineIn], document_id: str, nets: list[Decimal], taxes: list[Decimal]
) -> StoredLines:
    """The stored lines of a document, numbered 10000, 20000, ..., with the amounts BC
    computed (``nets``) and the tax its connector wrote (``taxes``): columns, made into
    line records when read (``mocks._erp_line_columns``), read from the models' fields."""
    return StoredLines.of(document_id, lines, nets, taxes)


# the columns are read from ``LineIn``'s fields by name: a field added to one must be added to
# the other, or a line would lose it silently
if tuple(LineIn.model_fields) != GIVEN:
    raise ImportError(f"LineIn's fields {tuple(LineIn.model_fields)} are not the stored {GIVEN}")
