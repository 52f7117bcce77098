"""Bad input to the tax engine mock: each invalid field, and each document the rules cannot
tax, is a 400 naming the field's path; the spec refuses the same bodies; garbage and
out-of-range amounts are refusals in AvaTax's shape, never a server error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.contracts import avatax_error as _problem
from tests.support.contracts import avatax_fields as _fields
from tests.support.mock_worlds import _json
from tests.support.tax import ADJUST, CO, CREATE, World, _addr, _doc
from tests.support.vendor_errors import GARBAGE


def _with(**fields: Any) -> dict[str, Any]:
    return {**_doc("10.00"), **fields}


_ADJUST_NO_LINES = {"createTransactionModel": {**_doc("1.00"), "lines": []}}
_ADJUST_BAD_REASON = {"createTransactionModel": _doc("1.00"), "adjustmentReason": "Whim"}


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (ADJUST, _ADJUST_NO_LINES, ["createTransactionModel.lines"]),
        (ADJUST, {"adjustmentReason": "Other"}, ["createTransactionModel"]),
        (CREATE, _doc("10.00", "10.001"), ["lines.1.amount"]),
        (CREATE, _with(lines=[{"amount": "10.00"}]), ["lines.0.amount"]),
        (CREATE, _with(lines=[{"amount": 1, "number": "A"}] * 2), ["lines.1.number"]),
        (CREATE, _with(lines=[]), ["lines"]),
        (CREATE, _with(currencyCode="XAU"), ["currencyCode"]),
        (CREATE, _with(currencyCode="euro"), ["currencyCode"]),
        (CREATE, _doc("10.00", seller=_addr("BR")), ["addresses.shipFrom.country"]),
        (CREATE, _doc("10.00", buyer={"country": "Germany"}), ["addresses.shipTo.country"]),
        (CREATE, _with(date="31/03/2024"), ["date"]),
        (CREATE, _with(date=20240331), ["date"]),
        (CREATE, _with(type="ReturnInvoice"), ["type"]),
        (CREATE, _with(commit="true"), ["commit"]),
        (CREATE, _with(customerCode=None), ["customerCode"]),
        (CREATE, _with(purchaseOrderNo=7), ["purchaseOrderNo"]),
        (CREATE, _with(discount=5), ["discount"]),
        (ADJUST, _ADJUST_BAD_REASON, ["adjustmentReason"]),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    path: str, body: dict[str, Any], fields: list[str]
) -> None:
    """Invalid fields, and documents the rules cannot tax, are 400s naming the field's path."""
    assert _fields(World().post(path, body)) == fields


@pytest.mark.parametrize(
    ("route", "template", "body"),
    [
        ("POST", CREATE, _with(lines=[])),
        ("POST", CREATE, _with(type="PurchaseInvoice")),
        ("POST", CREATE, _with(extra=1)),
        ("POST", ADJUST, _ADJUST_BAD_REASON),
        ("POST", ADJUST, _ADJUST_NO_LINES),
        ("POST", f"{CO}/INV-1/commit", {"commit": False}),
        ("POST", f"{CO}/INV-1/void", {"code": "PostFailed"}),
    ],
)
def test_spec_and_mock_reject_the_same_bodies(route: str, template: str, body: Any) -> None:
    """A body the spec's request schema refuses is refused by the mock with a 400 too."""
    w = World()
    w.create(_doc("1.00"))
    spec_template = w.spec.template(template)
    assert w.spec.rejects(route, spec_template, body)
    assert w.post(template, body).status_code == 400


# wrong types and numbers past Decimal's range in AvaTax's field names
_WRONG_TYPES = (
    b'{"createTransactionModel": 7, "lines": "x", "commit": [], "code": {}}',
    b'{"lines": [{"amount": 1e999999}], "date": 1e999999, "addresses": []}',
    b'{"lines": [{"amount": NaN}, {"amount": Infinity}], "commit": null}',
)


def test_garbage_bodies_never_cause_a_server_error() -> None:
    """Every write route answers garbage, deep nesting and wrong types with a 4xx problem."""
    w = World()
    w.create(_doc("1.00"))
    for path in (CREATE, ADJUST, f"{CO}/INV-1/commit", f"{CO}/INV-1/void"):
        for content in (*GARBAGE, *_WRONG_TYPES):
            response = w.http.post(path, content=content)
            assert response.status_code in (400, 415), (path, content[:40])
            _problem(response, response.status_code)  # AvaTax's shape, never a problem document


@pytest.mark.parametrize("amount", ["1e30", "-1e13", "1e999999", "1e-999999"])
def test_out_of_range_amounts_are_a_422_not_a_crash(amount: str) -> None:
    """Amounts beyond ±1e12 or finer than the minor unit are refused, naming the line."""
    content = _json(_doc("1.00")).replace(b'"amount": 1.00', f'"amount": {amount}'.encode())
    response = World().http.post(
        CREATE, content=content, headers={"content-type": "application/json"}
    )
    assert _fields(response) == ["lines.0.amount"]
