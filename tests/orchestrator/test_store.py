"""The core's store writes a shared record (an engagement) once and every record that points
at it as its key; on load they point at the one loaded engagement again."""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

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


def test_a_vocabulary_writes_classes_and_field_names_by_place(tmp_path: Path) -> None:
    """A store that learnt the records' classes writes none of their names (nor their fields'),
    and a store that learnt the same vocabulary reads the records back, shared ones shared."""
    path = str(tmp_path / "core.db")

    def opened() -> tuple[Store, DurableMap, DurableMap]:
        store = Store(path)
        store.learn([Shared, Pointing, date])
        shared = DurableMap(store, "shared")
        store.share(Shared, lambda s: s.id, lambda key: shared[key])
        return store, shared, DurableMap(store, "pointing")

    store, shared, pointing = opened()
    one = shared["c1"] = Shared("c1", ["rate v1"])
    pointing["p"] = Pointing("p", one, [one])
    plain = Store(None)._dump(Pointing("p", Shared("c2"), []))
    blob = store._dump(pointing["p"])
    assert b"Pointing" in plain and b"also" in plain
    assert b"Pointing" not in blob and b"also" not in blob and b"_shared" not in blob
    store.flush()
    _, shared2, pointing2 = opened()
    loaded = pointing2["p"]
    assert loaded == Pointing("p", Shared("c1", ["rate v1"]), [Shared("c1", ["rate v1"])])
    assert loaded.to is shared2["c1"] and loaded.also[0] is shared2["c1"]


def test_a_record_outside_the_vocabulary_keeps_its_own_memo(tmp_path: Path) -> None:
    """A record of another class (an outgoing invoice's dict: lines repeating their keys) is
    pickled with a memo of its own, and read back next to vocabulary records."""
    store = Store(str(tmp_path / "core.db"))
    store.learn([Shared, date])
    lines = [{"description": f"line {n}", "unitPrice": "1.00"} for n in range(50)]
    lines = [{sys.intern(k): v for k, v in line.items()} for line in lines]
    outgoing, item = {"lines": lines}, Shared("c1", ["x"])
    blob = store._dump(outgoing)
    assert blob.count(b"unitPrice") == 1  # memoized: written once
    assert store._load(blob) == outgoing and store._load(store._dump(item)) == item
    assert store._load(store._dump(date(2026, 1, 2))) == date(2026, 1, 2)


def test_records_pickled_one_after_another_stand_alone(tmp_path: Path) -> None:
    """The store writes every vocabulary record with the same pickler: each record's bytes
    are its own (none carries the previous record's tail), each reads back alone, and a
    record that cannot be pickled leaves the next one whole."""
    store = Store(str(tmp_path / "core.db"))
    store.learn([Shared, Pointing, date])
    shared = DurableMap(store, "shared")
    store.share(Shared, lambda s: s.id, lambda key: shared[key])
    one = shared["c1"] = Shared("c1", ["rate v1"])
    long = store._dump(Pointing("long name " * 20, one, [one] * 5))
    short = store._dump(Pointing("p", one, []))
    assert len(short) < len(long) and store._dump(Pointing("p", one, [])) == short
    assert store._load(short) == Pointing("p", one, [])
    unpicklable = Pointing("q", one, [lambda: None])  # type: ignore[list-item]
    with pytest.raises((pickle.PicklingError, AttributeError)):
        store._dump(unpicklable)
    assert store._dump(Pointing("p", one, [])) == short
    assert store._load(long) == Pointing("long name " * 20, one, [one] * 5)
