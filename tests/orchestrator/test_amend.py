"""Change orders reprice billed work in linear time, with the very results of the ledger's own
item-by-item scan (``BillingLedger.repriced`` / ``adjustments``)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from orchestrator._amend import adjustments, repriced
from orchestrator._ledger import BillingLedger, Item
from orchestrator.model import InvoiceLine


def _line(hours: Decimal, rate: Decimal, source: str) -> InvoiceLine:
    return InvoiceLine(description=f"work {source}", quantity=hours, unit_price=rate,
                       amount=hours * rate, source_ids=(source,),
                       contract_version_id="v")  # fmt: skip


def _pricer(hours: Decimal, source: str) -> Any:
    return lambda contract: _line(hours, contract.rate, source)


def _ledger() -> tuple[BillingLedger, list[Any]]:
    """Two engagements with billed time at the old rate, some already adjusted or reissuing."""
    ledger = BillingLedger()
    engagements = [SimpleNamespace(contract=SimpleNamespace(rate=Decimal(100))) for _ in "ab"]
    for n in range(40):
        engagement = engagements[n % 2]
        key = f"psa:time_entry:{n}"
        item = Item(key, engagement, date(2026, 1, 31), "time_entry", str(n),
                    _pricer(Decimal(n % 5 + 1), key))  # fmt: skip
        item.billed = item.line().amount
        item.charged.append(item.line())
        ledger.billed[key] = item
        if n % 7 == 0:  # an adjustment from an earlier change order still waits
            line = _line(Decimal(1), Decimal(3), key)
            ledger.pending[f"adjustment:{key}@v2"] = Item(
                f"adjustment:{key}@v2", engagement, date(2026, 2, 1), "adjustment", str(n),
                lambda _c, line=line: line)  # fmt: skip
        if n % 9 == 0:
            ledger.pending[f"reissue:{key}@v2"] = Item(
                f"reissue:{key}@v2", engagement, date(2026, 2, 1), "reissue", str(n),
                item.price)  # fmt: skip
    for engagement in engagements:
        engagement.contract.rate = Decimal("104.50")  # the change order
    return ledger, engagements


def _keys(items: list[Item]) -> list[tuple[str, Decimal]]:
    return [(i.key, i.line().amount) for i in items]


def test_repriced_matches_the_ledger() -> None:
    ledger, engagements = _ledger()
    for engagement in engagements:
        ours = repriced(ledger, engagement)
        assert ours and _keys(ours) == _keys(ledger.repriced(engagement))


def test_adjustments_match_the_ledger() -> None:
    ledger, engagements = _ledger()
    theirs = copy.copy(ledger)
    theirs.pending, theirs.billed = copy.copy(ledger.pending), copy.copy(ledger.billed)
    theirs.pending._data = dict(ledger.pending._data)  # the same items, a separate table
    for engagement in engagements:
        ours = adjustments(ledger, engagement, date(2026, 3, 1), "v3")
        expected = theirs.adjustments(engagement, date(2026, 3, 1), "v3")
        assert ours and _keys(ours) == _keys(expected)
    assert list(ledger.pending) == list(theirs.pending)
    again = adjustments(ledger, engagements[0], date(2026, 3, 2), "v3")
    assert again == []  # queued once per version
