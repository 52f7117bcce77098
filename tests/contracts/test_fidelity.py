"""Every operation of ours names the real one it mirrors, and the mapping holds against the
vendors' real specs (``../shared/vendor-specs/``, skipped with its reason when absent).

The mapping test is the gate: a new operation without ``x-mirrors``/``x-sandbox-only``, or one
naming a real path its spec lacks, fails here. The field share and the examples are measured
(``q2c contracts fidelity``), not gated, beyond what is stable: the comparator's own rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.fidelity import (
    CONTRACT_FILES,
    DEFAULT_SPECS,
    SpecsMissing,
    _citations,
    _compatible,
    _fields,
    fidelity,
)
from contracts.specs import load
from sim.app.cli import app

_METHODS = ("get", "put", "post", "delete", "patch")
_NEEDS_SPECS = pytest.mark.skipif(
    not DEFAULT_SPECS.is_dir(),
    reason=f"the real vendor specs are not at {DEFAULT_SPECS} (third-party files, never copied "
    "into the project)",
)
# Counterparts the real specs do not have, known and listed in the README's fidelity section:
# Business Central has no post action on customer payment journals (not in v1.0's spec, and
# not in v2.0: https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/
# api-reference/v2.0/resources/dynamics_customerpaymentjournal, 2026-12).
KNOWN_ABSENT: set[tuple[str, str]] = set()


def _operations() -> list[tuple[str, str, str, dict[str, object]]]:
    return [
        (contract, method, path, operation)
        for contract in CONTRACT_FILES
        for path, item in load(contract)["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    ]


@pytest.mark.parametrize(
    ("contract", "method", "path", "operation"),
    _operations(),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_operation_names_what_it_mirrors(
    contract: str, method: str, path: str, operation: dict[str, object]
) -> None:
    assert ("x-mirrors" in operation) != ("x-sandbox-only" in operation), (
        f"{contract} {method.upper()} {path}: give exactly one of x-mirrors or x-sandbox-only"
    )
    if "x-sandbox-only" in operation:
        assert isinstance(operation["x-sandbox-only"], str)
        assert len(operation["x-sandbox-only"]) > 20, "say why the operation is sandbox-only"
        return
    mirrors = operation["x-mirrors"]
    assert isinstance(mirrors, dict)
    assert {"vendor", "api", "method", "path"} <= mirrors.keys()
    assert "spec" in mirrors or str(mirrors.get("doc", "")).startswith("https://")
    assert mirrors["method"] == method.upper(), "a mirror answers the same verb"


def test_every_contract_file_is_in_the_table() -> None:
    """A new contract file is measured too (the table lists them by name); the sandbox's own
    protocols mirror no vendor."""
    from contracts.specs import CONTRACTS, PROTOCOLS

    assert {p.stem for p in CONTRACTS.glob("*.yaml")} - set(PROTOCOLS) == set(CONTRACT_FILES)


def test_without_the_real_specs_it_says_so(tmp_path: Path) -> None:
    with pytest.raises(SpecsMissing, match="--specs DIR"):
        fidelity(tmp_path / "absent")
    result = CliRunner().invoke(app, ["contracts", "fidelity", "--specs", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "vendor-specs" in result.output and "--specs DIR" in result.output


def test_fields_are_compared_by_path_and_type() -> None:
    """Array items as ``[]``, a map's values (Kantata's side-loading) as ``*``; their
    ``number`` covers our ``integer``, not the reverse; no type means no constraint."""
    document = {"components": {"schemas": {"Line": {"properties": {"qty": {"type": "integer"}}}}}}
    schema = {
        "type": "object",
        "properties": {
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
            "byId": {"type": "object", "additionalProperties": {"properties": {"x": {}}}},
            "note": {"type": ["string", "null"]},
        },
    }
    found = dict(_fields(schema, document))
    assert found == {
        "lines": {"array"},
        "lines[].qty": {"integer"},
        "byId": {"object"},
        "byId.*.x": set(),
        "note": {"string"},
    }
    assert _compatible({"integer"}, {"number"})
    assert not _compatible({"number"}, {"integer"})
    assert not _compatible({"string"}, {"object"})
    assert _compatible(set(), {"object"})


def test_a_field_cites_the_vendors_documentation_beside_its_ref() -> None:
    """``x-documented`` is read beside a ``$ref`` (before it is followed), at any depth."""
    document = {"components": {"schemas": {"Id": {"type": "string"}}}}
    doc = "https://developer.example/objects"
    schema = {
        "properties": {
            "byId": {
                "additionalProperties": {
                    "properties": {
                        "id": {"$ref": "#/components/schemas/Id", "x-documented": doc},
                        "name": {"type": "string"},
                    }
                }
            }
        }
    }
    assert dict(_citations(schema, document)) == {"byId.*.id": doc}


@pytest.fixture(scope="module")
def table() -> dict[str, object]:
    return {c.contract: c for c in fidelity(DEFAULT_SPECS)}


@_NEEDS_SPECS
def test_each_mapping_is_in_the_real_spec(table: dict[str, object]) -> None:
    """Every ``spec:`` mapping names a method and path its real spec has, but the known gaps."""
    absent = {
        (c.contract, op.operation_id)  # type: ignore[attr-defined]
        for c in table.values()
        for op in c.operations  # type: ignore[attr-defined]
        if op.status == "not-found"
    }
    assert absent == KNOWN_ABSENT


@_NEEDS_SPECS
def test_the_table_measures_fields_and_examples(table: dict[str, object]) -> None:
    for name, contract in table.items():
        mirrored = contract.count("mirrored")  # type: ignore[attr-defined]
        assert (contract.fields > 0) == (mirrored > 0), name  # type: ignore[attr-defined]
        assert contract.fields_matched <= contract.fields  # type: ignore[attr-defined]
    # AvaTax's spec documents example payloads; each is validated against our schema
    assert table["tax"].examples > 0  # type: ignore[attr-defined]
    # no spec for Salesforce in the folder: documented, nothing measured; Ironclad's named
    # spec files are measured once the folder holds them (ironclad/), documented until then
    unmeasured = ["crm"] + ([] if (DEFAULT_SPECS / "ironclad").is_dir() else ["clm"])
    for name in unmeasured:
        assert table[name].count("documented") + table[name].count("sandbox-only") == len(  # type: ignore[attr-defined]
            table[name].operations  # type: ignore[attr-defined]
        )


def test_a_named_spec_the_folder_lacks_leaves_the_page_cited(tmp_path: Path) -> None:
    """Ironclad's operations name their spec files and their pages: without the files in the
    folder they are documented only (said in the mismatches), with them they are measured."""
    tmp_path.joinpath("ironclad").mkdir()
    clm = fidelity(tmp_path, ("clm",))[0]
    assert clm.count("documented") == len(clm.operations) and clm.fields == 0
    assert any("not in" in m for op in clm.operations for m in op.mismatches)
    spec = {
        "openapi": "3.1.0",
        "paths": {
            "/records/{id}": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "properties": {"type": "object", "additionalProperties": {"oneOf": [
                            {"properties": {"type": {"type": "string"},
                                            "value": {"type": "string"}}},
                            {"properties": {"type": {"type": "string"},
                                            "value": {"type": "number"}}},
                        ]}},
                    },
                }}}}}},
            },
        },
    }  # fmt: skip
    path = tmp_path / "ironclad" / "ironclad-public-api-openapi.yml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    read = next(op for op in fidelity(tmp_path, ("clm",))[0].operations
                if op.operation_id == "readRecord")  # fmt: skip
    assert read.status == "mirrored"
    matched = {m.split(":")[0] for m in read.mismatches}
    # a named property of ours is a key of their map, its value typed by either branch
    assert "response properties.paymentTermsDays.value" not in matched
    assert "response properties.counterpartyName" not in matched
    assert "response id" not in matched
    # the sandbox's own member, marked x-sandbox-only: counted apart with its reason, not
    # missed
    assert "response versions" not in matched
    assert any(s.startswith("response versions: sandbox-only: ") for s in read.sandbox_only)
    assert read.fields_sandbox_only > 0


@_NEEDS_SPECS
def test_the_command_prints_json_and_markdown() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["contracts", "fidelity", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["contracts"]) == set(CONTRACT_FILES)
    erp = summary["contracts"]["erp"]["by_operation"]["createSalesInvoice"]
    assert erp["status"] == "mirrored" and erp["mirrors"]["spec"] == "businesscentral.yaml"
    markdown = runner.invoke(app, ["contracts", "fidelity", "--markdown"])
    assert markdown.exit_code == 0
    assert markdown.stdout.count("\n| ") == len(CONTRACT_FILES) + 1


@_NEEDS_SPECS
def test_fields_found_only_in_the_docs_are_counted_apart_and_cited(
    table: dict[str, object],
) -> None:
    """Kantata's description lacks every object's ``id``: ours cite Kantata's Response Format
    page, count as found, and are listed with their source; nothing else is waved through."""
    psa = table["psa"]
    assert 0 < psa.fields_documented < psa.fields_matched  # type: ignore[attr-defined]
    lines = [line for op in psa.operations for line in op.documented]  # type: ignore[attr-defined]
    assert len(lines) == psa.fields_documented  # type: ignore[attr-defined]
    assert all(line.split(": ")[0].endswith(".id") for line in lines), lines
    assert all("developer.kantata.com" in line for line in lines)
    for name in ("tax", "payments"):
        assert table[name].fields_documented == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("contract", "method", "path", "operation"),
    [op for op in _operations() if "documented-fields" in op[3].get("x-mirrors", {})],  # type: ignore[operator]
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_documented_fields_cite_the_page_that_documents_them(
    contract: str, method: str, path: str, operation: dict[str, object]
) -> None:
    """A field counted as documented names the vendor's page (https) and a non-empty list."""
    listed = operation["x-mirrors"]["documented-fields"]  # type: ignore[index]
    assert str(listed["doc"]).startswith("https://learn.microsoft.com/"), (contract, path)
    assert listed["fields"] and all(isinstance(f, str) for f in listed["fields"])


@_NEEDS_SPECS
def test_documented_fields_are_counted_apart_and_never_hide_a_real_field(
    table: dict[str, object],
) -> None:
    """Only a field the real spec file lacks counts as documented: one it has is compared by
    type as ever; the table shows how many fields were found only in the documentation."""
    erp = table["erp"]
    assert 0 < erp.fields_documented < erp.fields  # type: ignore[attr-defined]
    for op in erp.operations:  # type: ignore[attr-defined]
        assert op.fields_matched + len(op.mismatches) == op.fields
        assert op.fields_documented <= op.fields_matched
        for line in op.documented:
            assert "documented at https://" in line
    by_id = {op.operation_id: op for op in erp.operations}  # type: ignore[attr-defined]
    create = by_id["createSalesInvoice"]
    assert any("salesInvoiceLines[].lineObjectNumber" in d for d in create.documented)
    assert not any("customerId" in d for d in create.documented)  # in the v1.0 spec: matched
    assert table["tax"].fields_documented == 0  # type: ignore[attr-defined]
