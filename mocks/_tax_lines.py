"""A taxed document's lines as the tax engine mock keeps them: columns, made into AvaTax's
line and detail rows when a document is read.

AvaTax answers every line of a transaction with its amounts and a detail row per taxing
jurisdiction (twelve fields, most of them the jurisdiction's: the same for every line of a
document). Kept as dicts, a stored line weighed about 1.3 KB, the tax mock's whole share of a
run's memory (issue 14's profile: ~28 MB of 23,400 lines). A document keeps instead what its
lines do not share, one list per field (the amounts, the tax per levy, whether each line is
charged, the request's quantity, tax code and description), and its levies once; the rows
are rebuilt on each read, the same values in the same order, so an answer's bytes do not
change. Line numbers are kept only when the request gave numbers other than 1, 2, 3...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks._made_on_read import MadeOnRead
from mocks._tax_include import COMPLETE, Include, shown
from mocks._tax_rules import Levy

__all__ = ["Answers", "TaxedLines", "answer"]


@dataclass(frozen=True, slots=True)
class TaxedLines:
    """The lines of one taxed document (``rows`` makes AvaTax's line rows of them)."""

    levies: tuple[Levy, ...]
    zero: Decimal  # 0 at the currency's minor unit
    numbers: tuple[str, ...] | None  # None: "1", "2", ... in order
    quantities: list[Decimal]
    amounts: list[Decimal]  # whole minor units
    tax_codes: list[str | None]
    descriptions: list[str | None]
    charged: list[bool]
    taxes: tuple[list[Decimal], ...]  # per levy, per line

    @classmethod
    def of(
        cls,
        levies: tuple[Levy, ...],
        zero: Decimal,
        numbers: Sequence[str],
        quantities: Sequence[Decimal],
        columns: tuple[list[Decimal], list[str | None], list[str | None]],
        taxed: tuple[list[bool], tuple[list[Decimal], ...]],
    ) -> TaxedLines:
        """``columns``: amounts, tax codes, descriptions; ``taxed``: what ``compute`` gave.
        Equal quantities (the same text) are kept once."""
        plain = all(n == str(k) for k, n in enumerate(numbers, start=1))
        shared: dict[str, Decimal] = {}
        kept = [shared.setdefault(str(q), q) for q in quantities]
        amounts, codes, descriptions = columns
        charged, taxes = taxed
        return cls(levies, zero, None if plain else tuple(numbers), kept, amounts, codes,
                   descriptions, charged, taxes)  # fmt: skip

    def __len__(self) -> int:
        return len(self.amounts)

    def number(self, k: int) -> str:
        return str(k + 1) if self.numbers is None else self.numbers[k]

    def line_taxes(self) -> list[Decimal]:
        """Each line's tax: its levies' taxes, summed (in levy order, from ``zero``: the very
        sums ``sum(..., zero)`` makes), a levy at a time rather than a line at a time."""
        total = [self.zero] * len(self)
        for per_line in self.taxes:
            total = [t + tax for t, tax in zip(total, per_line, strict=True)]
        return total

    def rows(self, *, details: bool = True) -> list[dict[str, Any]]:
        """AvaTax's line rows, each with its detail rows (``details`` False: without them, as
        AvaTax answers ``$include=LinesOnly``). A levy's own fields are the same on every line:
        made once per document, each detail row adding the line's figures to them."""
        zero, levies, taxes = self.zero, self.levies, self.taxes
        untaxed = Decimal(0)  # the rate of a line a levy does not charge
        heads = [
            (
                {
                    "country": levy.country,
                    "region": levy.region,
                    "jurisType": levy.juris_type,
                    "jurisdictionType": _JURISDICTION_TYPES[levy.juris_type],
                    "jurisCode": levy.juris_code,
                    "jurisName": levy.juris_name,
                    "taxName": levy.tax_name,
                },
                levy.rate,
                per_line,
            )
            for levy, per_line in zip(levies, taxes, strict=True)
        ]
        numbers = self.numbers
        out: list[dict[str, Any]] = []
        for k, (amount, c, tax, quantity, code, description) in enumerate(
            zip(self.amounts, self.charged, self.line_taxes(), self.quantities, self.tax_codes,
                self.descriptions, strict=True)
        ):  # fmt: skip
            taxable, exempt = (amount, zero) if c else (zero, amount)
            row: dict[str, Any] = {
                "lineNumber": str(k + 1) if numbers is None else numbers[k],
                "quantity": quantity,
                "lineAmount": amount,
                "tax": tax,
                "taxableAmount": taxable,
                "exemptAmount": exempt,
                "taxCode": code,
                "description": description,
            }
            if details:
                row["details"] = [
                    {
                        **head,
                        "rate": rate if c else untaxed,
                        "tax": per_line[k],
                        "taxableAmount": taxable,
                        "nonTaxableAmount": exempt,
                        "reportingTax": per_line[k],
                    }
                    for head, rate, per_line in heads
                ]
            out.append(row)
        return out

    def summary(self) -> list[dict[str, Any]]:
        """AvaTax's summary: one row per jurisdiction, tax name and rate, in the order the
        lines' detail rows first name them."""
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        zero = self.zero
        for k, (amount, c) in enumerate(zip(self.amounts, self.charged, strict=True)):
            taxable, exempt = (amount, zero) if c else (zero, amount)
            for j, levy in enumerate(self.levies):
                rate = levy.rate if c else Decimal(0)
                key = (levy.country, levy.region, levy.juris_code, levy.tax_name, rate)
                row = rows.get(key)
                if row is None:
                    row = rows[key] = {
                        "country": levy.country,
                        "region": levy.region,
                        "jurisType": _JURISDICTION_TYPES[levy.juris_type],
                        "jurisCode": levy.juris_code,
                        "jurisName": levy.juris_name,
                        "taxName": levy.tax_name,
                        "rate": rate,
                        "taxable": Decimal(0),
                        "nonTaxable": Decimal(0),
                        "tax": Decimal(0),
                    }
                row["taxable"] += taxable
                row["nonTaxable"] += exempt
                row["tax"] += self.taxes[j][k]
        return list(rows.values())


_JURISDICTION_TYPES = {"CNT": "Country", "STA": "State"}


def answer(record: dict[str, Any], include: Include = COMPLETE) -> dict[str, Any]:
    """A stored (or estimated) transaction as AvaTax answers it: its lines' rows made from the
    columns it keeps, in the same place among its fields; only the parts ``include`` (AvaTax's
    ``$include``, ``mocks._tax_include``) asks for."""
    answered = shown({**record}, include)
    answered.pop("companyCode", None)  # where it is filed: AvaTax answers the companyId
    return answered


class Answers(MadeOnRead):
    """Stored transactions as AvaTax answers them, each made when it is read: what the
    simulator's books get (``TaxMock.transactions``). The books of a big run read every
    document once or twice (the oracle's tax totals, the run folder's file); made all at
    once, the answers would weigh again what the columns saved, at the run's peak. Equal to
    any sequence of the same answers; a deep copy or a pickle is a plain list of them."""

    __slots__ = ("_records",)

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def made(self, k: int) -> dict[str, Any]:
        return answer(self._records[k])
