"""Business Central payments applied once each, although a posted payment leaves no trace in
its journal.

BC applies a customer payment only when its journal is posted, and posting deletes the
journal's lines (BC keeps customer ledger entries, which API v2.0 does not serve). After a
lost answer or a crash, looking in the journal cannot tell a payment never entered from one
entered and posted; the invoice it pays can: ``totalAmountIncludingTax - remainingAmount`` is
what BC has applied to it (the reference core applies no credit memo to an invoice: its
credits stay on account). So one pass of ``settle`` posts the invoice's lines still waiting in
the journal (entered before an answer was lost, or before a crash), then enters and posts only
what BC lacks of what the client has paid in all. Run again under the same total, by a retry,
a replayed event or the reconciliation job, it enters nothing; money whose payment was lost
before it was entered is made up by the next one. It leaves no line behind that would block
the journal's next posting: a line it finds is posted, one it enters is posted at once.
Sources (consulted 2026-12-07): Microsoft Learn, API v2.0 customerPayment and salesInvoice
resource types,
https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_customerpayment
https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoice
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from orchestrator._wire import ContractViolation
from orchestrator.runtime import Flow

__all__ = ["settle"]


def settle(
    call: Callable[..., Flow[Any]],
    company: str,
    journal: str,
    invoice_id: str,
    paid: Decimal,
    body: dict[str, Any],
) -> Flow[None]:
    """One pass: post what the journal holds for the invoice, then enter and post what BC
    lacks of ``paid`` (``body`` is the payment line, its ``amount`` replaced by that gap)."""
    lines = yield from call(
        "GET",
        f"{journal}/customerPayments",
        params={"$filter": f"appliesToInvoiceId eq {invoice_id}"},  # a GUID: unquoted
    )
    if lines["value"]:
        yield from call("POST", f"{journal}/Microsoft.NAV.post")
    invoice = yield from call("GET", f"{company}/salesInvoices({invoice_id})")
    try:
        applied = Decimal(invoice["totalAmountIncludingTax"]) - Decimal(invoice["remainingAmount"])
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise ContractViolation(
            "erp", "GET", "salesInvoices", "no totalAmountIncludingTax or remainingAmount"
        ) from exc
    missing = paid - applied
    if missing <= 0:
        return  # BC has it all: posted before an answer was lost, or by an earlier pass
    yield from call("POST", f"{journal}/customerPayments", {**body, "amount": missing})
    yield from call("POST", f"{journal}/Microsoft.NAV.post")
