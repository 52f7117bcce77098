"""The point-to-point design: correct on every fault-free scenario, and, under faults, failing
the way inline synchronous integrations fail, with the oracle saying how.

Fault-free here means the library scenario with its ``faults`` section removed (the issue's
"every library scenario, fault-free"). A fast set runs in ``make test``; the whole library,
seeds 1-3, is marked ``swarm``.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import simpy

from orchestrator.point_to_point import build, option_problems
from sim.runner import RunResult, run
from sim.scenario.faults import FaultsSpec
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.world.world import DESIGNS, load_design
from tests.support.paths import ROOT

DESIGN = "point-to-point"
# every library scenario but the one at scale (firm-year: ~17 CPU minutes and gigabytes per run
# for this design; measured by hand, seeds 1-3 held every invariant), as in test_batch.py
LIBRARY = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml") if p.stem != "firm-year")


@functools.cache
def _library(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


def _fault_free(name: str) -> Scenario:
    return _library(name).model_copy(update={"faults": FaultsSpec()})


def _verdicts(result: RunResult) -> collections.Counter[tuple[str, str]]:
    """(verdict, cause) of every billable item, as the oracle judged it."""
    return collections.Counter((v.verdict, v.cause or "") for v in result.report.items)


def _broken(result: RunResult) -> set[str]:
    return {v["invariant"] for v in result.metrics["invariants"]["violations"]}


@pytest.mark.parametrize(
    ("name", "seed"),
    [("milestone-fixed-fee", 1), ("po-holds", 2), ("change-order-storm", 3),
     ("service-credits", 1), ("webhook-chaos", 2)],
)  # fmt: skip
def test_fault_free_scenarios_hold_every_invariant(name: str, seed: int) -> None:
    """Milestones, PO and subcontractor holds, change orders, service credits, payments:
    with no faults, inline handling bills every item once, at the right amount."""
    result = run(_fault_free(name), seed, DESIGN)
    assert result.metrics["invariants"]["violations"] == []
    items = result.metrics["items"]
    assert items["billable"] > 0 and items["leaked"] == items["duplicated"] == 0
    assert result.metrics["design"] == DESIGN
    webhooks = result.metrics["webhooks"]
    assert sum(v["delivered"] for v in webhooks.values()) > 0
    assert all("timed_out" in v for v in webhooks.values())  # answered inline


def test_webhooks_are_answered_after_their_downstream_calls(small: Scenario) -> None:
    """The CLM's webhook is answered 200 only once the project is set up: its answer is
    traced after the PSA calls it caused, and the reference's is traced before them."""

    def answer_and_activation(design: str) -> tuple[int, int]:
        world = run(small, 3, design).world
        lines = [json.loads(x) for x in world.trace.content().decode().splitlines()]
        answer = next(n for n, r in enumerate(lines) if r["kind"] == "core.request"
                      and r["path"] == "/webhooks/clm")  # fmt: skip
        active = next(n for n, r in enumerate(lines) if r["kind"] == "core.project_active")
        return answer, active

    answered, active = answer_and_activation(DESIGN)
    assert answered > active
    answered, active = answer_and_activation("reference")
    assert answered < active


def test_lost_responses_make_duplicates_the_oracle_names() -> None:
    """ERP and Stripe writes committed but unanswered: the plain client does not retry a
    timeout, the webhook or the billing run fails, and the work is done again without
    looking first. The oracle finds items billed twice (posted twice, or once posted and once
    left as a draft), tax the engine never committed, and a payment never applied (Stripe
    redelivered the event until it gave up)."""
    result = run(_library("lost-responses"), 1, DESIGN)
    verdicts = _verdicts(result)
    assert verdicts[("duplicated", "billed_more_than_once")] > 0
    assert verdicts[("duplicated", "duplicate_draft")] > 0
    assert {"no_duplicates", "tax_committed", "cash_application"} <= _broken(result)
    payments = result.metrics["webhooks"]["payments"]
    assert payments["timed_out"] > 0 and payments["gave_up"] > 0
    assert result.metrics["vendors"]["erp"]["timeouts"] > 0


def test_webhook_chaos_leaks_what_was_dropped() -> None:
    """Dropped webhooks are never redelivered, the PSA's feed never shows a dropped event nor
    one that appears after the recipe's window moved on, and nothing reconciles: their items
    leak (and the oracle says they were never invoiced); duplicates of the same approval are
    absorbed by the in-memory lookup, so nothing is billed twice."""
    result = run(_library("webhook-chaos"), 1, DESIGN)
    verdicts = _verdicts(result)
    assert verdicts[("leaked", "never_invoiced")] > 0
    assert result.metrics["items"]["duplicated"] == 0
    assert _broken(result) == {"no_leakage"}
    assert result.metrics["webhooks"]["psa"]["dropped"] > 0
    assert result.metrics["resilience"]["reconciliations_triggered"] == 0  # 404: none here


@pytest.mark.swarm
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", LIBRARY)
def test_every_library_scenario_fault_free_holds_every_invariant(name: str, seed: int) -> None:
    """The issue's acceptance for this design: every library scenario, fault-free, seeds 1-3."""
    result = run(_fault_free(name), seed, DESIGN)
    violations: list[dict[str, Any]] = result.metrics["invariants"]["violations"]
    assert violations == [], f"{name} seed {seed}: {violations[:5]}"


def test_the_design_is_built_in_and_takes_only_its_options() -> None:
    assert DESIGNS[DESIGN] == "orchestrator.point_to_point:build"
    assert load_design(DESIGN).__module__ == "orchestrator.point_to_point"
    assert option_problems({"store": "x.sqlite3"}) == []
    assert option_problems({"retries": "false"}) == [
        "unknown option 'retries' (known: feed_minutes, store, client_id, client_secret, "
        "webhook_secret_payments, webhook_key_clm)"
    ]
    assert option_problems({"feed_minutes": "soon"}) == [
        "option feed_minutes='soon': expected a number of minutes, 0 or more"
    ]


class _Clock:
    """Just enough runtime for the design's own waits: SimPy time, no vendors."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env

    def now(self) -> datetime:
        return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=self.env.now)

    def sleep(self, seconds: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(seconds)

    def spawn(self, flow: Generator[Any, Any, Any], name: str) -> None:
        self.env.process(flow)

    def send(self, *args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        raise AssertionError("no vendor call expected")
        yield

    def record(self, kind: str, **fields: Any) -> None:
        pass


def test_contracts_executed_together_are_set_up_one_after_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two contracts of one client executed at the same moment: the second waits for the
    first (else both would look the client up, find nothing and create two ERP customers)."""
    env = simpy.Environment()
    core = build(_Clock(env), "t", {"feed_minutes": "0"})  # no feed recipe: env.run() ends
    spans: dict[str, list[float]] = {}

    def set_up(record_id: str) -> Generator[Any, Any, None]:
        spans[record_id] = [env.now]
        yield env.timeout(3.0)
        spans[record_id].append(env.now)

    monkeypatch.setattr(core.change_orders, "on_contract_record", set_up)
    for record in ("A", "B", "C"):
        env.process(core.flows["contract_record"](record))
    env.run()
    ordered = sorted(spans.values())
    assert len(ordered) == 3
    assert all(first[1] <= second[0] for first, second in itertools.pairwise(ordered))
