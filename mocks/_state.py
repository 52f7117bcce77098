"""Per-tenant record tables, deterministic ids, pagination and outbound webhooks.

Ids come from counters, never ``uuid4``: the same run must mint the same ids.
"""

from __future__ import annotations

import hashlib
import uuid
from bisect import insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from mocks._http import Problem

__all__ = ["Clock", "Table", "Tables", "Webhook", "WebhookSink", "guid", "iso", "page", "plain"]

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Webhook:
    """One outbound notification, as the vendor would POST it to a subscriber."""

    vendor: str
    tenant: str
    event: str
    body: dict[str, Any]


WebhookSink = Callable[[Webhook], None]


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def guid(namespace: str, n: int) -> str:
    """A GUID-shaped id, deterministic in (namespace, n): ``str(uuid.uuid5(NAMESPACE_URL,
    f"q2c:{namespace}:{n}"))``, computed as ``uuid5`` does (SHA-1 of namespace and name, the
    version and variant bits set) without building a ``UUID`` object, a third of the time; every
    record a mock creates gets one (26,000 in the flagship run)."""
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + f"q2c:{namespace}:{n}".encode()).digest())
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    x = digest[:16].hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Table(dict[str, dict[str, Any]]):
    """One tenant's records of one type by key, in insertion order, with an index per declared
    field: ``value -> keys`` in insertion order, so a filtered page is a slice of one bucket
    and a count is its length, whatever the table's size. Writes go through ``__setitem__``
    (``insert`` or a plain ``table[key] = record``); a record changed in place after insertion
    calls ``reindex`` so an indexed field that may change (a submission's ``status``) stays
    true. A key that moves to another bucket takes its insertion rank there, so an index hands
    out records in exactly the order a scan would (traces do not change). Indexes key on
    ``str(value)``, as the vendors' equality filters compare text."""

    __slots__ = ("_indexes", "_rank", "_ranks", "_values")

    def __init__(self, fields: Iterable[str] = ()) -> None:
        super().__init__()
        self._indexes: dict[str, dict[str, list[str]]] = {f: {} for f in fields}
        # the indexed value each key sits under, per field (to move it when it changes)
        self._values: dict[str, dict[str, str]] = {f: {} for f in self._indexes}
        self._ranks: dict[str, int] = {}  # insertion rank of each key (indexed tables only)
        self._rank = 0

    def __setitem__(self, key: str, record: dict[str, Any]) -> None:
        super().__setitem__(key, record)
        if self._indexes:
            if key not in self._ranks:
                self._rank += 1
                self._ranks[key] = self._rank
            self.reindex(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        for name, buckets in self._indexes.items():
            old = self._values[name].pop(key, None)
            if old is not None:
                buckets[old].remove(key)
        self._ranks.pop(key, None)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            record = self[key]
            del self[key]
            return record
        if default:
            return default[0]
        raise KeyError(key)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, record in dict(*args, **kwargs).items():
            self[key] = record

    def reindex(self, key: str) -> None:
        """Bring ``key``'s entries up to date with its record's current field values."""
        record = dict.__getitem__(self, key)
        for name, buckets in self._indexes.items():
            value = str(record.get(name))
            old = self._values[name].get(key)
            if old == value:
                continue
            if old is not None:
                buckets[old].remove(key)
            bucket = buckets.setdefault(value, [])
            if not bucket or self._ranks[bucket[-1]] < self._ranks[key]:
                bucket.append(key)  # the usual case: a new record, the newest of its bucket
            else:
                insort(bucket, key, key=self._ranks.__getitem__)
            self._values[name][key] = value

    def indexed(self, name: str) -> bool:
        return name in self._indexes

    def keys_where(self, name: str, value: str) -> list[str]:
        """The keys of records whose ``name`` is ``value`` (as text), in insertion order; the
        field must be indexed. The list is the index's own: read it, do not change it."""
        return self._indexes[name].get(value, _EMPTY)


_EMPTY: list[str] = []


@dataclass
class _Tenant:
    tables: dict[str, Table] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


class Tables:
    """Records by tenant and type, in insertion order (dicts keep it; no sets anywhere).

    ``indexes`` names, per record type, the fields its lists filter on (see ``Table``). Lists
    read a page through ``window``: a slice of the insertion order or of one index bucket, so a
    one-row page costs the same with 50 or 50,000 records. ``scanned`` counts the rows every
    read handed out (a whole table for ``all``, one page for ``window``): tests assert through
    it that a list read a page, not the table.
    """

    def __init__(self, indexes: dict[str, tuple[str, ...]] | None = None) -> None:
        self._tenants: dict[str, _Tenant] = {}
        self._indexes = dict(indexes or {})
        self.scanned = 0

    def _tenant(self, tenant: str) -> _Tenant:
        found = self._tenants.get(tenant)  # not setdefault: it would build a _Tenant per call
        if found is None:
            found = self._tenants[tenant] = _Tenant()
        return found

    def next_number(self, tenant: str, kind: str) -> int:
        counters = self._tenant(tenant).counters
        counters[kind] = counters.get(kind, 0) + 1
        return counters[kind]

    def table(self, tenant: str, kind: str) -> Table:
        tables = self._tenant(tenant).tables
        found = tables.get(kind)
        if found is None:
            found = tables[kind] = Table(self._indexes.get(kind, ()))
        return found

    def insert(
        self, tenant: str, kind: str, record: dict[str, Any], key: str = "id"
    ) -> dict[str, Any]:
        self.table(tenant, kind)[record[key]] = record
        return record

    def get(
        self, tenant: str, kind: str, record_id: str, label: str | None = None
    ) -> dict[str, Any]:
        """The record, or a 404 that names what was not found (other tenants' records included)."""
        record = self.table(tenant, kind).get(record_id)
        if record is None:
            raise Problem(404, "Not Found", f"{label or kind} {record_id!r} does not exist")
        return record

    def all(self, tenant: str, kind: str) -> Iterator[dict[str, Any]]:
        """Every record of the type: a scan, for the simulator's own reads and rare filters."""
        rows = self.table(tenant, kind).values()
        self.scanned += len(rows)
        return iter(rows)

    def where(self, tenant: str, kind: str, name: str, value: str) -> Iterator[dict[str, Any]]:
        """The records whose field ``name`` is ``value`` (as text), from the index if the field
        has one, else by a scan."""
        table = self.table(tenant, kind)
        if not table.indexed(name):
            return (r for r in self.all(tenant, kind) if str(r.get(name)) == value)
        keys = table.keys_where(name, value)
        self.scanned += len(keys)
        return (table[k] for k in keys)

    def count(self, tenant: str, kind: str, where: tuple[str, str] | None = None) -> int:
        table = self.table(tenant, kind)
        return len(table) if where is None else len(table.keys_where(*where))

    def window(
        self,
        tenant: str,
        kind: str,
        start: int,
        size: int,
        where: tuple[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Records ``start`` to ``start + size`` of the type (or of one index bucket,
        ``where`` = (indexed field, value)), in insertion order, touching only those."""
        table = self.table(tenant, kind)
        if where is None:
            # a page past the end is empty (islice refuses a stop beyond sys.maxsize)
            end = min(start + size, len(table))
            rows = list(islice(table.values(), start, end)) if start < end else []
        else:
            rows = [table[k] for k in table.keys_where(*where)[start : start + size]]
        self.scanned += len(rows)
        return rows

    def drop(self, tenant: str) -> None:
        """Forget every record and counter of ``tenant`` (a per-tenant reset)."""
        self._tenants.pop(tenant, None)

    def tenants(self) -> list[str]:
        return list(self._tenants)


def page(items: list[Any], number: int, size: int) -> tuple[list[Any], int]:
    """Slice one 1-based page; returns (items on the page, page count)."""
    count = max(1, -(-len(items) // size))
    start = (number - 1) * size
    return items[start : start + size], count


def plain(model: Any, **dump: Any) -> dict[str, Any]:
    """A pydantic model as JSON-ready data that keeps ``Decimal`` exact (dates as ISO text)."""
    return {k: _plain(v) for k, v in model.model_dump(**dump).items()}


_SCALARS = frozenset({str, int, bool, float, Decimal, type(None)})  # JSON-ready as they are


def _plain(value: Any) -> Any:
    if value.__class__ in _SCALARS:  # most values: no isinstance chain, no failing hasattr
        return value
    if isinstance(value, datetime):
        return iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
