"""The core's durable state: keyed records in one SQLite file (WAL), written ahead of I/O.

A core that crashes between "the ERP made the invoice" and "the ledger says billed" must come
back knowing what it had decided. Writes are buffered and flushed in one transaction whenever
the core is about to wait (a vendor call or a sleep): in simulation a core only dies while it
waits, so everything decided before a wait survives it and a half-made decision never does;
on the wall clock a process can die anywhere, and what was decided since the last flush
(never an I/O's worth: every call flushes first) is decided again on restart.

Values are pickled; records that point at an engagement store its key instead (``share``),
so an engagement is written once and shared again on load. The key is written through the
pickler's ``dispatch_table``, consulted only for objects of the shared type: a
``persistent_id`` hook would be called back for every object of every record (a quarter of a
faulty run's time went there).

A record's pickle names its classes (an item names six or so: its own, its price's, a time
entry's, a resource's, ``date``, ``Decimal``), and writing or reading a class by name imports
its module each time: two thirds of a ledger item's pickling went there (issue 14). So the
core teaches the store (``learn``) a vocabulary, the classes and field names its records are
made of, and every pickle starts from a memo that holds them: a class is written as a two-byte
reference to its place in the vocabulary. The vocabulary is part of the file's format (a
store is read by the code that wrote it; changing the vocabulary makes older files
unreadable). A record of a class in the vocabulary is pickled in the pickler's "fast" mode
(no memo of its own, so the reader's memo stays the vocabulary): such a record is a small tree
of plain values, and an object it holds twice would come back as two equal copies. Any other
record (an outgoing invoice's body, see ``_outbox``: hundreds of lines repeating the same
keys) is pickled as before, with its own memo, which the vocabulary's would only get in the
way of.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

__all__ = ["DurableMap", "Store"]

Reference = Callable[[Any], str]
Resolve = Callable[[str], Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    space TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (space, key)
) WITHOUT ROWID
"""


class Store:
    """Spaces of keyed records; ``path=None`` keeps them in memory (nothing survives)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None  # no file, no database: nothing to keep
        if path is not None:
            # the wall-clock runtime runs flows on threads: one connection, used under a lock
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        self._pending: dict[tuple[str, str], Any] = {}
        self._deleted = object()
        self.resolve: Resolve = lambda key: None
        self._shared: type | None = None
        self._dispatch: dict[type, Callable[[Any], tuple[Any, tuple[str]]]] = {}
        self._writer_memo: Any = None  # the vocabulary as a pickler's memo (see ``learn``)
        self._reader: _Reader | None = None  # ... and as an unpickler's
        self._learned: dict[type, None] = {}  # the classes whose records use the vocabulary
        # picklers against the vocabulary, made once (by "points at shared records"): setting
        # a pickler's memo copies it, and that copy and a new pickler per record cost more
        # than the pickling of a pending item itself (issue 14); fast mode never adds to the
        # memo, so one pickler writes every record from the same vocabulary
        self._picklers: dict[bool, tuple[io.BytesIO, pickle.Pickler]] = {}
        self.flushes = 0

    def learn(self, vocabulary: Iterable[Any]) -> None:
        """Pickle records against ``vocabulary``: the classes (and plain objects) they are
        made of; a class's field names are added after it. Once, before anything is read or
        written, with the same vocabulary the store's file was written with."""
        words: dict[int, Any] = {id(_shared): _shared}
        for thing in vocabulary:
            words.setdefault(id(thing), thing)
            for name in _field_names(thing):
                name = sys.intern(name)
                words.setdefault(id(name), name)
        known = tuple(words.values())
        self._learned = {thing: None for thing in known if isinstance(thing, type)}
        buffer = io.BytesIO()
        writer = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        writer.dump(known)
        self._reader = _Reader(io.BytesIO(buffer.getvalue()), lambda key: self.resolve(key))
        self._reader.load()
        self._writer_memo = writer.memo
        self._picklers.clear()

    def share(self, kind: type, key: Reference, resolve: Resolve) -> None:
        """Objects of ``kind`` inside other records are written as ``key(obj)`` and read back
        as ``resolve(key)``; a record that *is* one is written whole."""
        self._shared, self.resolve = kind, resolve
        self._dispatch = {kind: lambda obj: (_shared, (key(obj),))}
        self._picklers.clear()

    @property
    def durable(self) -> bool:
        return self.path is not None

    def put(self, space: str, key: str, value: Any) -> None:
        if self.durable:
            with self._lock:
                self._pending[(space, key)] = value

    def delete(self, space: str, key: str) -> None:
        if self.durable:
            with self._lock:
                self._pending[(space, key)] = self._deleted

    def flush(self) -> None:
        """Write every buffered change in one transaction."""
        if not self._pending or self._db is None:
            return
        with self._lock:
            rows, gone = [], []
            for (space, key), value in self._pending.items():
                if value is self._deleted:
                    gone.append((space, key))
                else:
                    rows.append((space, key, self._dump(value)))
            self._pending.clear()
            with self._db:
                self._db.execute("BEGIN")
                if gone:
                    self._db.executemany("DELETE FROM record WHERE space = ? AND key = ?", gone)
                self._db.executemany(
                    "INSERT OR REPLACE INTO record (space, key, value) VALUES (?, ?, ?)", rows
                )
            self.flushes += 1

    def read(self, space: str, key: str) -> Any:
        """One record, as last put (buffered or written); ``KeyError`` if there is none. For
        a map that keeps its values here rather than in RAM (``_ledger``'s billed items)."""
        with self._lock:
            value = self._pending.get((space, key), _ABSENT)
            if value is self._deleted:
                raise KeyError(key)
            if value is not _ABSENT:
                return value
            if self._db is None:
                raise KeyError(key)
            row = self._db.execute(
                "SELECT value FROM record WHERE space = ? AND key = ?", (space, key)
            ).fetchone()
        if row is None:
            raise KeyError(key)
        return self._load(row[0])

    def load(self, space: str) -> dict[str, Any]:
        """Every record of ``space``, in key order."""
        if self._db is None:
            return {}
        rows = self._db.execute(
            "SELECT key, value FROM record WHERE space = ? ORDER BY key", (space,)
        )
        return {key: self._load(value) for key, value in rows}

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()

    def _dump(self, value: Any) -> bytes:
        pointing = self._shared is not None and type(value) is not self._shared
        if self._writer_memo is not None and type(value) in self._learned:
            return self._dump_worded(value, pointing)
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        if pointing:
            pickler.dispatch_table = self._dispatch
        pickler.dump(value)
        return buffer.getvalue()

    def _dump_worded(self, value: Any, pointing: bool) -> bytes:
        made = self._picklers.get(pointing)
        if made is None:
            buffer = io.BytesIO()
            pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.memo = self._writer_memo  # a copy: the vocabulary, by place
            pickler.fast = True  # memoize nothing more: the reader's memo stays the vocabulary
            if pointing:
                pickler.dispatch_table = self._dispatch
            made = self._picklers[pointing] = (buffer, pickler)
        buffer, pickler = made
        buffer.seek(0)
        buffer.truncate()
        buffer.write(_WORDED)
        try:
            pickler.dump(value)
        except BaseException:
            del self._picklers[pointing]  # a pickle cut short: the next record starts afresh
            raise
        return buffer.getvalue()

    def _load(self, blob: bytes) -> Any:
        worded = blob[:1] == _WORDED
        reader = _Reader(io.BytesIO(blob[1:] if worded else blob), self.resolve)
        if worded:
            if self._reader is None:
                raise ValueError("a record pickled against a vocabulary the store never learnt")
            reader.memo = self._reader.memo  # a copy of the vocabulary the pickle refers to
        return reader.load()


_ABSENT = object()  # no buffered change (``read``)
_WORDED = b"V"  # marks a pickle made against the vocabulary (a plain one starts with 0x80)


def _shared(key: str) -> Any:
    """Stands for a shared record in a pickle; ``_Reader`` resolves it (never called)."""
    raise RuntimeError(f"shared record {key!r} read without its store")


class _Reader(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, resolve: Resolve) -> None:
        super().__init__(file)
        self._resolve = resolve

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, "_shared"):
            return self._resolve
        return super().find_class(module, name)


def _field_names(thing: Any) -> list[str]:
    """The attribute names a record of class ``thing`` pickles (none for anything else)."""
    if not isinstance(thing, type):
        return []
    if dataclasses.is_dataclass(thing):
        return [f.name for f in dataclasses.fields(thing)]
    fields = getattr(thing, "model_fields", None)  # a pydantic model: its state's keys too
    if isinstance(fields, dict):
        state = ["__dict__", "__pydantic_extra__", "__pydantic_fields_set__"]
        return [*fields, *state, "__pydantic_private__"]
    slots = thing.__dict__.get("__slots__", ())  # a plain slotted class: its slots' names
    return [slots] if isinstance(slots, str) else list(slots)


def _encode(key: Any) -> str:
    return key if isinstance(key, str) else json.dumps(key)


def _decode(text: str) -> Any:
    if not text.startswith("["):
        return text
    return tuple(json.loads(text))


class DurableMap(MutableMapping[Any, Any]):
    """A dict that writes through to one space of a store (keys: str or tuples of str).

    A value changed in place is not seen: call ``touch(key)`` after mutating it.
    """

    def __init__(self, store: Store, space: str) -> None:
        self._store = store
        self._space = space
        self._data: dict[Any, Any] = {_decode(k): v for k, v in store.load(space).items()}

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._data[key] = value
        self._store.put(self._space, _encode(key), value)

    def __delitem__(self, key: Any) -> None:
        del self._data[key]
        self._store.delete(self._space, _encode(key))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: Any, default: Any = None) -> Any:
        return self._data.get(key, default)

    def touch(self, key: Any) -> None:
        """Write ``key``'s value again (it was changed in place)."""
        self._store.put(self._space, _encode(key), self[key])

    def _stored(self, key: Any) -> Any:
        """``key``'s value as the store has it (for a map that does not keep it in RAM)."""
        return self._store.read(self._space, _encode(key))
