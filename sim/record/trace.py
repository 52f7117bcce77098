"""The run's trace: one JSON line per thing that happened, in simulated time.

Lines are serialised with sorted keys as they are written, so the file's SHA-256 is a
fingerprint of the run: same scenario, seed and code give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Trace"]


def _default(value: Any) -> str:
    return str(value)


class Trace:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lines: list[str] = []
        self.kinds: Counter[str] = Counter()

    def write(self, kind: str, **fields: Any) -> None:
        at = self._clock().isoformat().replace("+00:00", "Z")
        record = {"at": at, "kind": kind, **fields}
        self._lines.append(
            json.dumps(record, sort_keys=True, default=_default, separators=(",", ":"))
        )
        self.kinds[kind] += 1

    def __len__(self) -> int:
        return len(self._lines)

    def content(self) -> bytes:
        return ("\n".join(self._lines) + "\n").encode()

    def sha256(self) -> str:
        return hashlib.sha256(self.content()).hexdigest()

    def save(self, path: Path) -> None:
        path.write_bytes(self.content())
