"""The q2c command line: help, scenario listing and schema, and clear exit-2 errors for bad input.

No full simulation runs here: every bad-input case fails before the first simulated day.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.support.cli import invoke, words
from tests.support.paths import SMALL

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FLAGSHIP = SCENARIOS / "global-engineering-msa.yaml"


def test_help_lists_the_commands() -> None:
    """`q2c --help` exits 0 and names the run, scenarios and report commands."""
    code, out, _ = invoke("--help")
    assert code == 0
    for command in ("run", "scenarios", "report"):
        assert command in out


def test_run_help_lists_the_options() -> None:
    """`q2c run --help` exits 0 and documents every option of a run."""
    code, out, _ = invoke("run", "--help")
    assert code == 0
    for option in ("--seed", "--design", "--out", "--option", "--report"):
        assert option in out


def test_scenarios_list_prints_the_flagship_and_its_question() -> None:
    """`q2c scenarios list` shows the flagship file with its business question."""
    code, out, _ = invoke("scenarios", "list", str(SCENARIOS))
    assert code == 0
    text = words(out)
    assert FLAGSHIP.name in text
    assert (
        "when a global engineering consultancy signs a multi-country managed-services "
        "agreement, does every approved hour and every accepted milestone reach a correct "
        "invoice, in the right legal entity and currency, within the month-end cycle?"
    ) in text
    assert "Business question:" not in text


def test_scenarios_list_of_a_missing_folder_exits_2(tmp_path: Path) -> None:
    """`q2c scenarios list` on a folder that does not exist is bad input, not an empty table."""
    code, _, err = invoke("scenarios", "list", str(tmp_path / "nosuch"))
    assert code == 2
    assert f"{tmp_path / 'nosuch'} is not a folder of scenarios" in err


def scenario_as_json(file: Path) -> object:
    """A scenario file as the JSON an editor's YAML language server would check."""

    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, date):
            return value.isoformat()
        return float(value) if isinstance(value, Decimal) else value

    return plain(yaml.safe_load(file.read_text(encoding="utf-8")))


def test_scenarios_schema_is_json_schema_of_the_scenario_format(tmp_path: Path) -> None:
    """`q2c scenarios schema` prints a valid JSON Schema that accepts the flagship only."""
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = invoke("scenarios", "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"name", "period", "legal_entities", "clients", "roles", "contracts"} <= set(
        schema["required"]
    )
    assert {"behaviour", "billing", "vendors", "run_out_days"} <= set(schema["properties"])
    contract = schema["$defs"]["ContractSpec"]["properties"]
    assert {"client", "legal_entity", "currency", "rounding", "versions", "staffing"} <= set(
        contract
    )
    validator = jsonschema.Draft202012Validator(schema)
    flagship = scenario_as_json(FLAGSHIP)
    assert list(validator.iter_errors(flagship)) == []
    assert isinstance(flagship, dict)
    typo = {**flagship, "rounding_rule": "half_up"}
    assert list(validator.iter_errors(typo)) != []
    target = tmp_path / "scenario.schema.json"
    code, _, _ = invoke("scenarios", "schema", "--out", str(target))
    assert code == 0
    assert target.read_text() == out


def test_validate_accepts_the_flagship() -> None:
    """`q2c scenarios validate` on the flagship exits 0 and says ok."""
    code, out, err = invoke("scenarios", "validate", str(FLAGSHIP))
    assert code == 0
    assert "ok (5 contracts" in words(out)
    assert err == ""


@pytest.mark.parametrize("pair", ["latency", "=5", "[/]"], ids=["no-equals", "no-key", "markup"])
def test_option_without_key_value_exits_2(pair: str, tmp_path: Path) -> None:
    """`--option` that is not KEY=VALUE exits 2, quoting it verbatim (even rich markup)."""
    out = tmp_path / "run"
    code, _, err = invoke("run", str(FLAGSHIP), "--option", pair, "--out", str(out))
    assert code == 2
    assert f"--option expects KEY=VALUE, got {pair!r}" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ("nosuch", "unknown design 'nosuch': use one of ['point-to-point', 'reference'] or module:function"),
        ("nosuch_pkg:build", "cannot load design 'nosuch_pkg:build'"),
        ("sim.app.cli:nosuch", "cannot load design 'sim.app.cli:nosuch'"),
        ("[/]nosuch", "unknown design '[/]nosuch'"),
    ],
    ids=["unknown-name", "missing-module", "missing-function", "markup"],
)
def test_unknown_design_exits_2(design: str, message: str, tmp_path: Path) -> None:
    """`--design` naming nothing loadable exits 2 with a clear message and no run folder."""
    out = tmp_path / "run"
    code, _, err = invoke("run", str(FLAGSHIP), "--design", design, "--out", str(out))
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_run_out_that_is_a_file_exits_2(tmp_path: Path) -> None:
    """`--out` naming an existing file exits 2 before the run, leaving the file alone."""
    out = tmp_path / "taken"
    out.write_text("keep me\n")
    code, _, err = invoke("run", str(FLAGSHIP), "--out", str(out))
    assert code == 2
    assert f"--out {out} is a file" in err
    assert out.read_text() == "keep me\n"


def test_report_on_a_folder_without_metrics_exits_2(tmp_path: Path) -> None:
    """`q2c report` on a folder with no metrics.json exits 2 and says what is missing."""
    code, _, err = invoke("report", str(tmp_path))
    assert code == 2
    assert f"{tmp_path} is not a run folder (no metrics.json)" in err
    assert not (tmp_path / "report.html").exists()


def test_report_on_malformed_metrics_exits_2(tmp_path: Path) -> None:
    """`q2c report` on a metrics.json that is not JSON exits 2 with the reader's reason."""
    (tmp_path / "metrics.json").write_text("{not json\n")
    code, _, err = invoke("report", str(tmp_path))
    assert code == 2
    assert "metrics.json is not valid JSON" in err
    assert "Traceback" not in err


def test_committed_json_schema_is_current() -> None:
    """scenarios/scenario.schema.json (for editors) matches the scenario models exactly."""
    from sim.scenario.loader import scenario_json_schema
    from tests.support.paths import ROOT

    committed = (ROOT / "scenarios" / "scenario.schema.json").read_text()
    assert committed == scenario_json_schema(), (
        "run: q2c scenarios schema --out scenarios/scenario.schema.json"
    )


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("retries=flase", "option retries='flase': expected true or false"),
        ("bogus=1", "unknown option 'bogus'"),
        ("store=/nonexistent-q2c/x.db", "folder /nonexistent-q2c does not exist"),
    ],
)
def test_a_bad_design_option_is_bad_input(option: str, said: str, tmp_path: Path) -> None:
    """A misspelt switch, an option the design does not take, a store in no folder: exit 2
    naming it, before anything runs (a typo used to mean 'true' silently)."""
    code, _, err = invoke("run", str(SMALL), "--out", str(tmp_path / "run"), "--option", option)
    assert code == 2 and said in words(err)


def test_run_into_an_old_folder_leaves_nothing_stale(tmp_path: Path) -> None:
    """`q2c run --no-report` into a folder an earlier run left its report in removes that
    report, PDF and register, and leaves the business question in about.json."""
    out = tmp_path / "run"
    out.mkdir()
    stale = ("report.html", "report.pdf", "invoice-register.parquet", "invoice-register.csv")
    for name in stale:
        (out / name).write_text("from another scenario")
    code, _, _ = invoke("run", str(SMALL), "--seed", "3", "--out", str(out), "--no-report")
    assert code == 0
    assert [name for name in stale if (out / name).exists()] == []
    about = json.loads((out / "about.json").read_text())
    assert about["scenario_file"] == str(SMALL)
    assert about["business_question"].startswith("a two-month, two-contract firm")
