"""The books: the vendors' end state after a run, as plain data, and the run's own facts.

The oracle judges these, never live objects: what the ERP holds (invoices with their lines,
credit memos, payments), what the tax engine committed, the CLM's contract records, the PSA's
workspaces and rate-card versions, the core's open exception queue (read through its
experience API, as any reviewer would), and the ERP's published exchange rates for the days
and currencies the run's expenses need. Each is written as JSON, the vendors' own shape, with
amounts kept as exact decimals (``simplejson``'s ``use_decimal``: never a binary float).

``RunFacts`` is what the world measured while it ran (calls per vendor, faults fired, the
trace's fingerprint, the core's resilience figures): numbers the oracle cannot recompute from
books, carried into ``metrics.json`` unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import simplejson

from sim.record.book_text import record_bytes

__all__ = ["BOOK_FILES", "FACTS_FILE", "Books", "RunFacts", "read_books", "write_books"]

Record = dict[str, Any]
FACTS_FILE = "run.json"


@dataclass
class Books:
    invoices: list[Record] = field(default_factory=list)  # ERP salesInvoices with lines
    credit_memos: list[Record] = field(default_factory=list)  # ERP salesCreditMemos
    payments: list[Record] = field(default_factory=list)  # ERP customer payments
    # tax engine transactions (from a live run, a sequence that makes each when it is read)
    tax_documents: Sequence[Record] = field(default_factory=list)
    clm_records: list[Record] = field(default_factory=list)  # CLM contract records
    psa_workspaces: list[Record] = field(default_factory=list)
    psa_rate_card_versions: list[Record] = field(default_factory=list)
    exceptions: dict[str, str] = field(default_factory=dict)  # open: source id -> hold reason
    exception_log: list[Record] = field(default_factory=list)  # all raised, with their times
    fx_rates: dict[tuple[str, str, date], Decimal] = field(default_factory=dict)

    def rate(self, currency: str, local: str, day: date) -> Decimal:
        """The ERP's published rate: units of ``local`` for one ``currency`` on ``day``."""
        try:
            return self.fx_rates[(currency, local, day)]
        except KeyError:
            missing = f"no exchange rate {currency} -> {local} on {day} in the books"
            raise KeyError(missing) from None


@dataclass
class RunFacts:
    """What the world measured during the run (see the module docstring)."""

    seed: int
    design: str
    options: dict[str, str]
    run_until: str  # the simulated moment the run ended (ISO 8601)
    trace_sha256: str
    trace_lines: int
    events: int
    consultants: int
    webhooks_delivered: int
    api_calls: dict[str, int]
    api_errors: dict[str, Any]
    contract_violations: dict[str, int]
    vendors: dict[str, Any]
    faults_fired: dict[str, Any]
    failed_flows: int
    vendor_holds_at_end: list[str]  # hold reasons a fault still in force justifies
    resilience: dict[str, Any] = field(default_factory=dict)  # webhooks, crashes, the core's

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return simplejson.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RunFacts:
        return cls(**simplejson.loads(text))


BOOK_FILES = {
    "invoices": "erp-sales-invoices.json",
    "credit_memos": "erp-credit-memos.json",
    "payments": "erp-customer-payments.json",
    "tax_documents": "tax-transactions.json",
    "clm_records": "clm-records.json",
    "psa_workspaces": "psa-workspaces.json",
    "psa_rate_card_versions": "psa-rate-card-versions.json",
    "exceptions": "core-exceptions.json",
    "exception_log": "core-exception-log.json",
    "fx_rates": "erp-exchange-rates.json",
}


def _dump(value: Any, out: BinaryIO) -> None:
    """Compact JSON, one record per line: small, and still readable with ``head``. Written
    record by record: a big run's books are hundreds of megabytes of text, and the tax
    engine's documents are made as they are read (``Books.tax_documents``), so neither the
    text nor the records are ever all in memory at once (issue 14). Each record is encoded by
    ``sim.record.book_text`` (simplejson's bytes, at orjson's speed)."""
    rows: Iterator[bytes]
    if isinstance(value, dict):
        opening, closing = b"{", b"}"
        rows = (record_bytes(k) + b":" + record_bytes(v) for k, v in value.items())
    else:
        opening, closing = b"[", b"]"
        rows = map(record_bytes, value)
    first = next(rows, None)
    if first is None:
        out.write(opening + closing + b"\n")
        return
    out.write(opening + b"\n" + first)
    for row in rows:
        out.write(b",\n" + row)
    out.write(b"\n" + closing + b"\n")


def write_books(books: Books, folder: Path) -> None:
    """One JSON file per book in ``folder`` (created if need be)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, file in BOOK_FILES.items():
        value: Any = getattr(books, name)
        if name == "fx_rates":
            value = [
                {"currency": c, "local": local, "date": day.isoformat(), "rate": rate}
                for (c, local, day), rate in value.items()
            ]
        with (folder / file).open("wb") as out:
            _dump(value, out)


def read_books(folder: Path) -> Books:
    """The books ``write_books`` wrote into ``folder``."""
    values: dict[str, Any] = {}
    for name, file in BOOK_FILES.items():
        values[name] = simplejson.loads((folder / file).read_text(encoding="utf-8"),
                                        use_decimal=True)  # fmt: skip
    values["fx_rates"] = {
        (r["currency"], r["local"], date.fromisoformat(r["date"])): Decimal(r["rate"])
        for r in values["fx_rates"]
    }
    return Books(**values)
