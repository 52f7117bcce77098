"""A run folder as written by the simulator: `metrics.json`, `items.csv`, `trace.jsonl`,
`scenario.json`, `run.json`, `about.json` and `books/`. Only `metrics.json` is required: older
or hand-made folders give a shorter report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reports._errors import RunFolderError
from reports._files import business_question, iter_book, read_book, read_json
from reports._items import ItemSummary, read_items
from reports._money import Converter
from reports._trace import TraceDigest, read_trace

METRICS_FILE = "metrics.json"
ITEMS_FILE = "items.csv"


@dataclass
class Run:
    """The files of one run, read: metrics as written, items aggregated (None if absent); the
    scenario, run facts, books and trace are read when first asked for."""

    path: Path
    metrics: dict[str, Any]
    items: ItemSummary | None
    _books: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def scenario(self) -> dict[str, Any]:
        """scenario.json (empty when the folder has none)."""
        value = read_json(self.path / "scenario.json", {})
        return value if isinstance(value, dict) else {}

    @cached_property
    def trace(self) -> TraceDigest:
        """The trace's billing runs, faults and the core's answers to them."""
        return read_trace(self.path / "trace.jsonl")

    @cached_property
    def question(self) -> str | None:
        """The scenario's business question, from the run folder's `about.json`."""
        return business_question(self.path)

    def book(self, name: str) -> Any:
        """One of the vendors' books (`invoices`, `payments`, ...), read once."""
        if name not in self._books:
            self._books[name] = read_book(self.path, name)
        return self._books[name]

    def records(self, name: str) -> Iterator[Any]:
        """The records of a list book one at a time, read afresh (never kept: the invoices and
        tax documents of a big run are hundreds of megabytes)."""
        if name in self._books:
            return iter(self._books[name])
        return iter_book(self.path, name)

    @property
    def has_books(self) -> bool:
        """Whether the folder holds the vendors' books (runs written before them do not)."""
        return (self.path / "books").is_dir()

    @cached_property
    def reporting_currency(self) -> str:
        """The currency totals are converted to: the first legal entity's (the group's parent),
        else the first currency of the metrics, alphabetically."""
        entities = self.scenario.get("legal_entities")
        if isinstance(entities, list) and entities and isinstance(entities[0], dict):
            currency = entities[0].get("currency")
            if isinstance(currency, str):
                return currency
        currencies = sorted(self.section("amounts"))
        return currencies[0] if currencies else "EUR"

    @cached_property
    def converter(self) -> Converter:
        """Converts to the reporting currency at the ERP's latest rate by the period's end."""
        asof = str(self.section("period").get("end") or "9999-12-31")
        return Converter.from_books(self.reporting_currency, self.book("fx_rates"), asof)

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
