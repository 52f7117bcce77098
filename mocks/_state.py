"""Per-tenant record tables, deterministic ids, pagination and outbound webhooks.

Ids come from counters, never ``uuid4``: the same run must mint the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mocks._http import Problem

__all__ = ["Clock", "Tables", "Webhook", "WebhookSink", "guid", "iso", "page", "plain"]

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Webhook:
    """One outbound notification, as the vendor would POST it to a subscriber."""

    vendor: str
    tenant: str
    event: str
    body: dict[str, Any]


WebhookSink = Callable[[Webhook], None]


def guid(namespace: str, n: int) -> str:
    """A GUID-shaped id, deterministic in (namespace, n)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"q2c:{namespace}:{n}"))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class _Tenant:
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)


class Tables:
    """Records by tenant and type, in insertion order (dicts keep it; no sets anywhere)."""

    def __init__(self) -> None:
        self._tenants: dict[str, _Tenant] = {}

    def _tenant(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def next_number(self, tenant: str, kind: str) -> int:
        counters = self._tenant(tenant).counters
        counters[kind] = counters.get(kind, 0) + 1
        return counters[kind]

    def table(self, tenant: str, kind: str) -> dict[str, dict[str, Any]]:
        return self._tenant(tenant).tables.setdefault(kind, {})

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
        return iter(self.table(tenant, kind).values())

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


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
