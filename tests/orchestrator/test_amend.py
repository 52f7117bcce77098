"""Change orders reprice billed work (``BillingLedger.repriced`` / ``adjustments``): the items
and amounts a hand computation from the ledger below gives, each adjustment queued once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from orchestrator._ledger import BillingLedger, Item
from orchestrator._store import Store
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


def _hours(n: int) -> Decimal:
    return Decimal(n % 5 + 1)


def test_repriced_is_every_billed_item_but_those_already_reissuing() -> None:
    """Every item's price changed (100 -> 104.50); items 0, 9, 18, ... already wait to be
    reissued and are left alone."""
    ledger, engagements = _ledger()
    for side, engagement in enumerate(engagements):
        expected = [f"psa:time_entry:{n}" for n in range(side, 40, 2) if n % 9 != 0]
        assert [i.key for i in ledger.repriced(engagement)] == expected


def test_adjustments_queue_the_difference_less_what_is_already_queued() -> None:
    """Item n billed hours x 100; repriced hours x 104.50; an adjustment of 3.00 already
    queued for n = 0, 7, 14, ...: the new adjustment is the rest, queued once per version."""
    ledger, engagements = _ledger()
    for side, engagement in enumerate(engagements):
        queued = ledger.adjustments(engagement, date(2026, 3, 1), "v3")
        expected = [
            (f"adjustment:psa:time_entry:{n}@v3",
             _hours(n) * Decimal("4.50") - (Decimal(3) if n % 7 == 0 else Decimal(0)))
            for n in range(side, 40, 2)
        ]  # fmt: skip
        assert _keys(queued) == expected
        assert all(ledger.pending[key] is item for key, item in zip(
            (k for k, _ in expected), queued, strict=True))  # fmt: skip
    again = ledger.adjustments(engagements[0], date(2026, 3, 2), "v3")
    assert again == []  # queued once per version


def _history(others: int) -> tuple[BillingLedger, Any, list[int]]:
    """One engagement with 20 billed items, and ``others`` more engagements' billed history
    (each with an adjustment and a reissue queued): ``priced`` counts the items priced."""
    priced = [0]

    def pricer(hours: Decimal, source: str) -> Any:
        def price(contract: Any) -> InvoiceLine:
            priced[0] += 1
            return _line(hours, contract.rate, source)

        return price

    ledger = BillingLedger()
    ours = SimpleNamespace(contract=SimpleNamespace(rate=Decimal(100)))
    others_ = [SimpleNamespace(contract=SimpleNamespace(rate=Decimal(100))) for _ in range(5)]
    for n in range(20 + others):
        engagement = ours if n < 20 else others_[n % 5]
        key = f"psa:time_entry:{n}"
        item = Item(key, engagement, date(2026, 1, 31), "time_entry", str(n),
                    pricer(Decimal(1), key))  # fmt: skip
        item.billed = Decimal(100)
        item.charged.append(_line(Decimal(1), Decimal(100), key))
        ledger.billed[key] = item
        if n >= 20:
            for kind in ("adjustment", "reissue"):
                ledger.pending[f"{kind}:{key}@v2"] = Item(
                    f"{kind}:{key}@v2", engagement, date(2026, 2, 1), kind, str(n),
                    pricer(Decimal(1), key))  # fmt: skip
    ours.contract.rate = Decimal(110)
    priced[0] = 0
    return ledger, ours, priced


def test_a_change_order_costs_its_own_items_not_the_others_history(monkeypatch: Any) -> None:
    """Issue 14: a change order prices its engagement's items once each and walks neither
    the billed nor the pending map, however much history other engagements have."""
    walks = [0]
    for kind in (type(BillingLedger().billed), type(BillingLedger().pending)):
        walk = kind.__iter__

        def counted(self: Any, walk: Any = walk) -> Any:
            walks[0] += 1
            return walk(self)

        monkeypatch.setattr(kind, "__iter__", counted)
    costs = []
    for others in (0, 3000):
        ledger, ours, priced = _history(others)
        walks[0] = 0
        assert len(ledger.repriced(ours)) == 20
        assert len(ledger.adjustments(ours, date(2026, 3, 1), "v3")) == 20
        costs.append((priced[0], walks[0]))
    assert costs == [(40, 0), (40, 0)]  # 20 items priced by each call; no map walked


@dataclass
class _Contract:
    rate: Decimal


@dataclass
class _Engagement:
    """A stand-in for the core's engagement: shared by key in the store, as ``State`` does."""

    name: str
    contract: _Contract


@dataclass
class _Hours:
    """A picklable pricer: ``hours`` at the contract's rate."""

    hours: Decimal
    source: str

    def __call__(self, contract: Any) -> InvoiceLine:
        return _line(self.hours, contract.rate, self.source)


def _durable(path: Path, engagements: dict[str, _Engagement]) -> tuple[BillingLedger, Store]:
    store = Store(str(path))
    store.share(_Engagement, lambda e: e.name, lambda key: engagements[key])
    return BillingLedger(store), store


def test_the_indexes_come_back_with_a_restarted_core(tmp_path: Path) -> None:
    """The indexes are derived: a core restarted on the same file finds the same items to
    reprice and the adjustments already queued, for its new engagement objects."""
    before = {n: _Engagement(n, _Contract(Decimal(100))) for n in "ab"}
    ledger, store = _durable(tmp_path / "core.db", before)
    for n in range(10):
        engagement = before["ab"[n % 2]]
        key = f"psa:time_entry:{n}"
        item = Item(key, engagement, date(2026, 1, 31), "time_entry", str(n),
                    _Hours(Decimal(n + 1), key))  # fmt: skip
        item.billed = item.line().amount
        item.charged.append(item.line())
        ledger.billed[key] = item
    ledger.pending["adjustment:psa:time_entry:0@v2"] = Item(
        "adjustment:psa:time_entry:0@v2", before["a"], date(2026, 2, 1), "adjustment", "0",
        _Hours(Decimal(1), "psa:time_entry:0"))  # fmt: skip
    ledger.pending["reissue:psa:time_entry:2@v2"] = Item(
        "reissue:psa:time_entry:2@v2", before["a"], date(2026, 2, 1), "reissue", "2",
        _Hours(Decimal(3), "psa:time_entry:2"))  # fmt: skip
    store.close()
    after = {n: _Engagement(n, _Contract(Decimal(110))) for n in "ab"}  # the change order
    again, store = _durable(tmp_path / "core.db", after)
    assert [i.key for i in again.repriced(after["a"])] == [
        f"psa:time_entry:{n}" for n in (0, 4, 6, 8)]  # fmt: skip
    assert again.repriced(before["a"]) == []  # the old objects are gone with the old core
    queued = again.adjustments(after["a"], date(2026, 3, 1), "v3")
    assert _keys(queued) == [  # item 0's queued adjustment (1 x 110) is taken off its 10
        (f"adjustment:psa:time_entry:{n}@v3", Decimal(10 * (n + 1)) - (110 if n == 0 else 0))
        for n in range(0, 10, 2)
    ]
    store.close()


def test_the_indexes_list_what_a_scan_of_the_maps_would() -> None:
    """Sets, re-sets (another engagement, another kind), deletes in a seeded mix: each index
    lists what a scan of its map lists, in the map's order (the traces depend on the order)."""
    rng = random.Random(14)
    ledger = BillingLedger()
    engagements = [SimpleNamespace(contract=SimpleNamespace(rate=Decimal(100))) for _ in "abc"]
    kinds = ("time_entry", "billing_milestone")
    for _ in range(3000):
        n, engagement = rng.randrange(60), rng.choice(engagements)
        billed, queued = f"psa:time_entry:{n}", f"{rng.choice(('adjustment', 'reissue'))}:" \
            f"psa:time_entry:{n}@v{rng.randrange(3)}"  # fmt: skip
        for space, key, kind in ((ledger.billed, billed, rng.choice(kinds)),
                                 (ledger.pending, queued, queued.split(":")[0])):  # fmt: skip
            if key in space and rng.random() < 0.3:
                del space[key]
            else:
                space[key] = Item(key, engagement, date(2026, 1, 1), kind, str(n),
                                  _pricer(Decimal(1), key))  # fmt: skip
    for engagement in engagements:
        assert ledger.billed.time_items(engagement) == [
            i for i in ledger.billed.values()
            if i.engagement is engagement and i.kind == "time_entry"
        ]  # fmt: skip
    for n in range(60):
        for kind in ("adjustment", "reissue"):
            assert ledger.pending.queued(kind, f"psa:time_entry:{n}") == [
                i for k, i in ledger.pending.items()
                if k.startswith(f"{kind}:psa:time_entry:{n}@")
            ]  # fmt: skip
