"""The exception queue finds the open exception for a reason and subject without a scan."""

from __future__ import annotations

from orchestrator._state import ExceptionQueue
from orchestrator._store import Store


def test_open_for_finds_only_the_open_one() -> None:
    queue = ExceptionQueue(Store(None))
    row = {"status": "open", "reason": "missing_po", "item": "contract:K1", "items": ["a"]}
    assert queue.open(dict(row))
    assert queue.open({**row, "reason": "unpriced"})
    found = queue.open_for("missing_po", "contract:K1")
    assert found is not None and found["items"] == ["a"]
    assert queue.open_for("missing_po", "contract:K2") is None
    assert queue.resolve("missing_po", "contract:K1", "2026-01-01T00:00:00")
    assert queue.open_for("missing_po", "contract:K1") is None
    assert queue.open_for("unpriced", "contract:K1") is not None
