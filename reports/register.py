"""The invoice register: every line of every ERP invoice and credit note, with its document's
dates, status, totals and the payments applied to it; expense lines carry the amount paid, the
currency it was paid in and the ERP rate that converted it. Written into the run folder as
`invoice-register.parquet` (typed: amounts are decimals) and `invoice-register.csv`.

Built from the run folder alone: `books/erp-sales-invoices.json`, `books/erp-credit-memos.json`,
`books/erp-customer-payments.json`, `books/erp-exchange-rates.json`, `truth/expenses.parquet`.
A finance reviewer can rebuild any invoice from it: quantity x unit price, rounded, is the net;
net plus tax is the gross; the lines add up to the document's totals.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reports._files import dec, iter_book, read_book
from reports._money import minor_units

PARQUET = "invoice-register.parquet"
CSV = "invoice-register.csv"

_AMOUNT = pa.decimal128(20, 4)
_RATE = pa.decimal128(20, 6)
# (column, Arrow type, meaning): the data dictionary, in one place.
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("document_type", pa.string(), "invoice or credit_memo"),
    ("document_number", pa.string(), "the ERP's number (S-INV000001)"),
    ("status", pa.string(), "Draft, Open, Paid, Canceled, Corrective as the ERP holds it"),
    ("customer_number", pa.string(), "the ERP customer"),
    ("customer_name", pa.string(), "the ERP customer's name"),
    (
        "reference",
        pa.string(),
        "the document's customerPurchaseOrderReference: period and contract",
    ),
    ("document_date", pa.string(), "invoice or credit memo date (ISO)"),
    ("due_date", pa.string(), "payment due date (ISO)"),
    ("posted_at", pa.string(), "when the ERP posted it (UTC), empty for drafts"),
    ("applies_to", pa.string(), "credit memos: the invoice corrected, if any"),
    ("currency", pa.string(), "the document's currency (ISO 4217)"),
    ("line_sequence", pa.int64(), "the line's sequence number on the document"),
    ("line_type", pa.string(), "the ERP line type"),
    ("description", pa.string(), "the line's text"),
    ("billing_role", pa.string(), "charge, credit, adjustment or reversal"),
    ("source_item_ids", pa.string(), "the billable items the line bills, ';'-separated"),
    ("contract_version_id", pa.string(), "CLM record id / version the line was priced from"),
    ("quantity", _AMOUNT, "hours, or 1 for a milestone, expense or credit"),
    ("unit_price", _AMOUNT, "rate per unit in the document's currency"),
    ("net", _AMOUNT, "line amount excluding tax"),
    ("tax_code", pa.string(), "the tax the line carries"),
    ("tax", _AMOUNT, "the line's tax"),
    ("gross", _AMOUNT, "line amount including tax"),
    ("expense_paid_currency", pa.string(), "expense lines: the currency it was paid in"),
    ("expense_paid_amount", _AMOUNT, "expense lines: the amount paid, in that currency"),
    ("fx_date", pa.string(), "expense lines: the day whose ERP rate converted it"),
    ("fx_rate", _RATE, "expense lines: units of the document currency per paid unit"),
    ("document_net", _AMOUNT, "the document's total excluding tax"),
    ("document_tax", _AMOUNT, "the document's total tax"),
    ("document_gross", _AMOUNT, "the document's total including tax"),
    ("payments_applied", _AMOUNT, "invoices: posted payments applied to it"),
    ("payment_count", pa.int64(), "invoices: how many payments"),
    ("last_payment_date", pa.string(), "invoices: the latest payment's posting date"),
    ("remaining", _AMOUNT, "invoices: the amount still open, as the ERP says"),
]
_SCHEMA = pa.schema([(name, kind) for name, kind, _ in COLUMNS])


@dataclass(frozen=True)
class _Expense:
    currency: str
    amount: Decimal
    day: str


def register_rows(run_dir: Path) -> list[dict[str, Any]]:
    """One row per line of every invoice and credit memo in the books, in document order."""
    return list(iter_register_rows(run_dir))


def iter_register_rows(run_dir: Path) -> Iterator[dict[str, Any]]:
    """`register_rows` one row at a time, the documents read one at a time from the books."""
    run_dir = Path(run_dir)
    payments = _payments(iter_book(run_dir, "payments"))
    expenses = _expenses(run_dir / "truth" / "expenses.parquet")
    rates = {
        (str(r["currency"]), str(r["local"]), str(r["date"])): dec(r["rate"])
        for r in read_book(run_dir, "fx_rates")
    }
    for kind, book, lines_key in (
        ("invoice", "invoices", "salesInvoiceLines"),
        ("credit_memo", "credit_memos", "salesCreditMemoLines"),
    ):
        for doc in iter_book(run_dir, book):
            applied = payments.get(str(doc.get("id")), []) if kind == "invoice" else []
            head = _head(kind, doc, applied)
            for line in doc.get(lines_key) or []:
                yield {**head, **_line(line, head["currency"], expenses, rates)}


def _head(kind: str, doc: dict[str, Any], applied: list[dict[str, Any]]) -> dict[str, Any]:
    invoice = kind == "invoice"
    return {
        "document_type": kind,
        "document_number": doc.get("number"),
        "status": doc.get("status"),
        "customer_number": doc.get("customerNumber"),
        "customer_name": doc.get("customerName"),
        "reference": doc.get("customerPurchaseOrderReference") or doc.get("externalDocumentNumber"),
        "document_date": doc.get("invoiceDate") or doc.get("creditMemoDate"),
        "due_date": doc.get("dueDate"),
        "posted_at": doc.get("postedAt"),
        "applies_to": None if invoice else doc.get("invoiceNumber"),
        "currency": doc.get("currencyCode"),
        "document_net": dec(doc.get("totalAmountExcludingTax")),
        "document_tax": dec(doc.get("totalTaxAmount")),
        "document_gross": dec(doc.get("totalAmountIncludingTax")),
        "payments_applied": sum((dec(p.get("amount")) for p in applied), Decimal(0))
        if invoice
        else None,
        "payment_count": len(applied) if invoice else None,
        "last_payment_date": max((str(p.get("postingDate")) for p in applied), default=None),
        "remaining": dec(doc.get("remainingAmount")) if invoice else None,
    }


def _line(
    line: dict[str, Any],
    currency: str,
    expenses: dict[str, _Expense],
    rates: dict[tuple[str, str, str], Decimal],
) -> dict[str, Any]:
    sources = [str(s) for s in line.get("sourceItemIds") or []]
    paid = expenses.get(sources[0]) if len(sources) == 1 else None
    return {
        "line_sequence": line.get("sequence"),
        "line_type": line.get("lineType"),
        "description": line.get("description"),
        "billing_role": line.get("billingRole"),
        "source_item_ids": ";".join(sources),
        "contract_version_id": line.get("contractVersionId"),
        "quantity": dec(line.get("quantity")),
        "unit_price": dec(line.get("unitPrice")),
        "net": dec(line.get("amountExcludingTax")),
        "tax_code": line.get("taxCode"),
        "tax": dec(line.get("totalTaxAmount")),
        "gross": dec(line.get("amountIncludingTax")),
        "expense_paid_currency": paid.currency if paid else None,
        "expense_paid_amount": paid.amount if paid else None,
        "fx_date": paid.day if paid else None,
        "fx_rate": (
            Decimal(1)
            if paid.currency == currency
            else rates.get((paid.currency, currency, paid.day))
        )
        if paid
        else None,
    }


def _payments(book: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_invoice: dict[str, list[dict[str, Any]]] = {}
    for payment in book:
        if payment.get("status", "Posted") == "Posted" and payment.get("appliesToInvoiceId"):
            by_invoice.setdefault(str(payment["appliesToInvoiceId"]), []).append(payment)
    return by_invoice


def _expenses(path: Path) -> dict[str, _Expense]:
    """`psa:expense:<id>` -> what was paid, from ground truth (the PSA's expense as logged)."""
    if not path.is_file():
        return {}
    table = pq.read_table(path, columns=["psa_id", "currency", "amount_minor", "day"])
    out = {}
    for row in table.to_pylist():
        if row["psa_id"] is None:
            continue
        amount = Decimal(int(row["amount_minor"])).scaleb(-minor_units(row["currency"]))
        out[f"psa:expense:{row['psa_id']}"] = _Expense(
            row["currency"], amount, row["day"].isoformat()
        )
    return out


BATCH = 8192  # register rows made into Arrow columns at a time
ROW_GROUP = 131_072  # rows per Parquet row group (a smaller register is one, as before)


def write_register(
    run_dir: Path, rows: Iterable[dict[str, Any]] | None = None
) -> list[dict[str, Any]] | None:
    """Write the register (`rows`, else read from the books) as Parquet and CSV into the run
    folder and return its `summary`; None when the folder has no books.

    Rows are written as they come: a firm's year has a million lines, which held as dicts
    (and again as one Arrow table) were the report's peak memory (issue 14). Parquet gets them
    as Arrow columns a batch at a time, a row group every `ROW_GROUP` rows."""
    run_dir = Path(run_dir)
    if not (run_dir / "books").is_dir():
        return None
    source = iter_register_rows(run_dir) if rows is None else iter(rows)
    names = [name for name, _, _ in COLUMNS]
    tally = _Tally()
    parquet, text = run_dir / PARQUET, run_dir / CSV
    with (
        pq.ParquetWriter(parquet, _SCHEMA, compression="zstd") as columns,
        text.open("w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        batch: list[dict[str, Any]] = []
        held: list[pa.RecordBatch] = []
        for row in source:
            tally.add(row)
            writer.writerow(["" if row[n] is None else row[n] for n in names])
            batch.append(row)
            if len(batch) == BATCH:
                held.append(pa.RecordBatch.from_pylist(batch, schema=_SCHEMA))
                batch = []
                if len(held) * BATCH >= ROW_GROUP:
                    columns.write_table(pa.Table.from_batches(held, _SCHEMA))
                    held = []
        held.append(pa.RecordBatch.from_pylist(batch, schema=_SCHEMA))
        columns.write_table(pa.Table.from_batches(held, _SCHEMA))
    return tally.summary()


def summary(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency and document type: documents, lines, net, tax, gross, paid, open."""
    tally = _Tally()
    for row in rows:
        tally.add(row)
    return tally.summary()


class _Tally:
    """`summary`, a row at a time (rows of one document come together, in document order)."""

    def __init__(self) -> None:
        self._out: dict[tuple[str, str], dict[str, Any]] = {}
        self._seen: set[str] = set()

    def add(self, row: dict[str, Any]) -> None:
        key = (str(row["currency"]), str(row["document_type"]))
        entry = self._out.setdefault(
            key,
            {"documents": 0, "lines": 0, "net": Decimal(0), "tax": Decimal(0),
             "gross": Decimal(0), "paid": Decimal(0), "remaining": Decimal(0), "drafts": 0},
        )  # fmt: skip
        doc = f"{row['document_type']}:{row['document_number']}"
        first = doc not in self._seen
        self._seen.add(doc)
        if row["status"] == "Draft":
            entry["drafts"] += int(first)
            return
        entry["lines"] += 1
        if not first:
            return
        entry["documents"] += 1
        entry["net"] += row["document_net"]
        entry["tax"] += row["document_tax"]
        entry["gross"] += row["document_gross"]
        entry["paid"] += row["payments_applied"] or Decimal(0)
        entry["remaining"] += row["remaining"] or Decimal(0)

    def summary(self) -> list[dict[str, Any]]:
        return [{"currency": c, "type": t, **v} for (c, t), v in sorted(self._out.items())]
