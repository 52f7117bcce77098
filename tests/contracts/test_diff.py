"""`q2c contracts diff OLD NEW`: OpenAPI drift, breaking changes exit 1."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.diff import Change, diff, diff_files
from tests.support.cli import invoke, words

ROOT = Path(__file__).resolve().parents[2]
ERP = ROOT / "contracts" / "erp.yaml"
ERP_V2 = ROOT / "contracts" / "erp-v2.yaml"
VENDOR_SPECS = ROOT.parent / "shared" / "vendor-specs"  # beside the project, not in it
XERO = VENDOR_SPECS / "xero-accounting.yaml"


def base() -> dict[str, Any]:
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
        "openapi": "3.1.0",
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


def found(new: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Every change from ``base()`` to ``new`` as (kind, where, what)."""
    return {(c.kind, c.where, c.what) for c in diff(base(), new)}


def test_erp_v2_reports_the_rename_and_new_required_field_and_exits_1() -> None:
    """erp.yaml -> erp-v2.yaml: the renamed line field and the new postingDate are breaking."""
    code, out, err = invoke("contracts", "diff", str(ERP), str(ERP_V2))
    assert code == 1, err
    text = words(out)
    for word in ("renamed", "lineDescription", "new required property", "postingDate"):
        assert word in text  # table cells wrap, so look for words
    assert "3 breaking, 0 non-breaking" in text
    changes = diff_files(ERP, ERP_V2)
    post = "POST /api/v2.0/companies({company_id})/salesInvoices"
    assert (
        Change(
            "breaking",
            f"{post} requestBody.salesInvoiceLines[].description",
            "renamed description -> lineDescription",
        )
        in changes
    )
    assert Change("breaking", f"{post} requestBody.postingDate", "new required property") in (
        changes
    )


def test_spec_diffed_with_itself_has_no_changes_and_exits_0() -> None:
    """A spec compared with itself reports nothing and exits 0."""
    code, out, _ = invoke("contracts", "diff", str(ERP), str(ERP))
    assert code == 0
    assert "0 breaking, 0 non-breaking" in words(out)
    assert diff(base(), base()) == []


def test_missing_or_unparseable_file_exits_2_without_traceback(tmp_path: Path) -> None:
    """A missing file, bad YAML or a non-OpenAPI document is a clear exit-2 error."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("paths: [unclosed\n")
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"hello": "world"}))
    for other in (tmp_path / "missing.yaml", bad, plain):
        code, out, err = invoke("contracts", "diff", str(ERP), str(other))
        assert code == 2
        assert "error:" in err and "Traceback" not in err + out
        assert other.name in words(err)


def test_removed_operation_is_breaking_and_added_one_is_not() -> None:
    """Dropping GET /orders/{id} breaks; a new DELETE does not."""
    new = base()
    item = new["paths"]["/orders/{id}"]
    item["delete"] = item.pop("get")
    assert found(new) == {
        ("breaking", "GET /orders/{id}", "operation removed"),
        ("non-breaking", "DELETE /orders/{id}", "operation added"),
    }


def test_renamed_path_parameter_matches_the_same_operation() -> None:
    """/orders/{id} and /orders/{order_id} are one path: no change but the parameter names."""
    new = base()
    item = new["paths"].pop("/orders/{id}")
    item["parameters"][0]["name"] = "order_id"
    new["paths"]["/orders/{order_id}"] = item
    assert found(new) == set()


def test_removed_status_code_is_breaking() -> None:
    """A response status the old spec declared and the new one drops is breaking."""
    new = base()
    del new["paths"]["/orders/{id}"]["get"]["responses"]["404"]
    assert found(new) == {("breaking", "GET /orders/{id} responses.404", "status 404 removed")}


def test_narrowed_enum_is_breaking_and_widened_enum_is_not() -> None:
    """Removing an accepted enum value breaks a sender; adding one does not."""
    narrowed = base()
    body(narrowed)["properties"]["status"]["enum"] = ["draft", "open"]
    assert found(narrowed) == {
        ("breaking", "POST /orders requestBody.status", 'enum narrowed: "paid" removed')
    }
    widened = base()
    body(widened)["properties"]["status"]["enum"] = ["draft", "open", "paid", "void"]
    assert found(widened) == {
        ("non-breaking", "POST /orders requestBody.status", 'enum widened: "void" added')
    }


def test_widened_type_is_non_breaking_and_narrowed_type_is_breaking() -> None:
    """integer -> number or adding null is safe for a request; number -> integer is not."""
    widened = base()
    body(widened)["properties"]["quantity"]["type"] = ["number", "null"]
    assert found(widened) == {
        (
            "non-breaking",
            "POST /orders requestBody.quantity",
            "type changed from integer to null|number",
        )
    }
    narrowed = base()
    narrowed["components"]["schemas"]["Line"]["properties"]["amount"]["type"] = "integer"
    kinds = {(kind, where) for kind, where, _ in found(narrowed)}
    assert ("breaking", "POST /orders requestBody.lines[].amount") in kinds
    # the same narrowing in a response is harmless to a reader
    assert ("non-breaking", "GET /orders/{id} responses.200.lines[].amount") in kinds


def test_added_optional_field_is_non_breaking_and_required_one_is_breaking() -> None:
    """A new optional request property is safe; a new required one breaks."""
    optional = base()
    body(optional)["properties"]["note"] = {"type": "string"}
    assert found(optional) == {("non-breaking", "POST /orders requestBody.note", "property added")}
    required = base()
    body(required)["properties"]["note"] = {"type": "string"}
    body(required)["required"].append("note")
    assert found(required) == {
        ("breaking", "POST /orders requestBody.note", "new required property")
    }


def test_removed_and_renamed_properties_are_breaking() -> None:
    """A removed property breaks; one removed beside an identical new one is a rename."""
    new = base()
    props = body(new)["properties"]
    del props["quantity"]
    props["buyer"] = props.pop("customer")
    body(new)["required"] = ["buyer", "status"]
    assert found(new) == {
        ("breaking", "POST /orders requestBody.quantity", "property removed"),
        ("breaking", "POST /orders requestBody.customer", "renamed customer -> buyer"),
    }


def test_response_property_removed_or_optional_is_breaking_added_is_not() -> None:
    """For 2xx bodies: dropping a property or its guarantee breaks; a new property does not."""
    new = base()
    schema = new["paths"]["/orders/{id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    del schema["properties"]["quantity"]
    schema["required"] = ["customer"]
    schema["properties"]["total"] = {"type": "number"}
    where = "GET /orders/{id} responses.200"
    assert found(new) == {
        ("breaking", f"{where}.quantity", "property removed"),
        ("breaking", f"{where}.status", "property no longer always present"),
        ("non-breaking", f"{where}.total", "property added"),
    }


def test_new_required_parameter_is_breaking_optional_or_removed_is_not() -> None:
    """A new required parameter breaks; a new optional or a removed one does not."""
    new = base()
    post = new["paths"]["/orders"]["post"]
    post["parameters"] = [
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": "lang", "in": "query", "schema": {"type": "string"}},
    ]
    assert found(new) == {
        ("breaking", "POST /orders parameters.header.X-Tenant", "new required parameter"),
        ("non-breaking", "POST /orders parameters.query.lang", "optional parameter added"),
        ("non-breaking", "POST /orders parameters.query.dryRun", "parameter removed"),
    }


def test_json_and_yaml_files_compare_alike(tmp_path: Path) -> None:
    """The same spec read from JSON and from YAML has no changes between them."""
    as_json, as_yaml = tmp_path / "a.json", tmp_path / "a.yaml"
    as_json.write_text(json.dumps(base()))
    as_yaml.write_text(yaml.safe_dump(base()))
    assert diff_files(as_json, as_yaml) == []


@pytest.mark.skipif(
    not XERO.is_file(), reason=f"vendor specs not available ({XERO} is absent on this machine)"
)
def test_xero_accounting_diffed_with_itself_is_clean_and_quick() -> None:
    """The real Xero Accounting spec (refs, cycles, ~1 MB) diffs with itself cleanly in seconds."""
    started = time.perf_counter()
    changes = diff_files(XERO, XERO)
    elapsed = time.perf_counter() - started
    assert changes == []
    assert elapsed < 30, f"diffing xero-accounting.yaml took {elapsed:.1f}s"
