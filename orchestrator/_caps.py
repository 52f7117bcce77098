"""Documents within the vendors' caps: a contract's month split over several invoices.

A big engagement bills more lines in a month than one vendor document may hold: AvaTax refuses a
transaction over its line cap (``adapters.tax.MAX_LINES``), and Business Central serves at most
``ERP_MAX_LINES`` entities per page, so an invoice with more lines could not be read back in one
page to check its echo. The core therefore cuts the month's lines into parts of at most the cap,
each its own ERP invoice, tax document and business key (the keys digest the items each part
bills, so the same items make the same part, across retries and restarts).

The cut is deterministic: lines in the order the items were earned, a new part when one is full.
No part is negative (Business Central refuses to post one, see ``_credits``): a negative line
(a service credit, a downward adjustment) waits until the part it would join can absorb it; a
service credit that no part can absorb goes, whole, on the run's credit note, as it would had
the month fitted one invoice. A month that fits one document is left exactly as it was.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from orchestrator.model import InvoiceLine

__all__ = ["ERP_MAX_LINES", "split_within"]

# Business Central publishes no lines-per-sales-document cap, but online it serves at most
# 20,000 entities per page and the page size "is configured on the service and can't be
# changed"; the core reads an invoice's lines back (salesInvoiceLines) to check the echo, so it
# keeps an invoice within one page. learn.microsoft.com/en-us/dynamics365/business-central/
# dev-itpro/webservices/server-driven-paging-in-odata-web-services ("Overview"), and
# .../training/modules/work-with-api/4-limits ("A page can only contain 20000 entities").
# Consulted 2026-12-07. A request of 20,000 lines (~300 bytes each, ~6 MB) stays far below
# the service's request and file limits (operational-limits-online, "Data handling limits").
ERP_MAX_LINES = 20_000

T = TypeVar("T")


def split_within(
    priced: Sequence[tuple[T, InvoiceLine]], cap: int
) -> tuple[list[list[tuple[T, InvoiceLine]]], list[tuple[T, InvoiceLine]]]:
    """(the parts, each at most ``cap`` lines and not negative; service credits that fit no
    part, for the credit note). Every entry of ``priced`` is in exactly one of them."""
    if cap < 1:
        raise ValueError(f"a document cap of {cap} lines holds nothing")
    if len(priced) <= cap:
        return ([list(priced)] if priced else []), []
    parts: list[list[tuple[T, InvoiceLine]]] = [[]]
    net = Decimal(0)
    waiting: deque[tuple[T, InvoiceLine]] = deque()
    for entry in priced:
        if entry[1].amount < 0:
            waiting.append(entry)
        else:
            if len(parts[-1]) == cap:
                parts.append([])
                net = Decimal(0)
            parts[-1].append(entry)
            net += entry[1].amount
        while waiting and len(parts[-1]) < cap and net + waiting[0][1].amount >= 0:
            entry = waiting.popleft()
            parts[-1].append(entry)
            net += entry[1].amount
    noted = [e for e in waiting if e[1].kind == "credit"]
    for entry in (e for e in waiting if e[1].kind != "credit"):  # a downward adjustment no
        if len(parts[-1]) == cap:  # part absorbs: billed as one invoice would bill it
            parts.append([])
        parts[-1].append(entry)
    return [part for part in parts if part], noted
