"""`q2c contracts diff OLD NEW`: OpenAPI drift by rule and level; exit 1 on an error."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.diff import RULES, diff, diff_files, summarize
from tests.support.cli import invoke, words

ROOT = Path(__file__).resolve().parents[2]
ERP = ROOT / "contracts" / "erp.yaml"
ERP_V2 = ROOT / "contracts" / "erp-v2.yaml"
VENDOR_SPECS = ROOT.parent / "shared" / "vendor-specs"  # beside the project, not in it
XERO = VENDOR_SPECS / "xero-accounting.yaml"


def base(version: str = "3.1.0") -> dict[str, Any]:
    """A small spec: create an order (body, params, enum, number) and read it back."""
    order: dict[str, Any] = {
        "type": "object",
        "required": ["customer", "status"],
        "properties": {
            "customer": {"type": "string"},
            "status": {"type": "string", "enum": ["draft", "open", "paid"]},
            "quantity": {"type": "integer"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
        },
    }
    line = {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "parent": {"$ref": "#/components/schemas/Line"},  # a $ref cycle
        },
    }
    ok = {"description": "ok", "content": {"application/json": {"schema": order}}}
    return {
        "openapi": version,
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/orders": {
                "post": {
                    "parameters": [
                        {"name": "dryRun", "in": "query", "schema": {"type": "boolean"}}
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": copy.deepcopy(order)}},
                    },
                    "responses": {"201": ok, "422": {"description": "invalid"}},
                }
            },
            "/orders/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True}],
                "get": {"responses": {"200": copy.deepcopy(ok), "404": {"description": "no"}}},
            },
        },
        "components": {"schemas": {"Line": line}},
    }


def body(spec: dict[str, Any]) -> dict[str, Any]:
    """The request body schema of POST /orders."""
    schema: dict[str, Any] = spec["paths"]["/orders"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def read(spec: dict[str, Any]) -> dict[str, Any]:
    """The 200 response schema of GET /orders/{id}."""
    schema: dict[str, Any] = spec["paths"]["/orders/{id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    return schema


def found(new: dict[str, Any], old: dict[str, Any] | None = None) -> set[tuple[str, str, str]]:
    """Every change from ``old`` (``base()``) to ``new`` as (rule, where, what)."""
    return {(c.rule, c.where, c.what) for c in diff(old or base(), new)}


def write(folder: Path, name: str, spec: dict[str, Any]) -> str:
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(path)


# -- the command -----------------------------------------------------------------------------


def test_erp_v2_reports_the_rename_and_new_required_field_and_exits_1() -> None:
    """erp.yaml -> erp-v2.yaml: the renamed line field (the line object refuses unknown
    fields) and the new postingDate are errors."""
    code, out, err = invoke("contracts", "diff", str(ERP), str(ERP_V2))
    assert code == 1, err
    text = words(out)
    assert "renamed description -> lineDescription" in text
    assert "new-required-request-property" in text and "postingDate" in text
    assert "3 error(s), 0 warning(s), 0 info from 2 edit(s)" in text
    post = "POST /api/v2.0/companies({company_id})/salesInvoices"
    assert {(c.rule, c.where, c.what) for c in diff_files(ERP, ERP_V2)} >= {
        (
            "request-closed-property-removed",
            f"{post} requestBody.salesInvoiceLines[].description",
            "renamed description -> lineDescription",
        ),
        (
            "new-required-request-property",
            f"{post} requestBody.postingDate",
            "new required property",
        ),
    }


def test_spec_diffed_with_itself_has_no_changes_and_exits_0() -> None:
    code, out, _ = invoke("contracts", "diff", str(ERP), str(ERP))
    assert code == 0
    assert "0 error(s), 0 warning(s), 0 info from 0 edit(s)" in words(out)
    assert diff(base(), base()) == []


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    """A missing file, bad YAML, a non-OpenAPI or Swagger 2.0 document is a clear exit 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("paths: [unclosed\n")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"hello": "world"}))
    swagger = tmp_path / "swagger.json"
    swagger.write_text(json.dumps({"swagger": "2.0", "paths": {}}))
    for other in (tmp_path / "missing.yaml", bad, plain, swagger):
        code, out, err = invoke("contracts", "diff", str(ERP), str(other))
        assert code == 2
        assert "error:" in err and "Traceback" not in err + out
        assert other.name in words(err)
    code, _, err = invoke("contracts", "diff", str(ERP))
    assert code == 2 and "OLD and NEW" in err
    code, _, err = invoke("contracts", "diff", str(ERP), str(ERP), "--format", "html")
    assert code == 2 and "--format" in err


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("#/components/schemas/Nope", "points to nothing"),
        ("other.yaml#/components/schemas/Line", "external $ref"),
    ],
)
def test_broken_or_external_ref_exits_2_naming_the_pointer(
    tmp_path: Path, ref: str, says: str
) -> None:
    """A $ref the diff cannot follow is an error saying where it sits, never an empty schema."""
    new = base()
    body(new)["properties"]["customer"] = {"$ref": ref}
    code, out, err = invoke("contracts", "diff", str(ERP), write(tmp_path, "new.yaml", new))
    assert code == 2 and "Traceback" not in out + err
    text = words(err)
    assert says in text and ref in text
    assert "#/paths/~1orders/post/requestBody/content/application~1json/schema/properties/" in text


def test_rules_lists_every_rule_with_its_level() -> None:
    code, out, _ = invoke("contracts", "diff", "--rules")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(RULES) > 500
    row = next(line for line in lines if line.startswith("request-property-max-length-decreased "))
    assert row.split()[1] == "error" and "maxLength" in row
    assert {line.split()[1] for line in lines} == {"error", "warning", "info"}
    assert all(rule.reason for rule in RULES.values())


# -- operations ------------------------------------------------------------------------------


def test_removed_operation_is_an_error_and_added_one_is_info() -> None:
    new = base()
    item = new["paths"]["/orders/{id}"]
    item["delete"] = item.pop("get")
    assert found(new) == {
        ("api-removed-without-deprecation", "GET /orders/{id}", "operation removed"),
        ("endpoint-added", "DELETE /orders/{id}", "operation added"),
    }
    del new["paths"]["/orders/{id}"]
    assert ("api-path-removed-without-deprecation", "GET /orders/{id}", "operation removed") in (
        found(new)
    )


def test_deleted_operation_beside_a_path_differing_only_in_parameter_names_is_caught() -> None:
    """Xero has /Contacts/{ContactID} and /Contacts/{ContactNumber}: deleting one must not be
    hidden by the other."""
    old = base()
    old["paths"]["/orders/{number}"] = copy.deepcopy(old["paths"]["/orders/{id}"])
    old["paths"]["/orders/{number}"]["parameters"][0]["name"] = "number"
    new = copy.deepcopy(old)
    del new["paths"]["/orders/{number}"]
    assert found(new, old) == {
        ("api-path-removed-without-deprecation", "GET /orders/{number}", "operation removed")
    }
    assert diff(old, copy.deepcopy(old)) == []


def test_renamed_path_parameter_is_reported_as_a_rename_not_a_removal() -> None:
    new = base()
    item = new["paths"].pop("/orders/{id}")
    item["parameters"][0]["name"] = "order_id"
    new["paths"]["/orders/{order_id}"] = item
    assert found(new) == {
        (
            "api-path-parameter-renamed",
            "GET /orders/{order_id} parameters.path.order_id",
            "path parameter renamed id -> order_id",
        ),
    }


def test_removed_status_codes() -> None:
    """A success status removed is an error; an error status removed is info."""
    new = base()
    del new["paths"]["/orders/{id}"]["get"]["responses"]["404"]
    del new["paths"]["/orders"]["post"]["responses"]["201"]
    assert {(rule, where) for rule, where, _ in found(new)} == {
        ("response-non-success-status-removed", "GET /orders/{id} responses.404"),
        ("response-success-status-removed", "POST /orders responses.201"),
    }


def test_deprecation_and_sunset() -> None:
    """Deprecating is info; removing a deprecated operation is info after its sunset and an
    error before it; a sunset moved earlier or dropped is an error."""
    old = base()
    get = old["paths"]["/orders/{id}"]["get"]
    deprecated = copy.deepcopy(old)
    deprecated["paths"]["/orders/{id}"]["get"].update(deprecated=True, **{"x-sunset": "2030-01-01"})
    assert {r for r, _, _ in found(deprecated, old)} == {"endpoint-deprecated-with-sunset"}
    removed = copy.deepcopy(deprecated)
    del removed["paths"]["/orders/{id}"]["get"]
    rules = lambda today: {c.rule for c in diff(deprecated, removed, today)}  # noqa: E731
    assert rules(dt.date(2029, 1, 1)) == {"api-removed-before-sunset"}
    assert rules(dt.date(2031, 1, 1)) == {"api-path-removed-with-deprecation"}
    earlier = copy.deepcopy(deprecated)
    earlier["paths"]["/orders/{id}"]["get"]["x-sunset"] = "2029-06-01"
    assert {r for r, _, _ in found(earlier, deprecated)} == {"api-sunset-date-changed-too-small"}
    del earlier["paths"]["/orders/{id}"]["get"]["x-sunset"]
    assert {r for r, _, _ in found(earlier, deprecated)} == {"api-sunset-deleted"}
    assert get == base()["paths"]["/orders/{id}"]["get"]  # the old side left untouched


def test_webhooks_are_compared_as_data_the_client_reads() -> None:
    """OpenAPI 3.1 webhooks: a removed one is an error, a payload field removed from what
    the receiver reads is reported with the response rules."""
    old = base()
    payload = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "note": {"type": "string"}},
    }
    old["webhooks"] = {
        "order.paid": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": payload}}},
                "responses": {"200": {"description": "ok"}},
            }
        }
    }
    new = copy.deepcopy(old)
    schema = new["webhooks"]["order.paid"]["post"]["requestBody"]["content"]["application/json"]
    del schema["schema"]["properties"]["id"]
    assert found(new, old) == {
        (
            "response-required-property-removed",
            "POST webhook order.paid requestBody.id",
            "property removed",
        ),
    }
    del new["webhooks"]["order.paid"]
    assert found(new, old) == {("webhook-removed", "POST webhook order.paid", "operation removed")}


def test_security_requirements_and_schemes() -> None:
    old = base()
    old["components"]["securitySchemes"] = {
        "oauth": {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "https://a/token", "scopes": {"r": "", "w": ""}}
            },
        }
    }
    new = copy.deepcopy(old)
    new["paths"]["/orders"]["post"]["security"] = [{"oauth": ["w"]}]
    assert found(new, old) == {
        ("api-security-added", "POST /orders security", "now requires oauth")
    }
    old["paths"]["/orders"]["post"]["security"] = [{"oauth": []}]
    assert found(new, old) == {
        ("api-security-scope-added", "POST /orders security", "oauth needs scope w")
    }
    flow = new["components"]["securitySchemes"]["oauth"]["flows"]["clientCredentials"]
    flow["tokenUrl"] = "https://b/token"
    assert "api-security-component-oauth-token-url-changed" in {r for r, _, _ in found(new, old)}


# -- schemas ---------------------------------------------------------------------------------


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


# -- OpenAPI versions and YAML ---------------------------------------------------------------


def test_ref_siblings_ignored_in_3_0_and_honoured_in_3_1() -> None:
    """3.0 says keys beside a $ref are ignored: a documentation fix there (or any key) is no
    change; in 3.1 they apply."""
    honoured = {"request-property-max-length-set", "response-property-max-length-set"}
    for version, expected in (("3.0.3", set()), ("3.1.0", honoured)):
        old = base(version)
        body(old)["properties"]["lines"]["items"] = {
            "$ref": "#/components/schemas/Line",
            "description": "a line",
        }
        new = copy.deepcopy(old)
        new["components"]["schemas"]["Line"]["properties"]["note"] = {"type": "string"}
        props = new["components"]["schemas"]["Line"]["properties"]
        props["note"] = {"$ref": "#/components/schemas/Text", "maxLength": 3}
        old["components"]["schemas"]["Text"] = {"type": "string"}
        new["components"]["schemas"]["Text"] = {"type": "string"}
        old["components"]["schemas"]["Line"]["properties"]["note"] = {
            "$ref": "#/components/schemas/Text",
            "description": "old words",
        }
        body(new)["properties"]["lines"]["items"]["description"] = "a line of the order"
        rules = {r for r, _, _ in found(new, old)}
        assert rules == expected, version


def test_nullable_in_3_0_equals_a_type_list_in_3_1() -> None:
    """Converting a 3.0 document to 3.1 (nullable -> type list) changes nothing; in a 3.1
    document ``nullable`` is not a keyword and is ignored."""
    old = base("3.0.3")
    body(old)["properties"]["quantity"]["nullable"] = True
    new = base("3.1.0")
    body(new)["properties"]["quantity"]["type"] = ["integer", "null"]
    assert found(new, old) == set()
    ignored = base("3.1.0")
    body(ignored)["properties"]["quantity"]["nullable"] = True
    assert found(ignored) == set()
    dropped = base("3.0.3")
    assert {r for r, _, _ in found(dropped, old)} == {"request-property-became-not-nullable"}


def test_yaml_1_2_keeps_no_a_string(tmp_path: Path) -> None:
    """YAML 1.1 reads NO (Norway) as false; 1.2, which OpenAPI uses, keeps it a string."""
    text = (ROOT / "contracts" / "erp.yaml").read_text()
    spec = tmp_path / "countries.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n"
        "  schemas:\n    Country: {type: string, enum: [NO, SE, 'on', y, 012]}\n"
    )
    from contracts.diff import load

    assert load(spec)["components"]["schemas"]["Country"]["enum"] == ["NO", "SE", "on", "y", 12]
    assert text  # the real spec still loads the same way below
    assert diff_files(ERP, ERP) == []


def test_json_and_yaml_files_compare_alike(tmp_path: Path) -> None:
    as_json, as_yaml = tmp_path / "a.json", tmp_path / "a.yaml"
    as_json.write_text(json.dumps(base()))
    as_yaml.write_text(yaml.safe_dump(base()))
    assert diff_files(as_json, as_yaml) == []


def test_change_reached_through_a_ref_cycle_counts_every_operation() -> None:
    """A <-> B is a cycle; a type change inside A is seen by operations that return A and by
    those that return B (a result cut short by the cycle is never reused)."""
    old = base()
    schemas = old["components"]["schemas"]
    schemas["A"] = {
        "type": "object",
        "properties": {"b": {"$ref": "#/components/schemas/B"}, "x": {"type": "integer"}},
    }
    schemas["B"] = {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}}
    for name in ("A", "B", "A", "B"):
        path = f"/{name.lower()}{len(old['paths'])}"
        ok = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
        old["paths"][path] = {"get": {"responses": {"200": {"description": "ok", **ok}}}}
    new = copy.deepcopy(old)
    new["components"]["schemas"]["A"]["properties"]["x"]["type"] = "string"
    changes = diff(old, new)
    assert {c.operation for c in changes} == {"GET /a2", "GET /b3", "GET /a4", "GET /b5"}
    assert {c.where for c in changes if c.operation == "GET /b3"} == {"GET /b3 responses.200.a.x"}
    (edit,) = summarize(changes)
    assert edit.operations == 4 and edit.change.origin == "A.x"


# -- CI ergonomics ---------------------------------------------------------------------------


def test_ignore_file_accepts_a_change_with_a_reason(tmp_path: Path) -> None:
    ignore = tmp_path / "ignore.yaml"
    ignore.write_text(
        "- rule: new-required-request-property\n"
        "  operation: POST /api/v2.0/companies({id})/salesInvoices\n"
        "  reason: every client sends postingDate since 2.3\n"
        "- rule: request-closed-property-removed\n  operation: '*'\n  reason: renamed in v2\n"
    )
    code, out, _ = invoke("contracts", "diff", str(ERP), str(ERP_V2), "--ignore", str(ignore))
    assert code == 0
    assert "3 ignored" in words(out) and "every client sends postingDate" in words(out)
    for bad, says in (
        ("- rule: no-such-rule\n  operation: '*'\n  reason: x\n", "unknown rule"),
        ("- rule: endpoint-added\n  operation: '*'\n  reason: ''\n", "reason is empty"),
        ("- {rule: endpoint-added}\n", "exactly rule, operation and reason"),
    ):
        ignore.write_text(bad)
        code, _, err = invoke("contracts", "diff", str(ERP), str(ERP_V2), "--ignore", str(ignore))
        assert code == 2 and says in words(err)


def test_output_formats_are_parseable_and_deterministic() -> None:
    args = ("contracts", "diff", str(ERP), str(ERP_V2), "--details")
    code, out, _ = invoke(*args, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["failed"] and data["counts"]["error"] == 3
    assert data["edits"][0]["places"] == 2 and len(data["edits"][0]["changes"]) == 2
    assert invoke(*args, "--format", "json")[1] == out
    _, xml, _ = invoke(*args, "--format", "junit")
    import xml.etree.ElementTree as ET

    suite = ET.fromstring(xml.split("?>", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    _, markdown, _ = invoke(*args, "--format", "markdown")
    assert "| level | rule | where | what |" in markdown and "<details>" in markdown
    _, text, _ = invoke(*args)
    assert "salesCreditMemoLines[].description" in text  # --details lists every place


def test_diff_package_imports_nothing_of_the_simulator() -> None:
    """`q2c contracts diff` must start fast: no simulator, mocks or schemathesis import."""
    code = (
        "import sys, contracts.diff, contracts.diff._report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sim', 'mocks', 'orchestrator', 'schemathesis', 'simpy', 'matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(
    not XERO.is_file(), reason=f"vendor specs not available ({XERO} is absent on this machine)"
)
def test_xero_accounting_diffed_with_itself_is_clean_and_quick() -> None:
    started = time.perf_counter()
    changes = diff_files(XERO, XERO)
    elapsed = time.perf_counter() - started
    assert changes == []
    assert elapsed < 30, f"diffing xero-accounting.yaml took {elapsed:.1f}s"


def test_oasdiff_mapping_names_only_rules_we_have() -> None:
    """contracts/DIFF_RULES.md: every oasdiff check has a status, every rule it names exists,
    and the counts it states add up."""
    text = (ROOT / "contracts" / "DIFF_RULES.md").read_text()
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| `")]
    statuses = [cells[2].strip() for cells in rows]
    ours = [cells[3].strip().strip("`") for cells in rows]
    assert len(rows) == 243
    assert all(rule in RULES for rule in ours if rule)
    assert all(
        bool(rule) == (status == "covered") for rule, status in zip(ours, statuses, strict=True)
    )
    counts = {s: statuses.count(s) for s in ("covered", "not applicable", "not covered")}
    said = f"**{counts['covered']} covered, {counts['not applicable']} not applicable, "
    assert said + f"{counts['not covered']} not covered.**" in text
