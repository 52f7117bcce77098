"""Read the run folder's JSON files (scenario, run facts, books) with amounts as `Decimal`.

The books hold amounts as JSON numbers (as the vendors' APIs send them); parsing them as
`Decimal` keeps every cent exact. A missing file reads as empty: a report of an older or partial
run folder shows what it can and says what is missing, rather than failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import simplejson

from reports._errors import RunFolderError

BOOKS = {
    "invoices": "erp-sales-invoices.json",
    "credit_memos": "erp-credit-memos.json",
    "payments": "erp-customer-payments.json",
    "tax": "tax-transactions.json",
    "contracts": "clm-records.json",
    "exceptions": "core-exceptions.json",
    "fx_rates": "erp-exchange-rates.json",
}


# simplejson's C scanner with Decimal numbers: the same values as the standard library's
# ``json.loads(text, parse_float=Decimal)`` (NaN and Infinity too), about a quarter faster on
# the books (megabytes)
_DECODER = simplejson.JSONDecoder(parse_float=Decimal, allow_nan=True)


def read_json(path: Path, default: Any) -> Any:
    """A JSON file with decimal numbers as `Decimal`; `default` when the file is absent."""
    if not path.is_file():
        return default
    try:
        return _DECODER.decode(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunFolderError(f"{path} is not valid JSON: {exc}") from exc


def read_book(run_dir: Path, name: str) -> Any:
    """One of the vendors' books by short name (`invoices`, `payments`, ...)."""
    default: Any = {} if name == "exceptions" else []
    return read_json(run_dir / "books" / BOOKS[name], default)


def iter_book(run_dir: Path, name: str) -> Iterator[Any]:
    """The records of a list book (`invoices`, `tax`, ...) one at a time, none when the file
    is absent. The simulator writes one record per line (`sim.record.books`), so a big run's
    books (hundreds of megabytes) are read a line at a time and never held whole; a file laid
    out otherwise (a hand-made folder) is read whole, as `read_book` does."""
    path = run_dir / "books" / BOOKS[name]
    if not path.is_file():
        return
    done = 0  # records yielded line by line, before any fall back to reading it whole
    with path.open(encoding="utf-8") as handle:
        if handle.readline().strip() == "[":
            for line in handle:
                text = line.strip().removesuffix(",")
                if text == "]":
                    return
                try:
                    record = _DECODER.decode(text)
                except ValueError:
                    break  # not one record per line: read whole below
                yield record
                done += 1
    book = read_json(path, [])
    if not isinstance(book, list):
        raise RunFolderError(f"{path} must hold a JSON list, not {type(book).__name__}")
    yield from book[done:]


def dec(value: object) -> Decimal:
    """A JSON amount (Decimal, int or numeric text) as `Decimal`; absent is zero."""
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def business_question(run_dir: Path) -> str | None:
    """The question the scenario answers, as the run recorded it in `about.json` (the runner
    copies it from the scenario file's opening comment); None when the folder has none."""
    about = read_json(run_dir / "about.json", {})
    question = about.get("business_question") if isinstance(about, dict) else None
    if not isinstance(question, str):
        return None
    return question.strip() or None
