"""`q2c contracts diff` on schemas: each change judged in the direction the data flows (what a
client sends, what it reads), constraints, properties, required names, headers, read/write-only."""

from __future__ import annotations

import copy
from pathlib import Path

from contracts.diff import RULES
from tests.contracts.diff_spec import base, body, found, read, write
from tests.support.cli import invoke


def test_enum_narrowed_breaks_senders_widened_warns_readers() -> None:
    narrowed = base()
    body(narrowed)["properties"]["status"]["enum"] = ["draft", "open"]
    assert found(narrowed) == {
        (
            "request-property-enum-value-removed",
            "POST /orders requestBody.status",
            'enum narrowed: "paid" removed',
        ),
    }
    widened = base()
    read(widened)["properties"]["status"]["enum"].append("void")
    assert found(widened) == {
        (
            "response-property-enum-value-added",
            "GET /orders/{id} responses.200.status",
            'enum widened: "void" added',
        ),
    }


def test_type_widened_and_narrowed_follow_the_data() -> None:
    """integer -> number or adding null is safe for a request; a narrower type breaks it,
    and the same narrowing in a response is harmless to a reader."""
    widened = base()
    body(widened)["properties"]["quantity"]["type"] = ["number", "null"]
    assert {r for r, _, _ in found(widened)} == {
        "request-property-type-generalized",
        "request-property-became-nullable",
    }
    narrowed = base()
    narrowed["components"]["schemas"]["Line"]["properties"]["amount"]["type"] = "integer"
    rules = {(rule, where) for rule, where, _ in found(narrowed)}
    assert ("request-property-type-specialized", "POST /orders requestBody.lines[].amount") in rules
    assert (
        "response-property-type-specialized",
        "GET /orders/{id} responses.200.lines[].amount",
    ) in rules
    assert RULES["response-property-type-specialized"].level == "info"


def test_type_switched_to_any_of_is_seen() -> None:
    """A string that may now also be an integer: readers may get an integer (error), senders
    lose nothing (info); the branch that keeps the old type is compared inside."""
    new = base()
    union = {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "integer"}]}
    body(new)["properties"]["customer"] = copy.deepcopy(union)
    read(new)["properties"]["customer"] = copy.deepcopy(union)
    assert {(r, RULES[r].level) for r, _, _ in found(new)} == {
        ("request-property-any-of-added", "info"),
        ("request-property-max-length-set", "warning"),
        ("response-property-any-of-added", "error"),
        ("response-property-max-length-set", "info"),
    }


def test_enum_spelled_as_a_union_of_consts_beside_a_type_is_an_enum() -> None:
    """Xero's webhooks: ``type: string`` gains ``oneOf`` of ``const`` branches (each with its
    description). That restricts the values as an enum does: senders are refused other values
    (error), readers get nothing new (info); never "alternatives added"."""
    old, new = base(), base()
    values = {"type": "string", "oneOf": [{"const": "A"}, {"const": "B", "description": "b"}]}
    body(new)["properties"]["customer"] = copy.deepcopy(values)
    read(new)["properties"]["customer"] = copy.deepcopy(values)
    assert {(r, RULES[r].level) for r, _, _ in found(new, old)} == {
        ("request-property-became-enum", "error"),
        ("response-property-became-enum", "info"),
    }
    wider = copy.deepcopy(new)
    read(wider)["properties"]["customer"]["oneOf"].append({"const": "C"})
    assert {(r, w, x) for r, w, x in found(wider, new)} == {
        (
            "response-property-enum-value-added",
            "GET /orders/{id} responses.200.customer",
            'enum widened: "C" added',
        ),
    }


def test_value_constraints_follow_the_data() -> None:
    new = base()
    props = body(new)["properties"]
    props["customer"].update(maxLength=40, pattern="^[A-Z]", format="email")
    props["quantity"].update(minimum=1)
    read(new)["properties"]["quantity"].update(maximum=10)
    rules = {r: RULES[r].level for r, _, _ in found(new)}
    assert rules == {
        "request-property-max-length-set": "warning",
        "request-property-pattern-added": "error",
        "request-property-format-added": "warning",
        "request-property-min-set": "warning",
        "response-property-max-set": "info",
    }
    old, stricter = copy.deepcopy(new), copy.deepcopy(new)
    body(stricter)["properties"]["customer"]["maxLength"] = 20
    read(stricter)["properties"]["quantity"]["maximum"] = 20
    assert {r for r, _, _ in found(stricter, old)} == {
        "request-property-max-length-decreased",
        "response-property-max-increased",
    }


def test_properties_added_removed_and_no_invented_rename() -> None:
    """Two unrelated string fields are not a rename; a removed request field is a warning
    (the server may ignore it) and a new required one an error."""
    new = base()
    props = body(new)["properties"]
    props["buyer"] = props.pop("customer")
    body(new)["required"] = ["buyer", "status"]
    assert found(new) == {
        ("request-property-removed", "POST /orders requestBody.customer", "property removed"),
        (
            "new-required-request-property",
            "POST /orders requestBody.buyer",
            "new required property",
        ),
    }
    fax = base()
    read(fax)["properties"]["fax"] = {"type": "string"}
    mobile = copy.deepcopy(fax)
    read(mobile)["properties"]["mobile"] = read(mobile)["properties"].pop("fax")
    assert {what for _, _, what in found(mobile, fax)} == {"property removed", "property added"}


def test_response_property_removed_or_optional() -> None:
    """A required response field removed or made optional is an error; an optional one
    removed is a warning; a new one is info."""
    new = base()
    schema = read(new)
    del schema["properties"]["quantity"]
    del schema["properties"]["customer"]
    schema["required"] = []
    schema["properties"]["total"] = {"type": "number"}
    where = "GET /orders/{id} responses.200"
    assert {(r, w) for r, w, _ in found(new)} == {
        ("response-optional-property-removed", f"{where}.quantity"),
        ("response-required-property-removed", f"{where}.customer"),
        ("response-property-became-optional", f"{where}.status"),
        ("response-optional-property-added", f"{where}.total"),
    }


def test_required_names_in_another_case_or_of_no_property() -> None:
    """``required`` naming a property in another case means that property (Xero's
    ``NICategories`` for ``niCategories``): fixing the case is no change, moving it to another
    property is. A required name of no property at all still binds: a new one breaks senders."""
    old, new = base(), base()
    body(old)["required"] = ["Customer", "status"]  # a case typo for customer
    assert found(new, old) == set()
    body(new)["required"] = ["customer", "STATUS", "Quantity"]
    assert {(r, w) for r, w, _ in found(new, old)} == {
        ("request-property-became-required", "POST /orders requestBody.quantity"),
    }
    body(new)["required"] = ["customer", "status", "currency"]  # no such property
    read(new)["required"] = ["customer"]  # and status no longer promised to readers
    assert {(r, w, x) for r, w, x in found(new, old)} == {
        (
            "new-required-request-property",
            "POST /orders requestBody.currency",
            "now required (not among the properties)",
        ),
        (
            "response-property-became-optional",
            "GET /orders/{id} responses.200.status",
            "property no longer always present",
        ),
    }
    free_old = {"type": "object"}  # an object of free keys: required binds all the same
    free_new = {"type": "object", "required": ["ref"]}
    old["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"] = (
        free_old
    )
    new = copy.deepcopy(old)
    new["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"] = (
        free_new
    )
    assert {r for r, _, _ in found(new, old)} == {"new-required-request-property"}
    assert {r for r, _, _ in found(old, new)} == {"request-property-became-optional"}


def test_parameters_new_required_is_an_error_removed_is_a_warning(tmp_path: Path) -> None:
    new = base()
    new["paths"]["/orders"]["post"]["parameters"] = [
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "lang", "in": "query", "schema": {"type": "string", "default": "en"}},
    ]
    assert found(new) == {
        (
            "new-required-request-parameter",
            "POST /orders parameters.header.X-Tenant",
            "new required parameter",
        ),
        (
            "new-optional-request-parameter",
            "POST /orders parameters.query.lang",
            "optional parameter added",
        ),
        ("request-parameter-removed", "POST /orders parameters.query.dryRun", "parameter removed"),
    }
    changed = copy.deepcopy(new)
    changed["paths"]["/orders"]["post"]["parameters"][1]["schema"]["default"] = "de"
    assert {r for r, _, _ in found(changed, new)} == {"request-parameter-default-value-changed"}
    assert RULES["request-parameter-default-value-changed"].level == "error"
    # a removed parameter alone passes the default gate and fails --fail-on warning
    removed = base()
    del removed["paths"]["/orders"]["post"]["parameters"]
    old_file, new_file = write(tmp_path, "a.yaml", base()), write(tmp_path, "b.yaml", removed)
    assert invoke("contracts", "diff", old_file, new_file)[0] == 0
    assert invoke("contracts", "diff", old_file, new_file, "--fail-on", "warning")[0] == 1


def test_response_headers() -> None:
    old = base()
    old["paths"]["/orders/{id}"]["get"]["responses"]["200"]["headers"] = {
        "ETag": {"required": True, "schema": {"type": "string"}},
        "X-Rate": {"schema": {"type": "integer"}},
    }
    new = copy.deepcopy(old)
    headers = new["paths"]["/orders/{id}"]["get"]["responses"]["200"]["headers"]
    del headers["ETag"]
    headers["X-Rate"]["schema"]["type"] = "number"
    where = "GET /orders/{id} responses.200.headers"
    assert {(r, w) for r, w, _ in found(new, old)} == {
        ("required-response-header-removed", f"{where}.ETag"),
        ("response-header-type-generalized", f"{where}.X-Rate"),
    }


def test_read_only_and_write_only_properties() -> None:
    """A required readOnly field is not required of senders; a field made writeOnly is no
    longer returned."""
    new = base()
    body(new)["properties"]["customer"]["readOnly"] = True
    read(new)["properties"]["status"]["writeOnly"] = True
    assert {r for r, _, _ in found(new)} == {
        "request-property-became-read-only",
        "request-property-became-optional",
        "response-property-became-write-only",
        "response-property-became-optional",
    }


def test_const_and_discriminator() -> None:
    new = base()
    body(new)["properties"]["customer"]["const"] = "acme"
    assert {r for r, _, _ in found(new)} == {"request-property-const-added"}
    one = base()
    body(one)["properties"]["status"]["enum"] = ["draft"]
    same = copy.deepcopy(one)
    del body(same)["properties"]["status"]["enum"]
    body(same)["properties"]["status"]["const"] = "draft"  # enum of one == const
    assert found(same, one) == set()
    old = base()
    body(old)["discriminator"] = {"propertyName": "status", "mapping": {"draft": "#/x"}}
    new = copy.deepcopy(old)
    body(new)["discriminator"]["mapping"] = {}
    assert {r for r, _, _ in found(new, old)} == {"request-body-discriminator-mapping-deleted"}
