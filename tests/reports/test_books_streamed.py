"""The report reads the vendors' books a record at a time (a firm's year writes hundreds of
megabytes of them, issue 14), and the invoice register in batches, with the same results as
reading them whole, whatever the books' layout."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reports import RunFolderError
from reports import register as register_module
from reports._files import iter_book, read_book
from reports.register import register_rows, summary, write_register
from sim.record.books import Books, write_books

INVOICES = [
    {"id": f"inv{n}", "number": f"S-INV{n:06d}", "status": "Open" if n % 3 else "Draft",
     "currencyCode": "EUR", "totalAmountExcludingTax": Decimal("100.10") * n,
     "totalTaxAmount": Decimal("19.02") * n, "totalAmountIncludingTax": Decimal("119.12") * n,
     "remainingAmount": Decimal("0.01") * n, "invoiceDate": "2026-01-31",
     "salesInvoiceLines": [
         {"sequence": 10000 * (k + 1), "lineType": "Item", "description": f"line {k}",
          "quantity": Decimal("1.25"), "unitPrice": Decimal("80.08"),
          "amountExcludingTax": Decimal("100.10"), "totalTaxAmount": Decimal("19.02"),
          "amountIncludingTax": Decimal("119.12"), "taxCode": "VAT19",
          "sourceItemIds": [f"psa:time_entry:{n}-{k}"], "contractVersionId": "r1/v1",
          "billingRole": "charge"}
         for k in range(n % 4)
     ]}
    for n in range(1, 12)
]  # fmt: skip


def test_a_book_written_by_the_simulator_is_read_record_by_record(tmp_path: Path) -> None:
    write_books(Books(invoices=INVOICES), tmp_path / "books")
    streamed = iter_book(tmp_path, "invoices")
    assert next(streamed) == INVOICES[0]  # one record, before the rest is read
    assert [INVOICES[0], *streamed] == read_book(tmp_path, "invoices") == INVOICES
    assert list(iter_book(tmp_path, "credit_memos")) == []  # an empty book: "[]"
    assert list(iter_book(tmp_path / "nowhere", "tax")) == []  # an absent one


@pytest.mark.parametrize("indent", [None, 1, 2])
def test_a_book_laid_out_otherwise_is_read_whole(tmp_path: Path, indent: int | None) -> None:
    (tmp_path / "books").mkdir()
    text = json.dumps(json.loads(json.dumps(INVOICES, default=str)), indent=indent)
    (tmp_path / "books" / "erp-sales-invoices.json").write_text(text, encoding="utf-8")
    assert list(iter_book(tmp_path, "invoices")) == read_book(tmp_path, "invoices")


def test_a_broken_book_is_named(tmp_path: Path) -> None:
    write_books(Books(invoices=INVOICES), tmp_path / "books")
    path = tmp_path / "books" / "erp-sales-invoices.json"
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # cut short
    with pytest.raises(RunFolderError, match=r"erp-sales-invoices\.json is not valid JSON"):
        list(iter_book(tmp_path, "invoices"))


def test_the_register_written_in_batches_holds_every_line_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_books(Books(invoices=INVOICES), tmp_path / "books")
    monkeypatch.setattr(register_module, "BATCH", 2)
    monkeypatch.setattr(register_module, "ROW_GROUP", 4)
    rows = register_rows(tmp_path)
    assert len(rows) == sum(n % 4 for n in range(1, 12)) == 18
    totals = write_register(tmp_path)
    assert totals == summary(rows)
    assert totals is not None and totals[0]["documents"] == 6 and totals[0]["drafts"] == 3
    assert totals[0]["lines"] == 12  # the drafts' lines are not counted
    table = pq.ParquetFile(tmp_path / "invoice-register.parquet")
    assert table.num_row_groups == 5  # 4 + 4 + 4 + 4 + 2 rows
    assert table.read().to_pylist() == [
        {k: (v.quantize(Decimal("0.0001")) if isinstance(v, Decimal) else v) for k, v in r.items()}
        for r in rows
    ]
    lines = (tmp_path / "invoice-register.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(rows)
