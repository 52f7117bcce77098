"""Service credits on paper: what goes on the month's invoice, what on a credit note, and
whether a credit carries VAT.

**Credits larger than the month's charges.** An invoice is never negative: Business Central
refuses to post one ("The total amount for the invoice must be 0 or greater", its posting
check), and a
negative invoice is in any case no invoice in the EU VAT sense: a reduction of what was charged
is documented by a credit note, "any document ... that amends and refers specifically to the
initial invoice" (Council Directive 2006/112/EC, Art. 219; Art. 90 for the reduced taxable
amount). So the month's credits are set against its charges as far as they go, in the order
the items were earned, and every credit that would take the invoice below zero goes, whole, on
a sales credit memo issued by the same billing run, dated like the invoice, that names no
invoice: an open credit on the customer's account, to be applied against a later invoice or
refunded. That is what SLA clauses usually promise (service credits "applied against future
invoices", e.g. AWS's and Microsoft's online-services SLAs) and what Business Central does with
an unapplied credit memo (an open customer ledger entry, applied or refunded by a person:
its API v2.0 has no action to apply open entries, so the core does not try).

The alternative, carrying the excess forward as pending lines to the next invoice, was not
chosen: it leaves the client without any document for a credit it has earned until more work
is billed, never issues one when the engagement ends, and splits one credit across invoices
(a line that bills part of an item), which an auditor reading item by item cannot follow.

**VAT on a service credit** is the contract's reading (``ServiceLevel.vat_treatment``):

- ``price_reduction`` (the default): the credit reduces the price of the services, so it
  reduces the VAT base (Directive 2006/112/EC, Art. 90(1), "in the case of ... price
  reduction after the supply takes place, the taxable amount shall be reduced accordingly";
  HMRC, VAT Notice 700 "The VAT guide", on credit notes for later price reductions); the credit
  line is taxed like the services, negatively, by the tax engine.
- ``compensation``: the credit is damages for a breach, not consideration for a supply, and
  outside the scope of VAT (German UStAE 1.3 Abs. 1, "echter Schadensersatz ist kein
  Entgelt"); the line carries no tax and is never sent to the tax engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from orchestrator.model import Contract, InvoiceLine

__all__ = ["outside_vat", "split_credits"]

T = TypeVar("T")


def split_credits(
    priced: Sequence[tuple[T, InvoiceLine]],
) -> tuple[list[tuple[T, InvoiceLine]], list[tuple[T, InvoiceLine]]]:
    """(what the invoice bills, the credits that go on a credit note): every charge and
    adjustment stays; a credit stays while the invoice's net is still not negative with it."""
    net = sum((line.amount for _, line in priced if line.kind != "credit"), Decimal(0))
    kept, noted = [], []
    for entry in priced:
        line = entry[1]
        if line.kind != "credit":
            kept.append(entry)
        elif net + line.amount >= 0:
            kept.append(entry)
            net += line.amount
        else:
            noted.append(entry)
    return kept, noted


def outside_vat(line: InvoiceLine, contract: Contract) -> bool:
    """A service credit the contract treats as compensation, outside the scope of VAT."""
    level = contract.service_level
    return line.kind == "credit" and level is not None and level.vat_treatment == "compensation"
