"""AvaTax's own documented examples against contracts/tax.yaml, and the mock held to what the
spec declares.

The transaction response schemas are open, as AvaTax's models are (its answers carry dozens of
members the mock does not fill), so that a real AvaTax answer is a valid answer of the
contract. Open schemas would let the mock drift into members nobody declared unnoticed: the
second test closes them again (every object with declared properties refuses others) and holds
the mock's answers, for each kind of taxing it does, to that closed copy.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import simplejson
from jsonschema import Draft202012Validator

from contracts.fidelity import DEFAULT_SPECS, fidelity
from contracts.specs import load
from tests.support.tax import ADJUST, World, _addr, _doc, _ok


@pytest.mark.skipif(
    not (DEFAULT_SPECS / "avatax.yaml").is_file(),
    reason=f"AvaTax's spec is not at {DEFAULT_SPECS} (a third-party file, never copied here)",
)
def test_every_documented_avatax_example_is_accepted() -> None:
    (table,) = fidelity(contracts=("tax",))
    errors = [e for op in table.operations for e in op.example_errors]
    assert errors == []
    assert table.examples == table.examples_accepted > 0


def _closed(node: Any) -> Any:
    """``node`` with every object schema that declares properties closed to others (an
    ``allOf`` branch that only refines another schema, with no ``type``, is left open: closed,
    it would refuse the members the schema it refines declares)."""
    if isinstance(node, dict):
        closed = {k: _closed(v) for k, v in node.items()}
        if (
            "properties" in closed
            and closed.get("type") == "object"
            and closed.get("additionalProperties") is not False
        ):
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


def _closed_transaction() -> Draft202012Validator:
    spec = load("tax")
    components = _closed(copy.deepcopy(spec["components"]))
    return Draft202012Validator(
        {"$ref": "#/components/schemas/Transaction", "components": components}
    )


def test_the_closing_is_real() -> None:
    """A member the spec does not declare is refused by the closed copy (at every level)."""
    answer = World().create(_doc("100.00"))
    plain = _ok_json(answer)
    validator = _closed_transaction()
    assert list(validator.iter_errors(plain)) == []
    for where in (plain, plain["lines"][0], plain["lines"][0]["details"][0]):
        where["invented"] = 1
    # a line is checked both as ``TransactionLineAsIncluded`` and as ``TransactionLine``
    # (which refines it), so the places refused are counted, not the errors
    refused = {tuple(e.absolute_path) for e in validator.iter_errors(plain)}
    assert refused == {(), ("lines", 0), ("lines", 0, "details", 0)}


def _ok_json(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer as JSON types (the client reads amounts as Decimal)."""
    loaded: dict[str, Any] = simplejson.loads(simplejson.dumps(answer))
    return loaded


@pytest.mark.parametrize(
    ("seller", "buyer", "fields"),
    [
        (_addr("DE"), _addr("DE"), {}),
        (_addr("DE"), _addr("FR"), {"businessIdentificationNo": "FR40303265045"}),
        (_addr("DE"), _addr("US", "WA"), {}),
        (_addr("US", "WA"), _addr("US", "WA"), {"currencyCode": "USD"}),
        (_addr("IN", "KA"), _addr("IN", "KA"), {"currencyCode": "INR"}),
        (_addr("IN", "KA"), _addr("IN", "MH"), {"currencyCode": "INR"}),
    ],
    ids=["domestic-vat", "reverse-charge", "export", "us-state", "gst-intra", "gst-inter"],
)
def test_the_mocks_answers_keep_to_the_declared_members(
    seller: dict[str, Any], buyer: dict[str, Any], fields: dict[str, Any]
) -> None:
    w = World()
    validator = _closed_transaction()
    created = w.create(_doc("100.00", "50.00", seller=seller, buyer=buyer, **fields))
    adjusted = _ok(
        w.post(
            ADJUST,
            {
                "createTransactionModel": _doc("120.00", seller=seller, buyer=buyer, **fields),
                "adjustmentReason": "PriceAdjusted",
            },
        )
    )
    for answer in (created, adjusted):
        plain = _ok_json(answer)
        assert [e.message for e in validator.iter_errors(plain)] == []
        assert all("jurisdictionType" in d for line in plain["lines"] for d in line["details"])
