"""The scale curve's firm: valid at every size and length, and scenarios/firm-year.yaml is
exactly its 2,000-consultant year (regenerate the file when the generator changes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.loader import load_scenario
from tests.benchmarks.firm import firm_year_yaml
from tests.support.paths import ROOT


@pytest.mark.parametrize(("consultants", "months"), [(100, 2), (500, 12), (4000, 12)])
def test_every_size_validates(consultants: int, months: int, tmp_path: Path) -> None:
    path = tmp_path / "firm.yaml"
    path.write_text(firm_year_yaml(consultants, months), encoding="utf-8")
    scenario = load_scenario(path)
    assert sum(s.count for c in scenario.contracts for s in c.staffing) == consultants
    assert len(scenario.legal_entities) == 5
    assert scenario.faults.configured and scenario.faults.crash is not None


def test_firm_year_file_is_the_generated_year() -> None:
    text = (ROOT / "scenarios" / "firm-year.yaml").read_text(encoding="utf-8")
    body = text[text.index("\nname:") + 1 :]
    assert body == firm_year_yaml(2000, 12)
    scenario = load_scenario(ROOT / "scenarios" / "firm-year.yaml")
    assert (scenario.period.start.isoformat(), scenario.period.end.isoformat()) == (
        "2026-01-01", "2026-12-31")  # fmt: skip
