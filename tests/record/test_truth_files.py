"""The truth tables are built through Arrow's JSON reader (no pandas import): the Parquet
bytes are those of the same columns built value by value with ``pa.array``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.record import truth_files
from sim.record.truth import ExpenseTruth, GroundTruth, MilestoneTruth, TimeTruth


def _by_pa_array(cls: type, rows: list[object]) -> pa.Table:
    """The columns as ``pa.array`` makes them of the Python values (the reference)."""
    columns = truth_files._columns(cls)
    return pa.table({
        name: pa.array(
            [
                str(getattr(r, name))
                if kind is Decimal and getattr(r, name) is not None
                else getattr(r, name)
                for r in rows
            ],
            truth_files._arrow_types()[kind],
        )
        for name, kind in columns
    })  # fmt: skip


def _truth() -> GroundTruth:
    plus2 = timezone(timedelta(hours=2))
    truth = GroundTruth()
    truth.time = {
        "w1": TimeTruth("w1", "17", "C-1", "p1", "Engineer", "DE", date(2026, 2, 4), 450, True,
                        datetime(2026, 2, 4, 17, 5, 0, 840000, tzinfo=UTC),
                        datetime(2026, 2, 6, 9, 0, tzinfo=plus2), late=True),
        "w2": TimeTruth("w2", None, "C-1", "p2", "Lead \u00fc\u4e2d", "IN", date(1969, 12, 31), 0,
                        False, None, None, corrected=True),
        "w3": TimeTruth("w3", "18", "C-2", "p1", "", "GB", date(2026, 3, 1), 2**40, True,
                        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)),
    }  # fmt: skip
    truth.milestones = {
        "m1": MilestoneTruth("C-1", "M1", Decimal("12500.50"),
                             datetime(2026, 4, 1, 12, tzinfo=UTC), "m-9"),
        "m2": MilestoneTruth("C-1", "M2", Decimal("1E+3"), datetime(2026, 4, 2, tzinfo=plus2)),
    }  # fmt: skip
    return truth


def test_truth_tables_are_the_tables_pa_array_makes_byte_for_byte(tmp_path: Path) -> None:
    truth = _truth()
    truth_files.write_truth(truth, tmp_path / "new")
    for name, (cls, field) in truth_files.TABLES.items():
        held = getattr(truth, field)
        rows = list(held.values() if isinstance(held, dict) else held)
        reference = _by_pa_array(cls, rows)
        pq.write_table(reference, tmp_path / name)
        written = pq.read_table(tmp_path / "new" / name)
        assert written.equals(reference), name
        assert written.num_rows == len(rows)
    # ParquetWriter (the run folder's) and write_table write the same bytes for one chunk
    time_ref = tmp_path / "time-ref.parquet"
    with pq.ParquetWriter(time_ref, _by_pa_array(TimeTruth, [*truth.time.values()]).schema) as w:
        w.write_table(_by_pa_array(TimeTruth, list(truth.time.values())))
    assert (tmp_path / "new" / "time.parquet").read_bytes() == time_ref.read_bytes()
    assert pq.read_table(tmp_path / "new" / "expenses.parquet").num_rows == 0
    assert pq.read_table(tmp_path / "new" / "expenses.parquet").schema == pa.schema(
        [(n, truth_files._arrow_types()[k]) for n, k in truth_files._columns(ExpenseTruth)]
    )
    back = truth_files.read_truth(tmp_path / "new")
    assert back.time["w1"].approved_at == datetime(2026, 2, 6, 7, 0, tzinfo=UTC)
    assert back.milestones["m2"].amount == Decimal("1E+3")


def test_writing_truth_imports_no_pandas(tmp_path: Path) -> None:
    code = (
        "import sys, pathlib\n"
        "from tests.record.test_truth_files import _truth\n"
        "from sim.record.truth_files import write_truth\n"
        f"write_truth(_truth(), pathlib.Path({str(tmp_path)!r}))\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_events_are_written_as_json_dumps_with_indent_one_writes_them() -> None:
    cases: list[dict[str, Any]] = [
        {},
        {"keys": {"time": ["w1", "w2"], "empty": []}, "nested": [[], {}, [1, None, "x"]]},
        {"opportunities": {"C-1": "M\u00fcller \u4e2d"}},  # json escapes what orjson writes raw
        {"disputes": [["INV-1", 2**70]]},  # beyond what orjson writes
        {"control": "\x7f\n\t\x01"},
    ]
    for events in cases:
        assert truth_files._events_json(events) == json.dumps(events, indent=1).encode()
