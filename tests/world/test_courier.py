"""The webhook courier: at least once, on each vendor's retry schedule, with seeded chaos
(duplicates, delays that reorder, drops) that stops at ``faults.heal``."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import simpy

from mocks import STRIPE_LIVEMODE, Webhook
from sim.record.trace import Trace
from sim.runner import run
from sim.scenario.faults import FaultsSpec, WebhookChaosSpec
from sim.scenario.format import Scenario
from sim.world.courier import (
    REDELIVERY,
    STRIPE_REDELIVERY,
    WEBHOOK_DELAY_S,
    CoreRefused,
    Courier,
)

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = 3600.0


class FakeCore:
    """Answers each POST with the next scripted status ('refused': nobody listens)."""

    def __init__(self, env: simpy.Environment, answers: list[int | str] | None = None) -> None:
        self.env = env
        self.answers = list(answers or [])
        self.got: list[tuple[float, str]] = []  # (simulated second, event id)

    def __call__(self, method: str, path: str, content: bytes) -> httpx.Response:
        self.got.append((self.env.now, json.loads(content)["id"]))
        answer = self.answers.pop(0) if self.answers else 202
        if answer == "refused":
            raise CoreRefused("connection refused")
        return httpx.Response(int(answer))


def _courier(
    answers: list[int | str] | None = None,
    chaos: dict[str, WebhookChaosSpec] | None = None,
    seed: int = 1,
    heal_at: datetime = EPOCH + timedelta(days=365),
) -> tuple[simpy.Environment, FakeCore, Courier, Trace]:
    env = simpy.Environment()

    def now() -> datetime:
        return EPOCH + timedelta(seconds=env.now)

    trace = Trace(now)
    core = FakeCore(env, answers)
    return env, core, Courier(env, now, core, trace, seed, chaos or {}, heal_at), trace


def _hook(vendor: str, n: int) -> Webhook:
    return Webhook(vendor, "t", "event", {"id": f"{vendor}-{n}"})


def _emit(env: simpy.Environment, courier: Courier, vendor: str, count: int, gap_s: float) -> Any:
    for n in range(count):
        courier(_hook(vendor, n))
        yield env.timeout(gap_s)


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def test_without_chaos_each_webhook_arrives_once_after_the_network_delay() -> None:
    """No chaos: one POST per notification, WEBHOOK_DELAY_S after it, nothing else traced."""
    env, core, courier, trace = _courier()
    env.process(_emit(env, courier, "psa", 3, 10.0))
    env.run()
    assert core.got == [(WEBHOOK_DELAY_S + 10.0 * n, f"psa-{n}") for n in range(3)]
    assert courier.metrics()["psa"]["delivered"] == 3
    assert set(trace.kinds) == {"webhook"}


def test_ironclad_retries_ten_times_over_13_6_hours() -> None:
    """CLM: Ironclad's up to 10 retries over 13.6 h, exponential (48 s doubling); then gone."""
    env, core, courier, trace = _courier(answers=[500] * 50)
    courier(_hook("clm", 1))
    env.run()
    times = [t for t, _ in core.got]
    assert len(times) == 11
    assert _gaps(times) == [48.0 * 2**n for n in range(10)]
    assert 13.6 * HOUR <= times[-1] - times[0] < 13.7 * HOUR
    assert courier.metrics()["clm"] == {
        "delivered": 0, "duplicated": 0, "dropped": 0, "redelivered": 10, "gave_up": 1,
        "delayed": 0,
    }  # fmt: skip
    assert trace.kinds["webhook.gave_up"] == 1


@pytest.mark.parametrize(
    ("vendor", "horizon_h", "cap_h"),
    [("crm", 24, 2), ("psa", 24, 1)],
)
def test_backoff_grows_stays_under_its_cap_and_ends_within_the_horizon(
    vendor: str, horizon_h: float, cap_h: float
) -> None:
    """Salesforce (24 h, capped at 2 h), PSA (our 24 h, 1 h cap): waits never shrink, never pass
    the cap, and the last try falls within the horizon."""
    env, core, courier, _ = _courier(answers=[503] * 500)
    courier(_hook(vendor, 1))
    env.run()
    gaps = _gaps([t for t, _ in core.got])
    assert len(gaps) >= 8
    assert gaps == sorted(gaps)
    assert max(gaps) == cap_h * HOUR
    assert sum(gaps) <= horizon_h * HOUR < sum(gaps) + cap_h * HOUR
    assert courier.metrics()[vendor]["gave_up"] == 1


def test_stripe_retries_on_the_schedule_of_the_mode_the_sandbox_simulates() -> None:
    """The payments mock is a test-mode account (livemode false), so Stripe's test-mode
    schedule: three retries over a few hours (an hour apart), then it gives up. Live mode's
    schedule (3 days, exponential) stays declared beside it."""
    assert STRIPE_LIVEMODE is False
    assert REDELIVERY["payments"] == STRIPE_REDELIVERY["test"]
    env, core, courier, _ = _courier(answers=[503] * 10)
    courier(_hook("payments", 1))
    env.run()
    assert _gaps([t for t, _ in core.got]) == [HOUR, HOUR, HOUR]
    assert courier.metrics()["payments"]["gave_up"] == 1
    live = STRIPE_REDELIVERY["live"]
    waits, since = [], 0.0
    while (wait := live.wait(len(waits) + 1, since)) is not None:
        waits.append(wait)
        since += wait
    assert waits == sorted(waits) and max(waits) == 12 * HOUR
    assert since <= 72 * HOUR < since + 12 * HOUR


def test_a_refused_delivery_is_tried_again_until_the_core_answers() -> None:
    """Stripe after two refusals (core down): an hour later, then another, accepted on the
    third."""
    env, core, courier, _ = _courier(answers=["refused", "refused", 202])
    courier(_hook("payments", 1))
    env.run()
    assert [t for t, _ in core.got] == [2.0, 2.0 + HOUR, 2.0 + 2 * HOUR]
    counts = courier.metrics()["payments"]
    assert (counts["delivered"], counts["redelivered"], counts["gave_up"]) == (1, 2, 0)
    assert REDELIVERY["payments"].source.startswith("Stripe")


def test_duplicates_are_two_deliveries_of_one_event() -> None:
    """duplicate=1: every notification reaches the core twice, with the same event id."""
    env, core, courier, trace = _courier(chaos={"psa": WebhookChaosSpec(duplicate=1.0)})
    env.process(_emit(env, courier, "psa", 5, 60.0))
    env.run()
    ids = [event for _, event in core.got]
    assert sorted(ids) == sorted([f"psa-{n}" for n in range(5)] * 2)
    assert courier.metrics()["psa"]["duplicated"] == 5
    assert trace.kinds["webhook.duplicated"] == 5


def test_dropped_webhooks_never_arrive() -> None:
    """drop=1: nothing reaches the core; each loss is counted and traced."""
    env, core, courier, trace = _courier(chaos={"clm": WebhookChaosSpec(drop=1.0)})
    env.process(_emit(env, courier, "clm", 4, 60.0))
    env.run()
    assert core.got == []
    assert courier.metrics()["clm"]["dropped"] == trace.kinds["webhook.dropped"] == 4


def test_delays_reorder_and_replay_identically_for_a_seed() -> None:
    """reorder=1 with delays up to an hour: later notifications overtake earlier ones; the
    same seed gives the same order, another seed another one."""
    chaos = {"psa": WebhookChaosSpec(reorder=1.0, max_delay_s=HOUR)}
    orders = []
    for seed in (1, 1, 2):
        env, core, courier, _ = _courier(chaos=chaos, seed=seed)
        env.process(_emit(env, courier, "psa", 20, 30.0))
        env.run()
        orders.append([event for _, event in core.got])
    emitted = [f"psa-{n}" for n in range(20)]
    assert sorted(orders[0]) == sorted(emitted)
    assert orders[0] != emitted
    assert orders[0] == orders[1] != orders[2]


def test_no_chaos_from_the_healing_moment_on() -> None:
    """After faults.heal a configured vendor's webhooks arrive once each, in order."""
    chaos = {"psa": WebhookChaosSpec(duplicate=1.0, drop=0.5, reorder=1.0, max_delay_s=HOUR)}
    env, core, courier, trace = _courier(chaos=chaos, heal_at=EPOCH)
    env.process(_emit(env, courier, "psa", 10, 30.0))
    env.run()
    assert [event for _, event in core.got] == [f"psa-{n}" for n in range(10)]
    assert set(trace.kinds) == {"webhook"}


def test_a_run_with_webhook_chaos_counts_what_it_did(small: Scenario) -> None:
    """In a whole run the chaos fires and metrics.json says how often, per vendor: on the
    CLM's webhooks, and on the PSA's pull feed (Kantata pushes no webhooks)."""
    chaos = {"duplicate": 0.3, "drop": 0.2, "reorder": 0.3, "max_delay_s": 3600}
    faults = FaultsSpec.model_validate({"webhooks": {"psa": chaos, "clm": chaos}})
    result = run(small.model_copy(update={"faults": faults}), 3)
    webhooks = result.metrics["webhooks"]
    psa = webhooks["psa"]
    assert psa["duplicated"] > 0 and psa["dropped"] > 0 and psa["delayed"] > 0
    assert webhooks["clm"]["delivered"] > 0
    assert webhooks["crm"]["duplicated"] == webhooks["crm"]["dropped"] == 0
    trace = result.world.trace
    assert trace.kinds["feed.dropped"] == webhooks["psa"]["dropped"]  # events never made
    assert trace.kinds["webhook.dropped"] == sum(
        w["dropped"] for v, w in webhooks.items() if v != "psa"
    )
    assert result.metrics["resilience"]["reconciliations_triggered"] > 0
    assert result.metrics["invariants"]["violations"] == []
