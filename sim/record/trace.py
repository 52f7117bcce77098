"""The run's trace: one JSON line per thing that happened, in simulated time.

Lines are serialised with sorted keys as they are written, so the file's SHA-256 is a
fingerprint of the run: same scenario, seed and code give the same bytes.

Lines go to a spooled temporary file as they are written (and into the running SHA-256), not
into a list: a firm's year writes millions of lines, which held in RAM were a good part of a
big run's peak (issue 14). The first 8 MiB stay in memory, so a small run (a test, a swarm
seed) opens no file. ``content`` reads the file back for the few callers that want
the bytes (tests, small runs); ``save`` copies it in chunks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Trace"]

_SPOOL = 8 * 1024 * 1024  # bytes of trace kept in memory before it moves to a file


def _default(value: Any) -> str:
    return str(value)


def _over() -> datetime:
    raise RuntimeError("the run is over: its trace is closed to new lines")


class Trace:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - see below
        weakref.finalize(self, self._file.close)  # no ResourceWarning when a trace is dropped
        self._hash = hashlib.sha256()
        self._count = 0
        self._lock = threading.Lock()  # a served run writes from its server's threads
        self._encode = json.JSONEncoder(
            sort_keys=True, default=_default, separators=(",", ":")
        ).encode
        self.kinds: Counter[str] = Counter()

    def write(self, kind: str, **fields: Any) -> None:
        at = self._clock().isoformat().replace("+00:00", "Z")
        record = {"at": at, "kind": kind, **fields}
        line = (self._encode(record) + "\n").encode()
        with self._lock:
            self._file.write(line)
            self._hash.update(line)
            self._count += 1
            self.kinds[kind] += 1

    def detach(self) -> Trace:
        """Forget the clock (a bound method of the world, which it would keep alive): the run
        is over and nothing more is written. Returns the trace."""
        self._clock = _over
        return self

    def __len__(self) -> int:
        return self._count

    def content(self) -> bytes:
        if not self._count:
            return b"\n"  # no line: the one newline an empty trace always had
        with self._lock:
            self._file.flush()
            self._file.seek(0)
            data = self._file.read()
            self._file.seek(0, 2)
        return data

    def sha256(self) -> str:
        if not self._count:
            return hashlib.sha256(b"\n").hexdigest()
        return self._hash.hexdigest()

    def save(self, path: Path) -> None:
        if not self._count:
            path.write_bytes(b"\n")
            return
        with self._lock, path.open("wb") as out:
            self._file.flush()
            self._file.seek(0)
            shutil.copyfileobj(self._file, out)
            self._file.seek(0, 2)
