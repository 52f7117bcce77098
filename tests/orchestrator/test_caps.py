"""The cut of a month's lines into documents within a cap: each part within the cap and not
negative, every line on exactly one document, the same cut every time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestrator._caps import split_within
from orchestrator.model import InvoiceLine


def _line(amount: str, kind: str = "charge") -> InvoiceLine:
    return InvoiceLine(description="x", quantity=Decimal(1), unit_price=Decimal(amount),
                       amount=Decimal(amount), source_ids=("s",), contract_version_id="v",
                       kind=kind)  # type: ignore[arg-type]  # fmt: skip


def test_a_month_that_fits_is_one_part_unchanged() -> None:
    priced = [(n, _line("10")) for n in range(3)] + [(3, _line("-5", "credit"))]
    assert split_within(priced, 4) == ([priced], [])
    assert split_within([], 4) == ([], [])


def test_parts_hold_at_most_the_cap_in_earning_order() -> None:
    priced = [(n, _line("10")) for n in range(7)]
    parts, noted = split_within(priced, 3)
    assert [[n for n, _ in part] for part in parts] == [[0, 1, 2], [3, 4, 5], [6]]
    assert noted == []


def test_no_part_is_negative_and_every_line_is_on_one_document() -> None:
    """Credits bunched at the end would make the last part negative: they wait for a part
    that absorbs them, and one that none can absorb goes on the credit note."""
    priced = [(n, _line("10")) for n in range(5)]
    priced += [(5, _line("-8", "credit")), (6, _line("-8", "credit")), (7, _line("-30", "credit"))]
    parts, noted = split_within(priced, 2)
    assert all(len(part) <= 2 for part in parts)
    assert all(sum(x.amount for _, x in part) >= 0 for part in parts)
    placed = sorted([n for part in parts for n, _ in part] + [n for n, _ in noted])
    assert placed == list(range(8))
    assert [n for n, _ in noted] == [6, 7]  # the last part, [4, 5], is full
    assert split_within(priced, 2) == (parts, noted)


def test_a_downward_adjustment_no_part_absorbs_is_still_billed() -> None:
    priced = [(0, _line("1")), (1, _line("1")), (2, _line("-5", "adjustment"))]
    parts, noted = split_within(priced, 2)
    assert noted == [] and [n for part in parts for n, _ in part] == [0, 1, 2]


def test_a_cap_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="holds nothing"):
        split_within([(0, _line("1"))], 0)
