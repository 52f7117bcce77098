"""Inline answers: a core that answers a webhook only when its downstream calls are done. The
vendor waits at most its delivery timeout, then counts the delivery as failed and redelivers on
its schedule, while the first processing runs on to its end."""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import simpy

from mocks import Webhook
from sim.record.trace import Trace
from sim.world.courier import (
    DELIVERY_TIMEOUT_S,
    REDELIVERY,
    WEBHOOK_DELAY_S,
    Answer,
    Courier,
    answer_later,
)

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)


class SlowCore:
    """Answers each delivery after ``work_s[n]`` simulated seconds of 'downstream calls'
    (the n-th delivery), with ``status``; ``boom`` makes the handler raise instead."""

    def __init__(self, env: simpy.Environment, work_s: list[float], boom: bool = False) -> None:
        self.env = env
        self.work_s = list(work_s)
        self.boom = boom
        self.alive = True
        self.started: list[float] = []
        self.finished: list[float] = []

    def __call__(self, method: str, path: str, content: bytes) -> Answer:
        assert json.loads(content)["id"]
        seconds = self.work_s.pop(0) if self.work_s else 0.0
        return answer_later(self.env, self._handler(seconds), lambda: self.alive)

    def _handler(self, seconds: float) -> Generator[Any, Any, httpx.Response]:
        self.started.append(self.env.now)
        yield self.env.timeout(seconds)
        if self.boom:
            raise RuntimeError("the ERP said no")
        self.finished.append(self.env.now)
        return httpx.Response(200)


def _courier(core_work: list[float], boom: bool = False) -> tuple[Any, SlowCore, Courier, Trace]:
    env = simpy.Environment()

    def now() -> datetime:
        return EPOCH + timedelta(seconds=env.now)

    trace = Trace(now)
    core = SlowCore(env, core_work, boom)
    courier = Courier(env, now, core, trace, 1, {}, EPOCH + timedelta(days=365))
    return env, core, courier, trace


def _records(trace: Trace) -> list[dict[str, Any]]:
    return [json.loads(line) for line in trace.content().decode().splitlines()]


def _statuses(trace: Trace) -> list[Any]:
    return [r["status"] for r in _records(trace) if r["kind"] == "webhook"]


def test_an_inline_answer_in_time_is_one_delivery_acknowledged_when_the_work_is_done() -> None:
    env, core, courier, trace = _courier([4.0])
    courier(Webhook("psa", "t", "event", {"id": "psa-1"}))
    env.run()
    assert core.finished == [WEBHOOK_DELAY_S + 4.0]
    assert _statuses(trace) == [200]
    assert _records(trace)[-1]["at"] == "2026-03-01T00:00:06Z"  # answered when done
    counts = courier.metrics()["psa"]
    assert (counts["delivered"], counts["redelivered"], counts["timed_out"]) == (1, 0, 0)


def test_processing_longer_than_the_timeout_is_redelivered_and_done_twice() -> None:
    """Ironclad (10 s, ours): 30 s of work times out; the vendor retries 48 s after the
    failure while the first processing finishes on its own; the retry is processed again."""
    env, core, courier, trace = _courier([30.0, 1.0])
    courier(Webhook("clm", "t", "event", {"id": "clm-1"}))
    env.run()
    first_try = WEBHOOK_DELAY_S
    hung_up = first_try + DELIVERY_TIMEOUT_S["clm"]
    retry = hung_up + REDELIVERY["clm"].first_s
    assert core.started == [first_try, retry]
    assert core.finished == [first_try + 30.0, retry + 1.0]  # both ran to their end
    assert _statuses(trace) == ["timeout", 200]
    counts = courier.metrics()["clm"]
    assert (counts["timed_out"], counts["redelivered"], counts["delivered"]) == (1, 1, 1)


def test_a_handler_that_raises_answers_500_and_the_vendor_tries_again() -> None:
    env, _, courier, trace = _courier([0.5, 0.5], boom=True)
    courier(Webhook("payments", "t", "event", {"id": "evt-1"}))
    env.run(until=WEBHOOK_DELAY_S + 0.5 + REDELIVERY["payments"].first_s + 1.0)
    assert _statuses(trace) == [500, 500]
    assert courier.metrics()["payments"]["timed_out"] == 0


def test_a_core_that_dies_while_it_processes_drops_the_connection() -> None:
    env, core, courier, trace = _courier([5.0, 0.0])

    def crash() -> Any:
        yield env.timeout(WEBHOOK_DELAY_S + 1.0)
        core.alive = False
        yield env.timeout(10.0)
        core.alive = True

    env.process(crash())
    courier(Webhook("crm", "t", "event", {"id": "msg-1"}))
    env.run()
    # the dead handler is noticed when it next wakes (5 s in): the connection drops then, and
    # Salesforce retries 15 s later; only that delivery is processed to its end
    assert core.finished == [WEBHOOK_DELAY_S + 5.0 + REDELIVERY["crm"].first_s]
    assert _statuses(trace) == ["dropped", 200]


@pytest.mark.parametrize(("vendor", "seconds"), [("crm", 60.0), ("payments", 20.0)])
def test_each_vendor_waits_its_own_delivery_timeout(vendor: str, seconds: float) -> None:
    """Salesforce waits 60 s for an outbound message's answer, Stripe (unpublished) 20 s."""
    assert DELIVERY_TIMEOUT_S[vendor] == seconds
    env, _, courier, trace = _courier([seconds - 0.5, 0.0])
    courier(Webhook(vendor, "t", "event", {"id": "x"}))
    env.run()
    assert _statuses(trace) == [200]
    env, _, courier, trace = _courier([seconds + 0.5, 0.0])
    courier(Webhook(vendor, "t", "event", {"id": "x"}))
    env.run()
    assert _statuses(trace)[0] == "timeout"


def test_cores_that_answer_at_once_keep_the_old_counts() -> None:
    """No inline answer seen: metrics have no ``timed_out`` (the reference's stay as they were)."""
    env = simpy.Environment()
    trace = Trace(lambda: EPOCH)
    courier = Courier(env, lambda: EPOCH, lambda m, p, c: httpx.Response(202), trace, 1, {},
                      EPOCH + timedelta(days=1))  # fmt: skip
    courier(Webhook("psa", "t", "event", {"id": "psa-1"}))
    env.run()
    assert "timed_out" not in courier.metrics()["psa"]
