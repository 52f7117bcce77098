"""The run's record as files: ground truth, books and facts come back exactly as written."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.record import truth_files
from sim.record.books import Books, read_books, write_books
from sim.record.folder import RecordError, read_record, write_record
from sim.record.truth_files import read_truth, write_truth
from sim.runner import RunResult, run
from sim.scenario.format import Scenario


@pytest.fixture(scope="module")
def small_run(small: Scenario) -> RunResult:
    return run(small, 3)


def _fields(record: object) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}  # type: ignore[arg-type]


def test_ground_truth_round_trips_value_for_value_and_in_order(
    small_run: RunResult, tmp_path: Path
) -> None:
    truth = small_run.record.truth
    assert truth.time and truth.milestones and truth.payments and truth.billing_runs
    write_truth(truth, tmp_path)
    back = read_truth(tmp_path)
    for name in ("time", "milestones", "expenses"):
        assert list(getattr(back, name)) == list(getattr(truth, name))  # keys, in order
        for key, row in getattr(truth, name).items():
            assert _fields(getattr(back, name)[key]) == _fields(row)
    for name in ("breaches", "payments"):
        assert [_fields(r) for r in getattr(back, name)] == [
            _fields(r) for r in getattr(truth, name)
        ]
    for name in ("subcontractor_costs", "disputes", "deals_won", "executed", "billing_runs",
                 "opportunities", "purchase_orders"):  # fmt: skip
        assert getattr(back, name) == getattr(truth, name), name
    assert {k: v.work_id for k, v in back.time_by_psa_id.items()} == {
        k: v.work_id for k, v in truth.time_by_psa_id.items()
    }
    moment = next(t.approved_at for t in back.time.values() if t.approved_at)
    assert moment.utcoffset() is not None  # instants stay UTC-aware


def test_truth_written_a_chunk_at_a_time_reads_back_the_same(
    small_run: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = small_run.record.truth
    monkeypatch.setattr(truth_files, "CHUNK", 7)
    write_truth(truth, tmp_path)
    assert pq.ParquetFile(tmp_path / "time.parquet").num_row_groups == -(-len(truth.time) // 7)
    back = read_truth(tmp_path)
    assert list(back.time) == list(truth.time)
    assert [_fields(r) for r in back.time.values()] == [_fields(r) for r in truth.time.values()]


def test_books_are_written_one_record_per_line(tmp_path: Path) -> None:
    """The layout the report reads a record at a time (``reports._files.iter_book``)."""
    books = Books(invoices=[{"id": f"i{n}", "lines": [{"n": n}]} for n in range(3)])
    write_books(books, tmp_path)
    text = (tmp_path / "erp-sales-invoices.json").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "[", *(f'{{"id":"i{n}","lines":[{{"n":{n}}}]}}' + ("," if n < 2 else "") for n in range(3)),
        "]",
    ]  # fmt: skip
    assert (tmp_path / "erp-credit-memos.json").read_text(encoding="utf-8") == "[]\n"


def test_books_keep_exact_decimals(tmp_path: Path) -> None:
    books = Books(
        invoices=[{"id": "i1", "totalAmountIncludingTax": Decimal("1190.10"),
                   "lines": [{"amountExcludingTax": Decimal("0.005"), "quantity": 7}]}],
        exceptions={"psa:expense:9": "missing_receipt"},
        fx_rates={("GBP", "EUR", date(2026, 3, 2)): Decimal("1.171234")},
    )  # fmt: skip
    write_books(books, tmp_path)
    back = read_books(tmp_path)
    assert back == books
    amount = back.invoices[0]["totalAmountIncludingTax"]
    assert isinstance(amount, Decimal) and str(amount) == "1190.10"
    assert back.rate("GBP", "EUR", date(2026, 3, 2)) == Decimal("1.171234")
    with pytest.raises(KeyError, match="no exchange rate USD -> EUR"):
        back.rate("USD", "EUR", date(2026, 3, 2))


def test_a_folder_without_its_record_is_refused_by_name(
    small_run: RunResult, tmp_path: Path
) -> None:
    write_record(small_run.record, tmp_path)
    assert read_record(tmp_path).facts == small_run.record.facts
    (tmp_path / "books" / "erp-sales-invoices.json").unlink()
    with pytest.raises(RecordError, match=r"missing books/erp-sales-invoices\.json"):
        read_record(tmp_path)
