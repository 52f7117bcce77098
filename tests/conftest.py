"""Shared fixtures: scenario paths and a small, fast scenario."""

from __future__ import annotations

import pytest

from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.support.paths import FLAGSHIP, SMALL


@pytest.fixture(scope="session")
def small() -> Scenario:
    return load_scenario(SMALL)


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    return load_scenario(FLAGSHIP)
