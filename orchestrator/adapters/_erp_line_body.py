"""Invoice and credit memo lines as the core writes them into Business Central: a G/L account
line per billed item, its audit trail at the head of its description (BC has no field for it),
and the cent a contract's rounding differs from BC's as a line discount. Apart from the adapter
(``orchestrator.adapters.erp``), which sends them and checks BC's echo against them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orchestrator.adapters.tax import NON_TAXABLE  # a tax group code in BC too
from orchestrator.model import InvoiceLine

__all__ = [
    "DESCRIPTION_LENGTH",
    "EXPENSE_ACCOUNT",
    "REVENUE_ACCOUNTS",
    "ROLE_TAGS",
    "bc_amount",
    "description",
    "line_body",
    "trace",
]

# The firm's revenue accounts in every company's chart (set up with the company, as its
# ``CASH`` journal is): what each kind of line is income of.
REVENUE_ACCOUNTS = {"charge": "40100", "adjustment": "40100", "credit": "40300"}
EXPENSE_ACCOUNT = "40200"
DESCRIPTION_LENGTH = 100  # BC: Sales Line "Description" is Text[100]
# How a line names what it bills, at the head of its description (BC has no field for it; see
# ``trace``): "[<role tag><source item>@<contract version>] <text>".
ROLE_TAGS = {"charge": "", "adjustment": "ADJ ", "credit": "CR "}


def trace(line: InvoiceLine) -> str:
    """The line's audit trail as its description begins: the one source item it bills and the
    contract version it was priced from (with ``ADJ``/``CR`` for adjustments and service
    credits). BC API v2.0 has no field for either and its standard pages take no extension
    fields, so the reference goes where an invoice reader sees it, like a timesheet number."""
    if len(line.source_ids) != 1:
        raise ValueError(f"a BC line bills one item, not {len(line.source_ids)}")
    return f"[{ROLE_TAGS[line.kind]}{line.source_ids[0]}@{line.contract_version_id}]"


def bc_amount(quantity: Decimal, unit_price: Decimal, like: Decimal) -> Decimal:
    """What BC makes of ``quantity x unitPrice``: rounded to the currency's precision
    (``like``'s exponent), halves away from zero."""
    return (quantity * unit_price).quantize(like, rounding=ROUND_HALF_UP)


def description(line: InvoiceLine) -> str:
    """The line's description in BC: its audit trail (``trace``), then its own text, cut to
    BC's length; a trail that leaves no room for the text is refused."""
    head = trace(line)
    if len(head) >= DESCRIPTION_LENGTH:
        raise ValueError(f"line reference {head!r} does not fit BC's description")
    return f"{head} {line.description}"[:DESCRIPTION_LENGTH]


def line_body(line: InvoiceLine) -> dict[str, Any]:
    """An invoice or credit memo line as BC v2.0 takes it: a G/L account line whose amount BC
    computes as ``quantity x unitPrice`` rounded half away from zero, less ``discountAmount``,
    and whose tax BC's AvaTax connector computes (``taxCode`` ``NT``: none).
    A contract that rounds otherwise (half even, down) bills a cent less than BC's rounding
    on some lines: that cent goes in as a line discount, so BC's amount is the contract's and
    the line still shows hours and rate. Where no discount can say it (a negative line, hours
    with more decimals than BC keeps), the line bills quantity 1 at the amount."""
    text = description(line)
    quantity, price, discount = line.quantity.normalize(), line.unit_price, Decimal(0)
    if quantity > 0 and quantity == round(quantity, 5):
        discount = bc_amount(quantity, price, line.amount) - line.amount
    if not (quantity > 0 and quantity == round(quantity, 5)) or discount < 0:
        quantity, price, discount = Decimal(1), line.amount, Decimal(0)
    account = (
        EXPENSE_ACCOUNT
        if line.source_ids[0].startswith("psa:expense:")
        else REVENUE_ACCOUNTS[line.kind]
    )
    body: dict[str, Any] = {
        "lineType": "Account",
        "lineObjectNumber": account,
        "description": text,
        "quantity": quantity,
        "unitPrice": price,
    }
    if line.tax_code == NON_TAXABLE:  # BC's AvaTax connector then taxes nothing on the line
        body["taxCode"] = NON_TAXABLE
    if discount:
        body["discountAmount"] = discount
    return body
