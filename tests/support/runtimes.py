"""A runtime for unit tests of the core's parts: a fixed clock, spawned flows kept for the
test to run (or not), records kept, and any vendor call refused, since a test that reaches a
vendor here has left the part it meant to test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from orchestrator.runtime import Flow

__all__ = ["StillRuntime"]


class StillRuntime:
    """Time stands at 2026-03-02 09:00 UTC; nothing runs unless the test runs it."""

    def __init__(self) -> None:
        self.spawned: list[tuple[str, Flow[Any]]] = []
        self.records: list[tuple[str, dict[str, Any]]] = []

    def now(self) -> datetime:
        return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def sleep(self, seconds: float) -> Flow[None]:
        return
        yield

    def spawn(self, flow: Flow[Any], name: str) -> None:
        self.spawned.append((name, flow))

    def send(
        self,
        vendor: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Flow[httpx.Response]:
        raise AssertionError(f"no vendor call expected: {method} {vendor} {path}")
        yield

    def record(self, kind: str, **fields: Any) -> None:
        self.records.append((kind, fields))
