"""The input: a scenario file, read, checked and (for a swarm seed) redrawn.

A scenario is data (pydantic models over YAML) describing a firm and a period: its legal
entities, clients, contracts and rate cards, people and habits, and the faults its vendors
show. Every other room reads it and none writes it, so it sits at the bottom of the data path
and imports nothing of the simulator but ``sim.seeds``. Also here: the business calendar and
the billing periods, pure functions of the scenario that the world, the firm and the runner
must agree on without importing one another.

Importing this face costs what loading a scenario costs (pydantic, YAML, holidays); no SimPy,
no mocks.
"""

from sim.scenario.calendar import BusinessCalendar, at
from sim.scenario.draw import draw_scenario, drawn_kinds
from sim.scenario.faults import FaultsSpec
from sim.scenario.format import ContractSpec, Scenario
from sim.scenario.loader import Problem, ScenarioError, load_scenario, scenario_json_schema
from sim.scenario.periods import billing_periods

__all__ = [
    "BusinessCalendar",
    "ContractSpec",
    "FaultsSpec",
    "Problem",
    "Scenario",
    "ScenarioError",
    "at",
    "billing_periods",
    "draw_scenario",
    "drawn_kinds",
    "load_scenario",
    "scenario_json_schema",
]
