"""Malformed scenarios get a clear error: file, line, field path, what was expected; exit code 2.

Every case is the flagship scenario with one small text edit, so line numbers stay meaningful.
Each case is checked through ``load_scenario`` and through the CLI (``q2c scenarios validate``
and ``q2c run``); one case also runs the installed console script in a real subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.scenario.loader import Problem, ScenarioError, load_scenario
from tests.support.cli import invoke as run_cli

FLAGSHIP = Path(__file__).resolve().parents[2] / "scenarios" / "global-engineering-msa.yaml"
TEXT = FLAGSHIP.read_text(encoding="utf-8")

Edit = Callable[[str], str]


def swap(old: str, new: str) -> Edit:
    """An edit replacing ``old``, which must occur exactly once in the flagship."""

    def edit(text: str) -> str:
        assert text.count(old) == 1, f"the flagship no longer holds {old!r} exactly once"
        return text.replace(old, new)

    return edit


def as_list(text: str) -> str:
    """The whole scenario wrapped as the single item of a top-level list."""
    indented = re.sub(r"(?m)^(?!#)(?=.)", "  ", text)
    return indented.replace("  name:", "- name:", 1)


def line_of(text: str, marker: str) -> int:
    """The 1-based line where ``marker`` (unique in ``text``) starts."""
    assert text.count(marker) == 1, f"marker {marker!r} is not unique in the edited file"
    return text[: text.index(marker)].count("\n") + 1


@dataclass(frozen=True)
class Case:
    id: str
    edit: Edit | None  # None: no file is written
    path: str  # the exact field path of the problem ("" for the whole file)
    expected: str  # part of what the message says was expected
    at: str | None  # marker of the line the problem points to (None: no line)
    got: str | None = None  # the offending value as the message quotes it
    problems: int = 1  # how many problems the file has in all
    mentions: str | None = None  # marker of a second line the message must name
    encoding: str = "utf-8"


CASES = [
    Case(
        "rate-not-a-number",
        swap("engineer: {DE: 118.45,", "engineer: {DE: abc,"),
        "contracts[0].versions[1].rates.engineer.DE",
        "a number",
        "engineer: {DE: abc,",
        got="'abc'",
    ),
    Case(
        "count-not-a-number",
        swap(
            "{role: senior_engineer, country: DE, count: 3}",
            "{role: senior_engineer, country: DE, count: many}",
        ),
        "contracts[0].staffing[1].count",
        "a whole number",
        "count: many",
        got="'many'",
    ),
    Case(
        "rate-with-three-decimals",
        swap("engineer: {IN: 3250.50}", "engineer: {IN: 3250.505}"),
        "contracts[3].versions[0].rates.engineer.IN",
        "at most 2 decimal places",
        "3250.505",
        got="3250.505",
    ),
    Case(
        "unknown-field-typo",
        swap(
            "    rounding: half_even\n    close_date: 2025-12-17",
            "    rounding_rule: half_even\n    close_date: 2025-12-17",
        ),
        "contracts[1].rounding_rule",
        "no such field",
        "rounding_rule:",
    ),
    Case(
        "missing-required-field",
        swap("    close_date: 2026-01-20\n", ""),
        "contracts[2].close_date",
        "this required field",
        "- id: GEM-US-MED",
    ),
    Case(
        "missing-rate-for-staffed-role",
        swap("          project_manager: {DE: 139.05}\n", ""),
        "contracts[0].versions[1].rates",
        "a rate for role 'project_manager' in DE, staffed by contracts[0].staffing[6]",
        "rates:\n          engineer: {DE: 118.45",
    ),
    Case(
        "staffed-role-not-in-roles",
        swap("{role: architect, country: US, count: 1}", "{role: designer, country: US, count: 1}"),
        "contracts[2].staffing[1].role",
        "a role listed in roles ['engineer', 'senior_engineer', 'architect', 'project_manager']",
        "role: designer",
        got="'designer'",
        problems=2,  # and no rate for the designer either
    ),
    Case(
        "rate-for-role-not-in-roles",
        swap("          architect: {US: 215.00}", "          architekt: {US: 215.00}"),
        "contracts[2].versions[0].rates.architekt",
        "a role listed in roles",
        "architekt:",
        problems=2,  # and the staffed architect has no rate
    ),
    Case(
        "milestone-due-after-period",
        swap("due: 2026-06-26", "due: 2026-07-15"),
        "contracts[0].milestones[2].due",
        "a date within the period (2026-01-01 to 2026-06-30)",
        "due: 2026-07-15",
        got="2026-07-15",
    ),
    Case(
        "staffing-start-before-period",
        swap("count: 2, start: 2026-02-02}", "count: 2, start: 2025-12-20}"),
        "contracts[0].staffing[5].start",
        "a date within the period (2026-01-01 to 2026-06-30)",
        "start: 2025-12-20",
        got="2025-12-20",
    ),
    Case(
        "close-date-after-period",
        swap("close_date: 2026-01-20", "close_date: 2026-07-20"),
        "contracts[2].close_date",
        "a date within the period (2026-01-01 to 2026-06-30)",
        "close_date: 2026-07-20",
        got="2026-07-20",
    ),
    Case(
        "impossible-date",
        swap("end: 2026-06-30}", "end: 2026-13-30}"),
        "period.end",
        "a date written YYYY-MM-DD",
        "period:",
        got="'2026-13-30'",
    ),
    Case(
        "currency-differs-from-legal-entity",
        swap(
            "    legal_entity: US01\n    currency: USD", "    legal_entity: US01\n    currency: EUR"
        ),
        "contracts[2].currency",
        "USD, the currency of legal entity US01",
        "    currency: EUR\n    rounding: half_up\n    close_date: 2026-01-20",
        got="'EUR'",
    ),
    Case(
        "unknown-client",
        swap("client: northgrid", "client: northgird"),
        "contracts[1].client",
        "one of the clients ids ['bharat-tel', 'cascade-med', 'elbe-rail', 'northgrid', "
        "'rheinwerk']",
        "client: northgird",
        got="'northgird'",
    ),
    Case(
        "unknown-legal-entity-of-contract",
        swap("    legal_entity: IN01\n", "    legal_entity: IN02\n"),
        "contracts[3].legal_entity",
        "one of the legal_entities ids ['DE01', 'GB01', 'IN01', 'US01']",
        "legal_entity: IN02",
        got="'IN02'",
    ),
    Case(
        "unknown-legal-entity-of-client",
        swap("legal_entity: IN01, industry", "legal_entity: XX01, industry"),
        "clients[3].legal_entity",
        "one of the legal_entities ids",
        "legal_entity: XX01",
        got="'XX01'",
    ),
    Case(
        "duplicate-contract-id",
        swap("id: GEM-DE-RAIL", "id: GEM-MSA-DE"),
        "contracts[4].id",
        "a unique id, not the one contracts[0] has",
        "- id: GEM-MSA-DE\n    client: elbe-rail",
        got="'GEM-MSA-DE'",
    ),
    Case(
        "duplicate-milestone-id",
        swap("{id: M2,", "{id: M1,"),
        "contracts[0].milestones[1].id",
        "a unique id, not the one contracts[0].milestones[0] has",
        "{id: M1, title: Pilot",
        got="'M1'",
    ),
    Case(
        "duplicate-yaml-key",
        swap(
            "    rounding: half_up\n    close_date: 2026-01-20",
            "    rounding: half_up\n    rounding: down\n    close_date: 2026-01-20",
        ),
        "contracts[2].rounding",
        "each key once per mapping",
        "rounding: down",
        mentions="    rounding: half_up\n    rounding: down",
    ),
    Case(
        "version-numbers-out-of-order",
        swap("      - number: 2\n", "      - number: 3\n"),
        "contracts[0].versions[1].number",
        "2 (versions are numbered 1, 2, ... in order)",
        "number: 3",
        got="3",
    ),
    Case(
        "invalid-rounding-enum",
        swap(
            "rounding: half_even\n    close_date: 2025-12-05",
            "rounding: banker\n    close_date: 2025-12-05",
        ),
        "contracts[3].rounding",
        '"half_up", "half_even" or "down"',
        "rounding: banker",
        got="'banker'",
    ),
    Case(
        "invalid-country-code",
        swap(
            "{role: engineer, country: IN, count: 4}", "{role: engineer, country: india, count: 4}"
        ),
        "contracts[1].staffing[2].country",
        "a two-letter country code",
        "country: india",
        got="'india'",
    ),
    Case(
        "unknown-vendor-key",
        swap("billing:\n", "vendors: {sap: {latency_ms: 5}}\nbilling:\n"),
        "vendors.sap",
        '"crm", "clm", "psa", "erp", "tax" or "payments"',
        "vendors:",
        got="'sap'",
    ),
    Case(
        "range-min-above-max",
        swap("entries_per_day: {min: 1, max: 3}", "entries_per_day: {min: 3, max: 1}"),
        "behaviour.entries_per_day",
        "a range whose max is at least its min",
        "entries_per_day:",
        got="{'min': 3, 'max': 1}",
    ),
    Case(
        "yaml-syntax-unclosed-bracket",
        swap("architect, project_manager]", "architect, project_manager"),
        "",
        "valid YAML (expected ',' or ']'",
        "contracts:",  # where the parser gave up
        mentions="roles: [",  # where the bracket opened
    ),
    Case(
        "yaml-syntax-tab-indent",
        swap("    client: elbe-rail", "\tclient: elbe-rail"),
        "",
        "valid YAML (found character '\\t' that cannot start any token)",
        "\tclient: elbe-rail",
    ),
    Case(
        "top-level-list",
        as_list,
        "",
        "a mapping of scenario fields at the top level",
        "- name:",
        got="a list",
    ),
    Case(
        "empty-file",
        lambda text: "",
        "",
        "a mapping of scenario fields at the top level",
        None,
        got="an empty document",
    ),
    Case(
        "comments-only",
        lambda text: text[: text.index("name:")],
        "",
        "a mapping of scenario fields at the top level",
        None,
        got="an empty document",
    ),
    Case(
        "not-utf8",
        swap("GEM Engineering GmbH", "GEM Engineering für Technik GmbH"),
        "",
        "a UTF-8 text file",
        None,
        encoding="latin-1",
    ),
    Case(
        "file-does-not-exist",
        None,
        "",
        "a readable scenario file (No such file or directory)",
        None,
    ),
    Case(
        "entity-subdivision-unknown",
        swap(
            "currency: EUR, locale: de_DE}",
            "currency: EUR, locale: de_DE, holiday_subdivision: XX}",
        ),
        "legal_entities[0].holiday_subdivision",
        "one of DE's subdivisions",
        "holiday_subdivision: XX",
        got="'XX'",
    ),
    Case(
        "credit-vat-treatment-unknown",
        swap(
            "      monthly_cap: 4000.00\n",
            "      monthly_cap: 4000.00\n      vat_treatment: penalty\n",
        ),
        "contracts[1].service_level.vat_treatment",
        '"price_reduction" or "compensation"',
        "vat_treatment: penalty",
        got="'penalty'",
    ),
    Case(
        "expense-order-unknown",
        swap(
            "receipt_required_above: 50.00}",
            "receipt_required_above: 50.00, conversion: convert_first}",
        ),
        "contracts[1].expense_policy.conversion",
        '"convert_then_markup" or "markup_then_convert"',
        "conversion: convert_first",
        got="'convert_first'",
    ),
]


@dataclass(frozen=True)
class Written:
    file: Path
    text: str
    line: int | None
    mentions: int | None


def write(case: Case, folder: Path) -> Written:
    """The case's edited flagship in ``folder``, and the lines its problem must name."""
    file = folder / f"{case.id}.yaml"
    if case.edit is None:
        return Written(file, "", None, None)
    text = case.edit(TEXT)
    assert text != TEXT
    file.write_bytes(text.encode(case.encoding))
    line = line_of(text, case.at) if case.at else None
    mentions = line_of(text, case.mentions) if case.mentions else None
    return Written(file, text, line, mentions)


def the_problem(exc: ScenarioError, case: Case) -> Problem:
    """The one problem at the case's field path."""
    found = [p for p in exc.problems if p.path == case.path]
    assert found, f"no problem at {case.path!r} in:\n{exc.render()}"
    return found[0]


def where(written: Written, case: Case) -> str:
    """How a message line starts: FILE:LINE: PATH (FILE: PATH when there is no line)."""
    prefix = f"{written.file}:{written.line}" if written.line else f"{written.file}"
    return f"{prefix}: {case.path or '<top level>'}: expected "


def invoke(args: list[str]) -> tuple[int, str]:
    """Run the CLI in-process; (exit code, stderr). Any exception but an exit is a failure."""
    code, _, stderr = run_cli(*args)
    return code, stderr


def test_flagship_is_valid() -> None:
    """The file every case is derived from loads cleanly, so each case's error is its edit's."""
    scenario = load_scenario(FLAGSHIP)
    assert scenario.name == "global-engineering-msa"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_load_scenario_names_path_line_and_expectation(case: Case, tmp_path: Path) -> None:
    """load_scenario raises ScenarioError with the exact field path, expectation and line."""
    written = write(case, tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(written.file)
    exc = info.value
    assert exc.file == written.file
    assert len(exc.problems) == case.problems, exc.render()
    problem = the_problem(exc, case)
    assert case.expected in problem.expected
    assert problem.line == written.line
    assert problem.got == case.got
    if written.mentions is not None:
        assert f"line {written.mentions}" in problem.expected
    assert f"{where(written, case)}{problem.expected}" in str(exc)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_command_exits_2_with_located_message(case: Case, tmp_path: Path) -> None:
    """`q2c scenarios validate FILE` exits 2; stderr says file:line: path: expected ... (got)."""
    written = write(case, tmp_path)
    code, stderr = invoke(["scenarios", "validate", str(written.file)])
    assert code == 2
    assert where(written, case) in stderr
    assert case.expected in stderr
    if case.got is not None:
        assert f"(got {case.got})" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_run_command_exits_2_before_simulating(case: Case, tmp_path: Path) -> None:
    """`q2c run FILE --out DIR` exits 2 with the same message and writes no run folder."""
    written = write(case, tmp_path)
    out = tmp_path / "run"
    code, stderr = invoke(["run", str(written.file), "--out", str(out)])
    assert code == 2
    assert where(written, case) in stderr
    assert case.expected in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


def test_validate_reports_every_bad_file_and_passes_good_ones(tmp_path: Path) -> None:
    """Validating several files names each bad one, still checks the rest, and exits 2."""
    first = write(CASES[0], tmp_path)
    last = write(CASES[-3], tmp_path)
    code, stderr = invoke(["scenarios", "validate", str(first.file), str(FLAGSHIP), str(last.file)])
    assert code == 2
    assert str(first.file) in stderr
    assert str(last.file) in stderr
    assert str(FLAGSHIP) not in stderr


def q2c_command() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("q2c")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sim.app.cli"]


def test_real_process_exits_2_without_traceback(tmp_path: Path) -> None:
    """End to end in a real process: exit code 2, the located message, no traceback."""
    case = CASES[0]
    written = write(case, tmp_path)
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    for args in (["scenarios", "validate"], ["run", "--out", str(out)]):
        done = subprocess.run(
            [*q2c_command(), *args, str(written.file)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert f"{written.file}:{written.line}: {case.path}: expected a number" in done.stderr
        assert "(got 'abc')" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout
    assert not out.exists()
