"""`q2c contracts diff OLD NEW`: OpenAPI drift by rule and level; exit 1 on an error."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from contracts.diff import RULES, diff, diff_files, summarize
from tests.contracts.diff_spec import base, body, found, write
from tests.support.cli import invoke, words

ROOT = Path(__file__).resolve().parents[2]
ERP = ROOT / "contracts" / "erp.yaml"
ERP_V2 = ROOT / "contracts" / "erp-v2.yaml"
VENDOR_SPECS = ROOT.parent / "shared" / "vendor-specs"  # beside the project, not in it
XERO = VENDOR_SPECS / "xero-accounting.yaml"


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
