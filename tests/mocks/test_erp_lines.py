"""The ERP mock keeps a document's lines as columns (``mocks._erp_line_columns``): the records it
makes of them must be Business Central's line records, in BC's order, every time."""

from __future__ import annotations

import copy
import hashlib
import pickle
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from mocks._erp_line_columns import StoredLines

DOC = "doc-1"


def _given(description: str, quantity: str, price: str) -> dict[str, Any]:
    return {"lineType": "Account", "lineObjectNumber": "40100", "description": description,
            "quantity": Decimal(quantity), "unitPrice": Decimal(price),
            "discountAmount": Decimal(0), "taxCode": None}  # fmt: skip


def _expected(k: int, given: dict[str, Any], net: str, tax: str) -> dict[str, Any]:
    """Line ``k`` (from 1) as BC stores it, written out independently of the mock's code."""
    line_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"q2c:{DOC}:line:{k}"))
    tag = hashlib.sha256(line_id.encode()).hexdigest()[:24]
    return {"@odata.etag": f'W/"{tag}"', "id": line_id, "documentId": DOC,
            "sequence": 10000 * k, **given, "amountExcludingTax": Decimal(net),
            "totalTaxAmount": Decimal(tax),
            "amountIncludingTax": Decimal(net) + Decimal(tax)}  # fmt: skip


def _lines() -> tuple[StoredLines, list[dict[str, Any]]]:
    given = [_given("[a@c/v1] work", "1.50", "100.00"), _given("[b@c/v1] more", "2", "100.00")]
    nets, taxes = [Decimal("150.00"), Decimal("200.00")], [Decimal("28.50"), Decimal("38.00")]
    stored = StoredLines(DOC, given, nets, taxes)
    rows = enumerate(zip(given, nets, taxes, strict=True), start=1)
    expected = [_expected(k, g, str(n), str(t)) for k, (g, n, t) in rows]
    return stored, expected


def test_records_are_bcs_lines_in_order_with_their_keys_in_order() -> None:
    stored, expected = _lines()
    assert len(stored) == 2
    assert list(stored) == expected
    assert [list(r) for r in stored] == [list(r) for r in expected]  # key order: the JSON's
    assert stored == expected and stored[-1] == expected[1] and stored[0:1] == expected[:1]
    with pytest.raises(IndexError):
        stored[2]


def test_each_read_makes_new_records_so_an_edit_to_one_is_not_kept() -> None:
    stored, expected = _lines()
    first = stored[0]
    first["description"] = "edited"
    assert stored[0] == expected[0]
    assert stored[0] is not stored[0]


def test_equal_values_are_kept_once() -> None:
    stored, _ = _lines()
    a, b = stored
    assert a["unitPrice"] is b["unitPrice"] and a["lineObjectNumber"] is b["lineObjectNumber"]


def test_copies_and_pickles_are_plain_lists_of_the_records() -> None:
    stored, expected = _lines()
    assert copy.deepcopy(stored) == expected and type(copy.deepcopy(stored)) is list
    assert pickle.loads(pickle.dumps(stored)) == expected


def test_a_line_with_properties_the_columns_do_not_know_is_refused() -> None:
    given = {**_given("x", "1", "1"), "extra": 1}
    with pytest.raises(ValueError, match="unexpected line properties"):
        StoredLines(DOC, [given], [Decimal(1)], [Decimal(0)])


def test_lines_read_from_the_models_are_the_lines_of_their_properties() -> None:
    """The ERP stores a document's lines straight from its models' attributes (``LineIn``'s,
    one per property): the records are those of the same properties given as dicts, with
    equal figures kept once (``1.0`` and ``1.00`` are equal but not the same text, so not
    one value)."""
    given = [
        {**_given("[a@c/v1] x", "1.0", "100.00"), "taxCode": "NT"},
        {**_given("[b@c/v1] y", "1.00", "100.00"), "discountAmount": Decimal("0.01")},
    ]
    nets, taxes = [Decimal("100.00"), Decimal("99.99")], [Decimal(0), Decimal("19.00")]
    stored = StoredLines.of(DOC, [SimpleNamespace(**g) for g in given], nets, taxes)
    assert list(stored) == list(StoredLines(DOC, given, nets, taxes)) and len(stored) == 2
    a, b = stored
    assert [str(a["quantity"]), str(b["quantity"])] == ["1.0", "1.00"]
    assert a["unitPrice"] is b["unitPrice"] and a["taxCode"] == "NT" and b["taxCode"] is None
    assert b["amountIncludingTax"] == Decimal("118.99")
