"""One night's batch: its id, the window of changes it extracts, the lines it extracted, how far
its load got, and the file it is written to.

The batch id names the night (``B20240131``) and the window is fixed when the batch is planned:
a failed batch is re-run later under the same id, over the same window, so whatever re-runs it
reads the same changes, and a line loaded before the failure is not loaded again (``loaded``
counts the lines done, in file order). The file is JSON lines: a header naming the batch and its
window, then one line per extracted change, keys sorted, so the same night gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import simplejson

__all__ = ["Batch", "batch_id", "render"]

# the order a batch loads its lines: a deal before its contract, a contract (the project set
# up) before the work billed on it, work before the payments for invoices already issued
LINE_ORDER = ("deal", "contract", "breach", "timesheet", "expenses", "milestone", "payment")


def batch_id(cutoff: datetime) -> str:
    """The night's batch id, from its cut-off (one batch per night)."""
    return f"B{cutoff:%Y%m%d}"


@dataclass
class Batch:
    """A planned, extracted or loaded batch (durable: the core keeps it in its store)."""

    id: str
    start: datetime  # changes from here (included) ...
    end: datetime  # ... to the cut-off (excluded)
    lines: list[dict[str, Any]] | None = None  # None: not extracted yet
    loaded: int = 0  # lines loaded, in order
    tries: int = 0  # nights that tried it
    late: list[str] = field(default_factory=list)  # items it loaded after their billing run

    @property
    def done(self) -> bool:
        return self.lines is not None and self.loaded >= len(self.lines)

    @property
    def file_name(self) -> str:
        return f"{self.id}.jsonl"


def render(batch: Batch) -> bytes:
    """The batch file: a header line, then the lines in load order; byte-for-byte the same for
    the same batch."""
    header = {
        "batch": batch.id,
        "from": batch.start.isoformat(),
        "to": batch.end.isoformat(),
        "lines": len(batch.lines or []),
    }
    rows = [header, *(batch.lines or [])]
    text = "".join(
        simplejson.dumps(row, use_decimal=True, sort_keys=True, separators=(",", ":")) + "\n"
        for row in rows
    )
    return text.encode()


def write(batch: Batch, directory: str) -> Path:
    """Write the batch file into ``directory`` (made if missing); a re-run rewrites the same
    bytes."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / batch.file_name
    path.write_bytes(render(batch))
    return path
