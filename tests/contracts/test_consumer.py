"""Consumer-side contract checks: what the core sends and accepts during a run is held against
the vendors' specs, and a deliberately wrong payload or a drifted vendor is counted."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import simplejson

from contracts.consumer import _UNREADABLE, ContractValidator, _decode, shared_validator
from sim.runner import RunResult, run
from sim.scenario.format import Scenario

INVOICES = "/api/v2.0/companies(141ab727-781d-58d2-a04e-8455da23755f)/salesInvoices"
JSON = {"content-type": "application/json"}


def _line(**change: Any) -> dict[str, Any]:
    line = {"lineType": "Account", "lineObjectNumber": "40100", "quantity": 1, "unitPrice": 10,
            "description": "[psa:time_entry:1@r/v1] Engineer"}  # fmt: skip
    return {**line, **change}


def _invoice(*lines: dict[str, Any]) -> bytes:
    body = {"customerId": "c", "invoiceDate": "2026-04-03", "currencyCode": "EUR",
            "salesInvoiceLines": list(lines)}  # fmt: skip
    return json.dumps(body).encode()


def test_a_request_as_the_contract_says_passes() -> None:
    """A well-formed invoice request has nothing to report."""
    assert shared_validator().check_request("erp", "POST", INVOICES, JSON, _invoice(_line())) == []


def test_a_renamed_field_in_a_request_is_reported() -> None:
    """v2's lineDescription sent to a v1 contract: missing description, unexpected field."""
    line = _line()
    line["lineDescription"] = line.pop("description")
    found = shared_validator().check_request("erp", "POST", INVOICES, JSON, _invoice(line))
    assert any("description" in f and "required" in f for f in found)
    assert any("lineDescription" in f for f in found)


def test_an_operation_the_spec_lacks_is_reported() -> None:
    """A path no spec operation matches is a violation of its own."""
    found = ContractValidator(["erp"]).check_request(
        "erp", "DELETE", "/api/v2.0/companies", {}, b""
    )
    assert found == ["DELETE /api/v2.0/companies: no such operation in contracts/erp.yaml"]


def test_a_response_of_the_wrong_shape_is_reported() -> None:
    """An id that should be text and missing required fields in an answer are both named."""
    found = shared_validator().check_response(
        "erp", "GET", "/api/v2.0/companies", 200, JSON, b'{"value": [{"id": 1}]}'
    )
    assert any("id" in f and "string" in f for f in found)
    assert any("displayName" in f for f in found)


def test_form_bodies_are_read_as_stripe_encodes_them() -> None:
    """Stripe's form fields: integers given as text pass, a non-number amount does not."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    v = shared_validator()
    good = b"amount=1200&currency=eur&payment_method_types[]=card&metadata[invoice_id]=i1"
    assert v.check_request("payments", "POST", "/v1/payment_intents", form, good) == []
    bad = v.check_request("payments", "POST", "/v1/payment_intents", form, b"amount=x&currency=eur")
    assert any("amount" in f for f in bad)
    # a bank transfer as Stripe's guide creates it: options nested three deep, a boolean
    options = "payment_method_options[customer_balance]"
    fields = [
        "amount=1200", "currency=eur", "customer=cus_1", "payment_method_types[]=customer_balance",
        "payment_method_data[type]=customer_balance", f"{options}[funding_type]=bank_transfer",
        f"{options}[bank_transfer][type]=eu_bank_transfer",
        f"{options}[bank_transfer][eu_bank_transfer][country]=NL", "confirm=true",
    ]  # fmt: skip
    transfer = "&".join(fields).encode()
    path = "/v1/payment_intents"
    assert v.check_request("payments", "POST", path, form, transfer) == []
    wrong = transfer.replace(b"=NL", b"=IT")
    assert any("country" in f for f in v.check_request("payments", "POST", path, form, wrong))


@pytest.fixture(scope="module")
def reference_run(small: Scenario) -> RunResult:
    return run(small, seed=1)


def test_the_reference_core_keeps_every_contract(reference_run: RunResult) -> None:
    """A whole run of the reference core: zero violations for each of the six vendors."""
    counts = reference_run.metrics["contract_violations"]
    assert counts == {v: 0 for v in ("clm", "crm", "erp", "payments", "psa", "tax")}


def test_a_wrong_adapter_payload_is_counted(small: Scenario) -> None:
    """A design whose ERP adapter adds a field the contract does not have: counted, traced."""
    result = run(small, seed=1, design="tests.support.designs:sloppy_payload")
    assert result.metrics["contract_violations"]["erp"] > 0
    assert result.world.trace.kinds["contract.violation"] > 0


def test_a_v2_shaped_answer_is_reported(reference_run: RunResult) -> None:
    """An invoice the ERP made, answered in its v2 shape (lineDescription): reported."""
    world = reference_run.world
    stored = world.erp.invoices(world.tenant)[0]  # as the ERP keeps it, served as it serves it:
    internal = {"companyId", "paidAmount", "creditedAmount", "postedAt"}  # the mock's books only
    invoice = copy.deepcopy({k: v for k, v in stored.items() if k not in internal})
    v = shared_validator()
    as_made = simplejson.dumps(invoice, use_decimal=True).encode()
    assert v.check_response("erp", "POST", INVOICES, 201, JSON, as_made) == []
    line = invoice["salesInvoiceLines"][0]
    line["lineDescription"] = line.pop("description")
    drifted = simplejson.dumps(invoice, use_decimal=True).encode()
    found = v.check_response("erp", "POST", INVOICES, 201, JSON, drifted)
    assert any("lineDescription" in f for f in found)


def test_an_answer_declared_by_reference_is_checked_against_it() -> None:
    """A 400 the spec declares (inline, with ``$ref: '#/components/schemas/Error'``) is a
    conforming answer (it was once counted as a violation); a 400 without Business Central's
    error shape is not, and neither is a 422 (BC never answers one)."""
    v = shared_validator()
    media = {"content-type": "application/json"}
    good = b'{"error": {"code": "BadRequest", "message": "Invalid Request Body"}}'
    assert v.check_response("erp", "POST", INVOICES, 400, media, good) == []
    found = v.check_response("erp", "POST", INVOICES, 400, media, b'{"oops": true}')
    assert found and all("400" in f for f in found)
    assert v.check_response("erp", "POST", INVOICES, 422, media, good)


def test_parameters_are_checked_when_the_query_is_given() -> None:
    """Served traffic passes its query: a parameter out of bounds or of the wrong type is a
    violation naming the parameter's rule; the simulator's calls (no query) are not parsed."""
    v = shared_validator()
    path = "/api/v1/time_entries"
    found = v.request_violations("psa", "GET", path, {}, b"", "per_page=500&approved=maybe")
    assert sorted(f.rule for f in found) == [
        "query parameter approved: type",
        "query parameter per_page: maximum",
    ]
    assert all(f.operation == "GET /api/v1/time_entries" and f.status == 422 for f in found)
    assert v.request_violations("psa", "GET", path, {}, b"", "per_page=200&approved=true") == []
    assert v.request_violations("psa", "GET", path, {}, b"") == []


def test_one_mistake_is_one_rule_whatever_the_value() -> None:
    """The rule names the schema keyword, never the value, so findings count up per rule; the
    example keeps the value. A body in another media type is a 415 rule."""
    v = shared_validator()
    seen = set()
    for quantity in ("1", "two", True):
        (found,) = v.request_violations(
            "erp", "POST", INVOICES, JSON, _invoice(_line(quantity=quantity))
        )
        seen.add(found.rule)
        assert str(quantity).lower() in found.example.lower()
    assert len(seen) == 1
    (media,) = v.request_violations("erp", "POST", INVOICES, {"content-type": "text/plain"}, b"{}")
    assert media.status == 415 and media.field == "content-type"


@pytest.mark.parametrize(
    "body",
    [b"a=1&a[b]=2", b"a[b]=1&a[]=2", b"a[]=1&a[b]=2", b"metadata[x]=1&metadata=2", b"%ff=\xff"],
)
def test_a_form_using_one_key_two_ways_is_unreadable_not_a_crash(body: bytes) -> None:
    """Fuzzed Stripe forms (a key as a value and as a hash or list) are one finding with no
    strict status (Stripe refuses them itself); they once raised inside the checker."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    found = shared_validator().request_violations("payments", "POST", "/v1/customers", form, body)
    assert all(f.status is None or f.status == 422 for f in found)
    assert all(f.side == "request" for f in found)


@pytest.mark.parametrize(
    "content",
    [
        b'{"a":1,"b":[1.5,-0,"x\\u00e9"],"c":null}',
        b'{"a":1,"a":2}',  # the last one wins, as simplejson reads it
        b"-9223372036854775809",  # below a signed 64-bit integer: still an integer
        b"18446744073709551616",  # beyond an unsigned one
        b"1e400",  # simplejson reads infinity; orjson refuses it
        b"[NaN]",  # neither reads it (simplejson 4: allow_nan off)
        b'"\\ud800"',  # a lone surrogate: simplejson reads it
        b'{"a": 1',  # not JSON at all
        b"\xff",  # not UTF-8
    ],
)
def test_a_body_is_read_as_simplejson_reads_it(content: bytes) -> None:
    """The checker's fast reader (orjson where it agrees) reads what simplejson reads, type for
    type; what simplejson refuses stays unreadable."""
    try:
        expected: object = simplejson.loads(content)
    except (ValueError, UnicodeDecodeError):
        expected = _UNREADABLE
    got = _decode("application/json", content)
    assert repr(got) == repr(expected)
    assert type(got) is type(expected)


def test_a_slot_compiles_with_the_components_it_reaches() -> None:
    """Each slot's validator is rooted among the components its schema reaches, through chains
    of references; anything but a plain ``#/components/...`` reference keeps them all."""
    from contracts.consumer import _referenced

    components = {
        "schemas": {
            "Invoice": {
                "type": "object",
                "properties": {"lines": {"$ref": "#/components/schemas/Lines"}},
            },
            "Lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
            "Line": {"type": "object", "required": ["amount"]},
            "Unused": {"type": "string"},
        },
        "responses": {"Gone": {"description": "gone"}},
    }
    kept = _referenced({"$ref": "#/components/schemas/Invoice"}, components)
    assert sorted(kept["schemas"]) == ["Invoice", "Line", "Lines"]
    assert "responses" not in kept
    assert _referenced({"$ref": "#/components/schemas/Nowhere"}, components) is components
    assert _referenced({"$ref": "other.yaml#/Line"}, components) is components
