"""The report's "where every billable amount went" table, checked against metrics.json."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from reports._risk import reconciliation
from reports._run import read_run


def assert_rows_add_up(folder: Path) -> None:
    """Per currency, from items.csv: billable = correct + leaked + duplicated + mis-billed +
    held, with nothing unexplained, and billable, correct, leaked and held equal to what
    metrics.json states (computed by the simulator, by other code, from the oracle's verdicts)."""
    table = reconciliation(read_run(folder))
    assert table is not None and table["rows"]
    metrics = json.loads((folder / "metrics.json").read_text())
    assert sorted(r["currency"] for r in table["rows"]) == sorted(metrics["amounts"])
    for row in table["rows"]:
        v = row["values"]
        parts = v["correct"] + v["leaked"] + v["duplicated"] + v["misbilled"] + v["held"]
        assert v["other"] == 0, (row["currency"], "an item with a verdict outside the five")
        assert parts == v["billable"] and row["adds_up"], row["currency"]
        stated = metrics["amounts"][row["currency"]]
        for key in ("billable", "correct", "leaked", "held"):
            assert v[key] == Decimal(stated[key]), (row["currency"], key)
