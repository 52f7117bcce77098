"""Build ``compare.html`` in a comparison folder (``q2c compare``) from its files alone:
``compare.json`` (every figure per design and seed, the verdicts) and each run folder's
``metrics.json`` (why a design lost money: the oracle's causes and the invariants it broke).

Like a run's report, it never touches live simulator objects: a comparison copied elsewhere
builds the same page.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from reports import _compare_charts as charts
from reports._build import _environment
from reports._errors import RunFolderError
from reports._format import humanize

__all__ = ["COMPARE_HTML", "build_compare"]

COMPARE_HTML = "compare.html"
TEMPLATE = "compare.html.j2"
GROUPS = {
    "outcome": "Outcome",
    "items": "Billable items",
    "money": "Money billed wrong or held, per currency",
    "cycle": "Cycle times (hours)",
    "cash": "Cash",
    "exceptions": "Exceptions",
    "calls": "API calls",
    "vendors": "429s and retries per vendor",
    "recovery": "Recovery after vendor outages",
    "live": "External integrations: wall and CPU time (the sandbox's), the clock's pace",
}


def read_compare(folder: Path) -> dict[str, Any]:
    """``compare.json`` of ``folder``; ``RunFolderError`` when it is missing or unreadable."""
    path = Path(folder) / "compare.json"
    if not path.is_file():
        raise RunFolderError(f"{folder} is not a comparison folder (no compare.json)")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path} is not valid JSON: {exc}") from exc
    return data


def build_compare(folder: Path) -> Path:
    """Write ``compare.html`` into the comparison folder ``folder``; its path."""
    folder = Path(folder)
    compare = read_compare(folder)
    target = folder / COMPARE_HTML
    html = _environment().get_template(TEMPLATE).render(**compare_context(folder, compare))
    target.write_text(html, encoding="utf-8", newline="\n")
    return target


def compare_context(folder: Path, compare: dict[str, Any]) -> dict[str, Any]:
    """Every section of the page as plain values."""
    designs = compare["designs"]
    seeds = len(compare["seeds"])
    currencies = sorted({f["unit"] for f in compare["figures"] if f["group"] == "money"})
    closes = charts.closes_chart(compare)
    return {
        "c": compare,
        "verdicts": [
            {
                "design": d,
                "text": compare["designs_summary"][d]["verdict"],
                "ok": not compare["designs_summary"][d]["failing_seeds"],
            }
            for d in designs
        ],
        "groups": _groups(compare, seeds),
        "charts": [
            *(charts.money_chart(compare, cur) for cur in currencies),
            charts.cycle_chart(compare),
            *([closes] if closes else []),
            charts.calls_chart(compare),
        ],
        "causes": [_causes(folder, compare, d) for d in designs],
        "integrations": sorted(compare.get("integrations", {}).items()),
        "errors": [
            {"design": d, "seed": e["seed"], "error": e["error"]}
            for d in designs
            for e in compare["designs_summary"][d].get("errors", [])
        ],
        "runs": compare["runs"],
    }


def _number(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return f"{Decimal(value):,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.1f}" if unit in ("h", "days") else f"{value:,.2f}"


def _cell(figure: dict[str, Any], seeds: int) -> dict[str, Any]:
    unit = "" if figure["key"].startswith("calls.") else "h"  # a ratio to two decimals
    if not figure["present"]:
        return {"median": "—", "range": "", "bad": False}
    low, high = _number(figure["min"], unit), _number(figure["max"], unit)
    note = "" if low == high else f"{low} – {high}"
    if figure["present"] < seeds:
        note += f" ({figure['present']} of {seeds} seeds)"
    bad = figure["group"] in ("outcome", "items", "money") and figure["max"] not in (0, "0", None)
    bad = bad and "held" not in figure["key"]
    return {"median": _number(figure["median"], unit), "range": note.strip(), "bad": bad}


def _groups(compare: dict[str, Any], seeds: int) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for spec in compare["figures"]:
        cells = [compare["designs_summary"][d]["figures"][spec["key"]] for d in compare["designs"]]
        if spec["group"] == "vendors" and all(c["max"] in (0, None) for c in cells):
            continue  # a vendor no design was throttled by or retried against
        title = GROUPS.get(spec["group"], spec["group"])
        group = groups.setdefault(spec["group"], {"title": title, "rows": []})
        group["rows"].append({"label": spec["label"], "cells": [_cell(c, seeds) for c in cells]})
    return list(groups.values())


def _causes(folder: Path, compare: dict[str, Any], design: str) -> dict[str, Any]:
    """Why ``design`` lost money, over all its seeds: the oracle's leak and mis-billing causes
    (items), and the invariants it broke (violations), read from its run folders."""
    leaked: Counter[str] = Counter()
    misbilled: Counter[str] = Counter()
    invariants: Counter[str] = Counter()
    for run in compare["runs"]:
        if run["design"] != design:
            continue
        invariants.update(run["by_invariant"])
        path = folder / run["folder"] / "metrics.json"
        if not path.is_file():
            continue
        metrics = json.loads(path.read_text(encoding="utf-8"))
        leaked.update(metrics.get("leaked_by_cause", {}))
        misbilled.update(metrics.get("misbilled_by_cause", {}))
    return {
        "design": design,
        "leaked": [(humanize(k), v) for k, v in leaked.most_common()],
        "misbilled": [(humanize(k), v) for k, v in misbilled.most_common()],
        "invariants": [(humanize(k), v) for k, v in invariants.most_common()],
    }
