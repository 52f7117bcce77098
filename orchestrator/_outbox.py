"""The outbox's durable form: an invoice's body written once, its progress apart (issue 14).

An outgoing invoice is hundreds of priced, taxed lines (over 100 KB pickled) that never change
once decided, and a few fields that change as it is created, posted and followed up. Kept as one
record, each of those steps pickled and wrote the lines again (five times an invoice: the
outbox was a handful of records but more than half of the bytes the store wrote). So an
invoice is two records under its key: its body (``outbox_bodies``), written when the invoice
is decided, and its progress (``outbox``), written again at each step; a step writes a few
dozen bytes.

Crash recovery is what it was with one record: both records of a decision are buffered
together and land in the same flush (one transaction), a step's progress in the flush after the
step, and a removal deletes both in one; so a restarted core reads back every invoice exactly as
the single record gave it. Both are pickled when the store flushes, from the invoice as it
stands then, as the single record was (a change made before its ``touch`` is not lost either).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orchestrator._store import Store
from orchestrator.model import Invoice

__all__ = ["Outbox", "Outgoing"]


@dataclass
class Outgoing:
    """An invoice the core has decided to issue: what it bills and how far it got."""

    invoice: Invoice  # priced and taxed
    items: tuple[str, ...]  # ledger keys, in line order
    document: str  # the tax document code
    contract_id: str  # the engagement's key
    status: str = "decided"  # decided -> created -> posted (then removed)
    erp_id: str = ""
    number: str = ""
    total: Decimal = Decimal(0)  # gross, as the ERP computed it
    followed_up: tuple[str, ...] = ()  # follow-up steps done (not repeated after a restart)
    memo: bool = False  # a credit note for service credits the month's charges cannot absorb


# What never changes once decided, and what each step changes (together: every field).
_BODY = ("invoice", "items", "document", "contract_id", "memo")
_PROGRESS = ("status", "erp_id", "number", "total", "followed_up")
_BODIES, _STEPS = "outbox_bodies", "outbox"


class _Fields:
    """Some fields of an outgoing invoice, read when the store pickles it (at the flush), as a
    tuple: the store keeps a reference until then, as it kept the whole invoice's."""

    __slots__ = ("names", "outgoing")

    def __init__(self, outgoing: Outgoing, names: tuple[str, ...]) -> None:
        self.outgoing, self.names = outgoing, names

    def __reduce__(self) -> tuple[type[tuple[Any, ...]], tuple[tuple[Any, ...]]]:
        return tuple, (tuple(getattr(self.outgoing, name) for name in self.names),)


class Outbox(MutableMapping[str, Outgoing]):
    """Invoices decided and not yet finished, by key (durable in ``store``).

    An invoice changed in place is not seen: call ``touch(key)`` after a step (its progress
    is written, never its body: the body must not change once decided).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        bodies = store.load(_BODIES)
        self._data: dict[str, Outgoing] = {}
        for key, progress in store.load(_STEPS).items():  # in key order, as before
            if key not in bodies:
                raise ValueError(f"outbox {key!r}: progress without its invoice in the store")
            fields = dict(zip(_BODY, bodies[key], strict=True))
            fields.update(zip(_PROGRESS, progress, strict=True))
            self._data[key] = Outgoing(**fields)

    def __getitem__(self, key: str) -> Outgoing:
        return self._data[key]

    def __setitem__(self, key: str, value: Outgoing) -> None:
        self._data[key] = value
        self._store.put(_BODIES, key, _Fields(value, _BODY))
        self._store.put(_STEPS, key, _Fields(value, _PROGRESS))

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._store.delete(_BODIES, key)
        self._store.delete(_STEPS, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def touch(self, key: str) -> None:
        """Write ``key``'s progress again (a step changed it in place)."""
        self._store.put(_STEPS, key, _Fields(self._data[key], _PROGRESS))
