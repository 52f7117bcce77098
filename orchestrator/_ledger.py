"""What the core owes the ERP: approved items waiting for an invoice, and what each billed item
has been billed so far, so that a retroactive change order can be settled by difference.

Items are priced when they are invoiced, not when they are approved: a change order signed in
between then simply applies. Items already billed are repriced when the contract changes, and
the difference becomes an adjustment line on the next invoice.

A change order costs what it touches (issue 14): billed time items are indexed by engagement
and queued reissues/adjustments by their source item, so repricing one contract never walks
the billed history of the others. Both indexes are derived: the maps keep them in step with
every write (the core's flows and tests write ``pending``/``billed`` directly) and rebuild them
from the records a restarted core loads, so they are never stored.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from orchestrator._store import DurableMap, Store
from orchestrator.model import Contract, InvoiceLine, Project
from orchestrator.pricing import FixedPrice

__all__ = ["BillingLedger", "Item"]

Pricer = Callable[[Contract], InvoiceLine]


@dataclass(slots=True, weakref_slot=True)
class Item:
    """One billable source item (or an adjustment to one), owned by an engagement. Slotted:
    the ledger keeps one per item billed, to the end of a run (issue 14); weakly referable:
    the billed map's view of the items in use (``_BilledItems``)."""

    key: str
    engagement: Any  # the core's engagement record: has .contract and .project
    due_by: date
    kind: str  # time_entry | billing_milestone | adjustment
    psa_id: str
    price: Pricer
    billed: Decimal = Decimal(0)
    invoices: list[str] = field(default_factory=list)
    charged: list[InvoiceLine] = field(default_factory=list)  # charge lines still standing
    needs_approval: tuple[str, str] | None = (
        None  # (subcontractor, month) whose cost must be approved
    )

    @property
    def project(self) -> Project:
        project: Project = self.engagement.project
        return project

    def line(self) -> InvoiceLine:
        return self.price(self.engagement.contract)


class _BilledItems(DurableMap):
    """Billed items, with the time items of each engagement in the map's own order. An
    engagement is shared by identity (every item points at the one object ``State`` holds,
    on load too), so the index keys it by ``id`` and a lookup still checks ``is``.

    Over a store with a file, a billed item lives there, not in RAM (issue 14: a faulty
    firm-year bills ~a million items, ~1.5 KB each, read again only by a change order or the
    invoice's own follow-ups). The map keeps the keys, in order; an item is read back from the
    store when asked for. While anything holds an item it is the very object the map hands
    out (``_live``, a weak map), so a flow that holds an item across a wait and changes it
    (a credit note's items) changes the one copy there is, then ``touch``es it."""

    def __init__(self, store: Store, space: str) -> None:
        super().__init__(store, space)
        self._time: dict[int, dict[str, None]] = {}
        for key, item in self._data.items():
            self._index(key, item)
        self._cold = store.durable
        self._live: weakref.WeakValueDictionary[Any, Item] = weakref.WeakValueDictionary()
        self._loading = threading.Lock()
        if self._cold:  # the loaded items were needed for the index only
            self._data = dict.fromkeys(self._data)

    def _index(self, key: str, item: Item) -> None:
        if item.kind == "time_entry":  # a re-set key keeps its place, as in the map itself
            self._time.setdefault(id(item.engagement), {})[key] = None

    def _unindex(self, key: str, item: Item) -> None:
        bucket = self._time.get(id(item.engagement))
        if bucket is not None and key in bucket:
            del bucket[key]
            if not bucket:
                del self._time[id(item.engagement)]

    def __getitem__(self, key: Any) -> Any:
        if not self._cold:
            return self._data[key]
        if key not in self._data:
            raise KeyError(key)
        with self._loading:  # two threads (the wall-clock runtime) must not load two copies
            item = self._live.get(key)
            if item is None:
                item = self._live[key] = self._stored(key)
        return item

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self._data else default

    def __setitem__(self, key: Any, value: Any) -> None:
        old = self.get(key)
        super().__setitem__(key, value)
        if self._cold:
            self._data[key] = None
            self._live[key] = value
        if old is None or (old.kind == value.kind and old.engagement is value.engagement):
            self._index(key, value)
            return
        # an item re-filed under another engagement or kind keeps its place in the map: its
        # new group (the indexed keys and this one) is put in the map's order by a scan of the
        # keys, never of the items, which may be in the store's file (the core never re-files:
        # a billed key is set once, then changed in place)
        self._unindex(key, old)
        if value.kind == "time_entry":
            group = id(value.engagement)
            members = self._time.get(group, {})
            self._time[group] = {k: None for k in self._data if k == key or k in members}

    def __delitem__(self, key: Any) -> None:
        self._unindex(key, self[key])
        super().__delitem__(key)
        self._live.pop(key, None)

    def time_items(self, engagement: Any) -> list[Item]:
        """``engagement``'s billed time items, in the order ``values()`` lists them."""
        bucket = self._time.get(id(engagement), {})
        return [item for item in map(self.__getitem__, bucket) if item.engagement is engagement]


_QUEUED_KINDS = frozenset({"reissue", "adjustment"})  # the kinds ``queued`` is asked for


class _PendingItems(DurableMap):
    """Pending items, with the queued ``<kind>:<source>@<version>`` ones (reissues,
    adjustments) indexed by kind and source key, each group in the map's own order."""

    def __init__(self, store: Store, space: str) -> None:
        super().__init__(store, space)
        self._queued: dict[tuple[str, str], dict[str, Item]] = {}
        for key, item in self.items():
            self._index(key, item)

    @staticmethod
    def _group(key: Any) -> tuple[str, str] | None:
        """A queued item's (kind, source key); None for any other key, such as a PSA item's
        ``psa:time_entry:<id>`` (indexed, each would be a group of one: a dict per pending
        item that nobody asks for)."""
        if not isinstance(key, str):
            return None
        kind, _, rest = key.partition(":")
        return (kind, rest.split("@", 1)[0]) if kind in _QUEUED_KINDS else None

    def _index(self, key: str, item: Item) -> None:
        group = self._group(key)
        if group is not None:  # a re-set key keeps its place, as in the map itself
            self._queued.setdefault(group, {})[key] = item

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._index(key, value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        group = self._group(key)
        if group is None:
            return
        bucket = self._queued.get(group)
        if bucket is not None and bucket.pop(key, None) is not None and not bucket:
            del self._queued[group]

    def queued(self, kind: str, source: str) -> list[Item]:
        """The pending ``kind`` items (a reissue or an adjustment) queued for ``source``, in
        the map's own order."""
        return list(self._queued.get((kind, source), {}).values())


class BillingLedger:
    """Pending and billed items, written through to the core's store (``touch`` marks an item
    changed in place)."""

    def __init__(self, store: Store | None = None) -> None:
        store = store or Store(None)
        self.pending = _PendingItems(store, "pending")
        self.billed = _BilledItems(store, "billed")

    def knows(self, key: str) -> bool:
        return key in self.pending or key in self.billed

    def add(self, item: Item) -> None:
        if not self.knows(item.key):
            self.pending[item.key] = item

    def due(self, by: date) -> dict[str, list[Item]]:
        """Pending items due by ``by``, grouped by contract id, each group in a stable order."""
        groups: dict[str, list[Item]] = {}
        for item in self.pending.values():
            if item.due_by <= by:
                groups.setdefault(item.engagement.contract.id, []).append(item)
        return {
            cid: sorted(items, key=lambda i: (i.due_by, i.key))
            for cid, items in sorted(groups.items())
        }

    def mark_billed(self, item: Item, line: InvoiceLine, invoice: str) -> None:
        del self.pending[item.key]
        if item.kind in ("adjustment", "reissue"):
            source = self.billed[item.key.split("@", 1)[0].split(":", 1)[1]]
            source.billed += line.amount
            source.invoices.append(invoice)
            if item.kind == "reissue":
                source.charged.append(line)
            self.billed.touch(source.key)
            return
        item.billed += line.amount
        item.invoices.append(invoice)
        item.charged.append(line)
        self.billed[item.key] = item

    def repriced(self, engagement: Any) -> list[Item]:
        """Billed time items of ``engagement`` whose price the contract now sets otherwise, and
        that are not already waiting to be reissued (both looked up in the indexes: the cost
        is the engagement's own items, not the ledger's history)."""
        return [
            item
            for item in self.billed.time_items(engagement)
            if item.charged
            and not self.pending.queued("reissue", item.key)
            and item.line().amount != item.billed
        ]

    def credited(self, items: list[Item], today: date, version_id: str) -> None:
        """The items' charges were credited in full: queue each to be charged again."""
        for item in items:
            item.billed = Decimal(0)
            item.charged.clear()
            self.billed.touch(item.key)
            key = f"reissue:{item.key}@{version_id}"
            self.pending[key] = Item(key, item.engagement, today, "reissue", item.psa_id,
                                     item.price)  # fmt: skip

    def adjustments(self, engagement: Any, today: date, version_id: str) -> list[Item]:
        """Reprice every billed time item of ``engagement``; queue the differences (the
        adjustments already queued summed once per source)."""
        queued = []
        for item in self.billed.time_items(engagement):
            repriced = item.line()
            already = self.pending.queued("adjustment", item.key)
            delta = repriced.amount - item.billed - sum((a.line().amount for a in already),
                                                        Decimal(0))  # fmt: skip
            key = f"adjustment:{item.key}@{version_id}"
            if delta == 0 or self.knows(key):
                continue
            line = InvoiceLine(
                description=f"Rate adjustment ({repriced.description})",
                quantity=Decimal(1),
                unit_price=delta,
                amount=delta,
                source_ids=repriced.source_ids,
                contract_version_id=repriced.contract_version_id,
                kind="adjustment",
            )
            adjustment = Item(key, engagement, today, "adjustment", item.psa_id, FixedPrice(line))
            self.pending[key] = adjustment
            queued.append(adjustment)
        return queued
