"""Ground truth as files: one Parquet table per kind of work, one small JSON for the rest.

The oracle re-judges a finished run from these files alone (``q2c judge``), so they must give
back exactly what the actors recorded: every value, every ``None``, and the order in which
the actors recorded them (the oracle walks truth in that order, and its verdicts are listed
so). Parquet keeps typed columns an analyst can load as they are (dates, UTC timestamps,
integers, booleans); amounts stay decimal text, never binary floats.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import json
import re
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sim.record.truth import (
    BreachTruth,
    ExpenseTruth,
    GroundTruth,
    MilestoneTruth,
    PaymentTruth,
    TimeTruth,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["TRUTH_FILES", "read_truth", "write_truth"]

# file name -> (record class, the GroundTruth field holding it)
TABLES: dict[str, tuple[type, str]] = {
    "time.parquet": (TimeTruth, "time"),
    "expenses.parquet": (ExpenseTruth, "expenses"),
    "milestones.parquet": (MilestoneTruth, "milestones"),
    "breaches.parquet": (BreachTruth, "breaches"),
    "payments.parquet": (PaymentTruth, "payments"),
}
EVENTS = "events.json"
CHUNK = 131_072
"""Records made into Arrow columns (and a Parquet row group) at a time: a firm's year logs a
million pieces of work, whose columns as Python lists were a transient peak (issue 14)."""
TRUTH_FILES = (*TABLES, EVENTS)
_BLOCK = 8 << 20  # bytes of JSON lines Arrow's reader parses at a time (one chunk each)


@functools.cache
def _arrow_types() -> dict[type, pa.DataType]:
    """Each record field's Python type -> its column type. pyarrow (and numpy under it) is
    imported when truth is first written or read, not with the simulator: a swarm's workers
    run seeds and write no folder (0.2 s of every worker's start)."""
    import pyarrow as pa

    return {
        str: pa.string(),
        int: pa.int64(),
        bool: pa.bool_(),
        date: pa.date32(),
        datetime: pa.timestamp("us", tz="UTC"),
        Decimal: pa.string(),  # exact decimal text: scale differs from amount to amount
    }


def _base(annotation: Any) -> type:
    """``X | None`` -> ``X``."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return typing.cast(type, inner)
    return typing.cast(type, annotation)


def _columns(cls: type) -> list[tuple[str, type]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, _base(hints[f.name])) for f in dataclasses.fields(cls)]


def _schema(cls: type) -> pa.Schema:
    import pyarrow as pa

    types = _arrow_types()
    return pa.schema([(name, types[kind]) for name, kind in _columns(cls)])


def _decimal_text(value: Any) -> str:
    """orjson's hook for the one type it does not write itself: an amount, as its exact
    decimal text (the column is text: scale differs from amount to amount)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no column type in the truth files")


def _table(cls: type, rows: list[Any]) -> pa.Table:
    """The records as one Arrow table, by way of Arrow's JSON reader: ``pa.array`` on Python
    lists imports pandas on its first call (0.25-0.3 s of every run's CPU, for nothing: no
    pandas object is in sight). orjson writes each record (a dataclass: its fields in order,
    moments as RFC 3339 text with their offset); the reader parses the moments into UTC
    timestamps, and reads dates as text (it parses no date) cast to dates after. The table is
    the one ``pa.array`` made of the same values (a date, a UTC moment, a null each the same),
    so the Parquet bytes are unchanged (``tests/record/test_truth_files.py``)."""
    import pyarrow as pa
    import pyarrow.json as pa_json

    schema = _schema(cls)
    if not rows:
        return pa.Table.from_batches([], schema)
    dates = [i for i, field in enumerate(schema) if field.type == pa.date32()]
    as_read = schema
    for i in dates:
        as_read = as_read.set(i, pa.field(schema.field(i).name, pa.string()))
    lines = io.BytesIO()  # row by row: each of orjson's answers holds a spare kilobyte or so
    for row in rows:
        lines.write(orjson.dumps(row, default=_decimal_text))
        lines.write(b"\n")
    lines.seek(0)
    table = pa_json.read_json(
        lines,
        read_options=pa_json.ReadOptions(use_threads=False, block_size=_BLOCK),
        parse_options=pa_json.ParseOptions(
            explicit_schema=as_read, unexpected_field_behavior="error"
        ),
    ).combine_chunks()
    for i in dates:
        table = table.set_column(i, schema.field(i), table.column(i).cast(pa.date32()))
    return table


def _rows(cls: type, table: pa.Table) -> list[Any]:
    columns = _columns(cls)
    values = {name: table.column(name).to_pylist() for name, _ in columns}
    out = []
    for i in range(table.num_rows):
        kwargs = {}
        for name, kind in columns:
            value = values[name][i]
            if value is not None and kind is Decimal:
                value = Decimal(value)
            elif value is not None and kind is datetime:
                value = value.astimezone(UTC)
            kwargs[name] = value
        out.append(cls(**kwargs))
    return out


def write_truth(truth: GroundTruth, folder: Path) -> None:
    """Write ``truth`` into ``folder`` (created if need be)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, (cls, field) in TABLES.items():
        held = getattr(truth, field)
        rows = iter(held.values() if isinstance(held, dict) else held)
        first = _table(cls, list(itertools.islice(rows, CHUNK)))
        with pq.ParquetWriter(folder / name, first.schema) as out:
            out.write_table(first)
            while chunk := list(itertools.islice(rows, CHUNK)):
                out.write_table(_table(cls, chunk))
    events = {
        "keys": {  # the dicts' keys, in the order the actors added them
            field: list(getattr(truth, field))
            for _, field in TABLES.values()
            if isinstance(getattr(truth, field), dict)
        },
        "time_by_psa_id": {psa: t.work_id for psa, t in truth.time_by_psa_id.items()},
        "subcontractor_costs": [
            [who, month, _iso(at)] for (who, month), at in truth.subcontractor_costs.items()
        ],
        "disputes": [list(d) for d in truth.disputes],
        "deals_won": {k: _iso(v) for k, v in truth.deals_won.items()},
        "executed": {k: _iso(v) for k, v in truth.executed.items()},
        "billing_runs": [[period, _iso(at)] for period, at in truth.billing_runs],
        "opportunities": dict(truth.opportunities),
        "purchase_orders": {k: [po, _iso(at)] for k, (po, at) in truth.purchase_orders.items()},
    }
    (folder / EVENTS).write_bytes(_events_json(events) + b"\n")


_INDENT = re.compile(rb"\n((?:  )+)")


def _events_json(events: dict[str, Any]) -> bytes:
    """``json.dumps(events, indent=1)``, the file's format, as bytes: orjson writes it with
    two spaces a level, halved after (JSON strings hold no raw newline, so every run of
    spaces after one is indentation); Python's indenting encoder took ~0.05 s of a run. What
    orjson would write otherwise goes to ``json``: non-ASCII text or DEL (``json`` escapes
    them), integers beyond 64 bits or keys that are not text (orjson refuses them). No float
    is in the events (ids, moments as text, counts)."""
    try:
        content = orjson.dumps(events, option=orjson.OPT_INDENT_2)
    except TypeError:
        content = b""
    if not content or not content.isascii() or b"\x7f" in content:
        return json.dumps(events, indent=1).encode()
    return _INDENT.sub(lambda m: b"\n" + b" " * (len(m.group(1)) // 2), content)


def read_truth(folder: Path) -> GroundTruth:
    """The ground truth ``write_truth`` wrote into ``folder``."""
    import pyarrow.parquet as pq

    truth = GroundTruth()
    events = json.loads((folder / EVENTS).read_text(encoding="utf-8"))
    for name, (cls, field) in TABLES.items():
        rows = _rows(cls, pq.read_table(folder / name))
        if field in events["keys"]:
            setattr(truth, field, dict(zip(events["keys"][field], rows, strict=True)))
        else:
            setattr(truth, field, rows)
    truth.time_by_psa_id = {psa: truth.time[w] for psa, w in events["time_by_psa_id"].items()}
    truth.subcontractor_costs = {
        (who, month): _moment(at) for who, month, at in events["subcontractor_costs"]
    }
    truth.disputes = [(d[0], d[1]) for d in events["disputes"]]
    truth.deals_won = {k: _at(v) for k, v in events["deals_won"].items()}
    truth.executed = {k: _at(v) for k, v in events["executed"].items()}
    truth.billing_runs = [(period, _at(at)) for period, at in events["billing_runs"]]
    truth.opportunities = dict(events["opportunities"])
    truth.purchase_orders = {k: (po, _at(at)) for k, (po, at) in events["purchase_orders"].items()}
    return truth


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)
