"""Shared fixtures: scenario paths and a small, fast scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.loader import load_scenario
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "global-engineering-msa.yaml"
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
FAULT_SCENARIOS = (  # issue 4's: each breaks vendors its own way (scenarios/<name>.yaml)
    "month-end-erp-outage",
    "rate-limit-storm",
    "webhook-chaos",
    "lost-responses",
    "tax-engine-outage",
    "crash-restart",
)


@pytest.fixture(scope="session")
def small() -> Scenario:
    return load_scenario(SMALL)


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    return load_scenario(FLAGSHIP)
