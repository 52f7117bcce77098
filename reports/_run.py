"""A run folder as written by the simulator: `metrics.json`, `items.csv`, `trace.jsonl`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports._errors import RunFolderError
from reports._items import ItemSummary, read_items

METRICS_FILE = "metrics.json"
ITEMS_FILE = "items.csv"


@dataclass(frozen=True)
class Run:
    """The files of one run, read: metrics as written, items aggregated (None if absent)."""

    path: Path
    metrics: dict[str, Any]
    items: ItemSummary | None

    def section(self, name: str) -> dict[str, Any]:
        """An optional object section of the metrics; empty when missing or not an object."""
        value = self.metrics.get(name)
        return value if isinstance(value, dict) else {}


def read_run(run_dir: Path) -> Run:
    """Read a run folder; `metrics.json` is required, `items.csv` is optional."""
    run_dir = Path(run_dir)
    metrics_path = run_dir / METRICS_FILE
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} is not a run folder: the directory does not exist")
    if not metrics_path.is_file():
        raise RunFolderError(
            f"{run_dir} is not a run folder: {METRICS_FILE} is missing "
            "(the simulator writes it at the end of a run)"
        )
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{metrics_path} is not valid JSON: {exc}") from exc
    if not isinstance(metrics, dict):
        raise RunFolderError(
            f"{metrics_path} must hold a JSON object, not {type(metrics).__name__}"
        )
    items_path = run_dir / ITEMS_FILE
    items = read_items(items_path) if items_path.is_file() else None
    return Run(path=run_dir, metrics=metrics, items=items)
