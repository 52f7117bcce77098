"""The core's store writes a shared record (an engagement) once and every record that points
at it as its key; on load they point at the one loaded engagement again."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator._store import DurableMap, Store


@dataclass
class Shared:
    id: str
    terms: list[str] = field(default_factory=list)


@dataclass
class Pointing:
    name: str
    to: Shared
    also: list[Shared]


def test_shared_records_are_written_once_and_shared_on_load(tmp_path: Path) -> None:
    path = str(tmp_path / "core.db")
    store = Store(path)
    shared = DurableMap(store, "shared")
    store.share(Shared, lambda s: s.id, lambda key: shared[key])
    one = Shared("c1", ["rate v1"] * 1000)
    shared["c1"] = one
    pointing = DurableMap(store, "pointing")
    pointing["p"] = Pointing("p", one, [one, one])
    store.flush()
    blob = store._dump(pointing["p"])
    assert b"rate v1" not in blob  # the engagement's terms are not copied into the item
    again = Store(path)
    shared2 = DurableMap(again, "shared")
    again.share(Shared, lambda s: s.id, lambda key: shared2[key])
    loaded = DurableMap(again, "pointing")["p"]
    assert loaded.to is shared2["c1"] and loaded.also[1] is shared2["c1"]
    assert shared2["c1"].terms == ["rate v1"] * 1000
