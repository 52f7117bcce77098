"""Billed items over a store with a file live in the file, not in RAM (issue 14): the map
keeps their keys; an item comes back from the store when asked for, and is the one object
in use while anything holds it."""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orchestrator._ledger import BillingLedger, Item
from orchestrator._store import Store
from orchestrator.model import InvoiceLine


@dataclass
class _Engagement:
    name: str
    rate: Decimal

    @property
    def contract(self) -> _Engagement:
        return self


@dataclass(frozen=True)
class _Hours:
    """A picklable pricer: ``hours`` at the engagement's rate."""

    hours: Decimal
    source: str

    def __call__(self, contract: Any) -> InvoiceLine:
        return InvoiceLine(description=f"work {self.source}", quantity=self.hours,
                           unit_price=contract.rate, amount=self.hours * contract.rate,
                           source_ids=(self.source,), contract_version_id="v")  # fmt: skip


def _ledger(path: Path | None, engagements: dict[str, _Engagement]) -> tuple[BillingLedger, Store]:
    store = Store(None if path is None else str(path))
    store.share(_Engagement, lambda e: e.name, lambda key: engagements[key])
    return BillingLedger(store), store


def _bill(ledger: BillingLedger, engagement: _Engagement, n: int) -> Item:
    key = f"psa:time_entry:{n}"
    item = Item(key, engagement, date(2026, 1, 31), "time_entry", str(n),
                _Hours(Decimal(n + 1), key))  # fmt: skip
    ledger.add(item)
    ledger.mark_billed(item, item.line(), f"INV-{n}")
    return item


def test_a_billed_item_leaves_ram_once_written(tmp_path: Path) -> None:
    engagements = {"a": _Engagement("a", Decimal(100))}
    ledger, store = _ledger(tmp_path / "core.db", engagements)
    refs = [weakref.ref(_bill(ledger, engagements["a"], n)) for n in range(5)]
    assert all(ref() is not None for ref in refs)  # buffered: the store holds them till flushed
    store.flush()
    gc.collect()
    assert [ref() for ref in refs] == [None] * 5
    assert list(ledger.billed) == [f"psa:time_entry:{n}" for n in range(5)]
    item = ledger.billed["psa:time_entry:3"]  # read back from the file, whole
    assert (item.engagement, item.billed, item.invoices) == (engagements["a"], Decimal(400),
                                                              ["INV-3"])  # fmt: skip
    assert item.charged == [item.line()]
    assert ledger.billed.get("psa:time_entry:9") is None
    with pytest.raises(KeyError):
        ledger.billed["psa:time_entry:9"]
    store.close()


def test_an_item_held_across_a_flush_is_the_one_changed(tmp_path: Path) -> None:
    """A credit note holds its items across vendor calls (flushes), then clears them: the
    change must reach the file, and a lookup in between hands out the same object."""
    engagements = {"a": _Engagement("a", Decimal(100))}
    ledger, store = _ledger(tmp_path / "core.db", engagements)
    for n in range(4):
        _bill(ledger, engagements["a"], n)
    store.flush()
    held = ledger.repriced(engagements["a"])
    assert held == []  # nothing repriced yet: the rate has not changed
    engagements["a"].rate = Decimal(110)
    held = ledger.repriced(engagements["a"])
    assert [i.key for i in held] == [f"psa:time_entry:{n}" for n in range(4)]
    store.flush()  # the core waits on the ERP
    assert ledger.billed["psa:time_entry:2"] is held[2]
    assert ledger.billed.time_items(engagements["a"]) == held
    ledger.credited(held, date(2026, 2, 1), "v2")
    del held
    store.close()
    again, store = _ledger(tmp_path / "core.db", engagements)
    assert [(i.billed, i.charged) for i in again.billed.values()] == [(Decimal(0), [])] * 4
    assert sorted(again.pending) == [f"reissue:psa:time_entry:{n}@v2" for n in range(4)]
    store.close()


def test_an_adjustment_billed_updates_its_source_in_the_file(tmp_path: Path) -> None:
    engagements = {"a": _Engagement("a", Decimal(100))}
    ledger, store = _ledger(tmp_path / "core.db", engagements)
    _bill(ledger, engagements["a"], 0)
    store.flush()
    engagements["a"].rate = Decimal(120)
    [adjustment] = ledger.adjustments(engagements["a"], date(2026, 2, 1), "v2")
    ledger.mark_billed(adjustment, adjustment.line(), "INV-9")
    store.close()
    again, store = _ledger(tmp_path / "core.db", engagements)
    source = again.billed["psa:time_entry:0"]
    assert (source.billed, source.invoices) == (Decimal(120), ["INV-0", "INV-9"])
    store.close()


def test_without_a_file_billed_items_stay_in_ram() -> None:
    engagements = {"a": _Engagement("a", Decimal(100))}
    ledger, _ = _ledger(None, engagements)
    ref = weakref.ref(_bill(ledger, engagements["a"], 0))
    gc.collect()
    assert ref() is ledger.billed["psa:time_entry:0"]


def test_a_deleted_record_is_gone_before_and_after_the_flush(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "core.db"))
    store.put("s", "k", {"v": 1})
    assert store.read("s", "k") == {"v": 1}
    store.flush()
    assert store.read("s", "k") == {"v": 1}
    store.delete("s", "k")
    with pytest.raises(KeyError):
        store.read("s", "k")
    store.flush()
    with pytest.raises(KeyError):
        store.read("s", "k")
    store.close()
