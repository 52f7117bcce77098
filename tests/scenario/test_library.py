"""The scenario library: every file validates, states the business question it answers, and
runs clean (every invariant holds) under the reference design on seeds 1 to 5."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from sim.app.scenarios_cli import business_question
from sim.metrics import items_csv
from sim.runner import metrics_json, run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.support.paths import FAULT_SCENARIOS, FLAGSHIP, ROOT
from tests.support.reconcile import assert_rows_add_up

SCENARIOS = ROOT / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
SEEDS = range(1, 6)
EXPECTED = (
    "global-engineering-msa",
    "change-order-storm",
    "retroactive-rate-change",
    "po-holds",
    "multi-currency-tax",
    "milestone-fixed-fee",
    "subcontractor-heavy",
    "acquisition-onboarding",
    "service-credits",
    # issue 4's fault scenarios: each runs here with its whole faults envelope switched on
    # (tests/swarm/test_scenarios.py draws settings inside it per seed)
    *FAULT_SCENARIOS,
)
SHOWN = 5  # violations quoted in a failure message
AT_SCALE = ("firm-year",)  # minutes per run: measured by ``make bench``, validated here


@functools.cache
def _scenario(file: Path) -> Scenario:
    return load_scenario(file)


def _marks(file: Path, seed: int) -> list[pytest.MarkDecorator]:
    """The flagship's runs take seconds each, so: slow. A fault scenario runs seeds 1-2 in the
    default suite and 3-5 with the swarm marker (its bounded swarm covers more draws)."""
    if file == FLAGSHIP:
        return [pytest.mark.slow]
    if file.stem in AT_SCALE:
        return [pytest.mark.skip(reason="a firm's year at scale: make bench runs it")]
    if seed > 2 and _scenario(file).faults.configured:
        return [pytest.mark.swarm]
    return []


def _runs() -> list[object]:
    """Every scenario file x every seed."""
    return [
        pytest.param(file, seed, id=f"{file.stem}-seed{seed}", marks=_marks(file, seed))
        for file in FILES
        for seed in SEEDS
    ]


def test_library_is_not_empty() -> None:
    """The scenarios folder holds scenario files for the tests below to check."""
    assert FILES, f"no *.yaml in {SCENARIOS}"


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_scenario_validates_and_states_its_business_question(file: Path) -> None:
    """The file loads cleanly, is named after its scenario and opens with its business question."""
    scenario = _scenario(file)
    assert scenario.name == file.stem, f"{file.name}: name is {scenario.name!r}"
    first = file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# Business question:"), f"{file.name} opens with {first!r}"
    question = business_question(file)
    assert len(question) >= 40, f"{file.name}: business question too thin: {question!r}"
    assert question.endswith("?"), f"{file.name}: business question is not a question"


def test_library_has_the_named_scenarios() -> None:
    """Every scenario the product promises exists in the library."""
    present = {f.stem for f in FILES}
    missing = [name for name in EXPECTED if name not in present]
    assert not missing, f"scenarios not written yet: {', '.join(missing)}"


@pytest.mark.parametrize(("file", "seed"), _runs())
def test_scenario_holds_every_invariant(file: Path, seed: int, tmp_path: Path) -> None:
    """The reference design bills this scenario with every invariant holding on this seed,
    and (without vendor faults, which the fault scenarios' own tests judge) keeps every vendor's
    contract in what it sends and accepts; the report's amounts per currency add up."""
    result = run(_scenario(file), seed)
    metrics = result.metrics
    (tmp_path / "metrics.json").write_text(metrics_json(metrics))
    (tmp_path / "items.csv").write_text(items_csv(result.report))
    assert_rows_add_up(tmp_path)
    if not _scenario(file).faults.configured:
        assert set(metrics["contract_violations"].values()) == {0}, metrics["contract_violations"]
    invariants = metrics["invariants"]
    violations = invariants["violations"]
    shown = "\n".join(
        f"  {v['invariant']}: {v['item']} - {v['detail']}" for v in violations[:SHOWN]
    )
    more = f"\n  ... and {len(violations) - SHOWN} more" if len(violations) > SHOWN else ""
    command = f"q2c run scenarios/{file.name} --seed {seed}"
    assert invariants["ok"], f"{len(violations)} violation(s); {command}\n{shown}{more}"
