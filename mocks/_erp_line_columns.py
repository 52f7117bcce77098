"""A Business Central document's lines as the ERP mock keeps them: columns, made into BC's
line records when they are read.

A line record has fourteen properties, four of which BC derives (its ``id``, its
``@odata.etag``, ``documentId``, ``sequence``) and one it computes (``amountIncludingTax``).
Kept as dicts, a stored line weighed about 1.3 KB, the ERP mock's largest share of a run's
memory (issue 14's profile: ~1 KB per billable item at 200 consultants x 6 months). A document
keeps instead one list per property a client gave or BC computed (the net and the tax), with
equal values (a line type, an account, a tax code, a rate) kept once; the records are rebuilt
on each read, the same values in the same order, so an answer's bytes do not change. Lines
are never changed once their document exists (BC's v2.0 lines are read here, not patched).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mocks._erp_etags import etag
from mocks._made_on_read import MadeOnRead
from mocks._state import guid

__all__ = ["GIVEN", "StoredLines"]

# The properties of BC's line a client writes, in the order ``LineIn`` declares them.
GIVEN = (
    "lineType",
    "lineObjectNumber",
    "description",
    "quantity",
    "unitPrice",
    "discountAmount",
    "taxCode",
)


class StoredLines(MadeOnRead):
    """The lines of one document; each item is BC's line record, made when it is read. Equal
    to any sequence of the same records; a deep copy or a pickle is a plain list of them."""

    __slots__ = ("_document_id", "_given", "_nets", "_taxes")

    def __init__(
        self,
        document_id: str,
        given: list[dict[str, Any]],
        nets: list[Decimal],
        taxes: list[Decimal],
    ) -> None:
        """``given``: each line's client-written properties (``plain(LineIn)``)."""
        for line in given:
            if tuple(line) != GIVEN:  # a new LineIn field must be stored here too
                raise ValueError(f"unexpected line properties {tuple(line)}")
        columns = [[line[name] for line in given] for name in GIVEN]
        self._init(document_id, columns, nets, taxes)

    @classmethod
    def of(
        cls, document_id: str, lines: Sequence[Any], nets: list[Decimal], taxes: list[Decimal]
    ) -> StoredLines:
        """The lines of ``lines``, models with one attribute per property of ``GIVEN`` (the
        ERP's ``LineIn``, whose fields ``mocks._erp_lines`` checks are these): read straight
        from the models, not dumped to a dict each first (issue 14: a dump per line was a
        fifth of what storing an invoice cost)."""
        stored = cls.__new__(cls)
        columns = [[getattr(line, name) for line in lines] for name in GIVEN]
        stored._init(document_id, columns, nets, taxes)
        return stored

    def _init(
        self,
        document_id: str,
        columns: list[list[Any]],
        nets: list[Decimal],
        taxes: list[Decimal],
    ) -> None:
        """Keep the columns, equal values once (the same text: ``Decimal("1.0")`` and
        ``Decimal("1.00")`` are equal but print differently); descriptions as they are."""
        texts: dict[str, str] = {}
        numbers: dict[str, Decimal] = {}
        for name, column in zip(GIVEN, columns, strict=True):
            if name == "description":
                continue
            for k, value in enumerate(column):
                if value.__class__ is str:
                    column[k] = texts.setdefault(value, value)
                elif value.__class__ is Decimal:
                    column[k] = numbers.setdefault(str(value), value)
        self._document_id = document_id
        self._given = tuple(columns)
        self._nets = nets
        self._taxes = taxes

    def __len__(self) -> int:
        return len(self._nets)

    def made(self, k: int) -> dict[str, Any]:
        """Line ``k`` (from 0) as BC stores it: numbered 10000, 20000, ... (the given
        properties in ``GIVEN``'s order, written out: one dict literal, no loop per property)."""
        line_id = guid(f"{self._document_id}:line", k + 1)
        net, tax = self._nets[k], self._taxes[k]
        kind, account, description, quantity, price, discount, code = self._given
        return {
            "@odata.etag": etag(line_id),
            "id": line_id,
            "documentId": self._document_id,
            "sequence": 10000 * (k + 1),
            "lineType": kind[k],
            "lineObjectNumber": account[k],
            "description": description[k],
            "quantity": quantity[k],
            "unitPrice": price[k],
            "discountAmount": discount[k],
            "taxCode": code[k],
            "amountExcludingTax": net,
            "totalTaxAmount": tax,
            "amountIncludingTax": net + tax,
        }
