"""The world's vendors served on the test clock: every answer dated in simulated time,
``GET /_clock``, a sleep that ends when simulated time gets there, the frozen clock advanced
over HTTP, and the contract report of what a client sent."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from sim.live.clock import ClockSettings, LiveClock, WorldLock
from sim.live.served import LiveVendors, Server
from sim.scenario.format import Scenario
from sim.world.world import World

DAY = 86400.0


@dataclass
class Served:
    world: World
    clock: LiveClock
    vendors: LiveVendors
    base: str


@pytest.fixture
def served(small: Scenario) -> Iterator[Served]:
    lock = WorldLock()
    world = World(small, 1)  # the in-process core: only the vendors are served here
    clock = LiveClock(world.env, world.epoch, lock, ClockSettings(quiet_s=0.0))
    vendors = LiveVendors(world, clock, lock)
    server = Server(vendors)
    base = server.start()
    try:
        yield Served(world, clock, vendors, base)
    finally:
        server.stop()
        world.close()


def test_every_vendor_answer_is_dated_in_simulated_time(served: Served) -> None:
    served.world.env.run(until=3 * DAY + 3600)
    answer = httpx.get(served.base + "/erp/api/v2.0/companies")
    assert answer.status_code == 401  # no token: the vendor's own answer, dated all the same
    assert email.utils.parsedate_to_datetime(answer.headers["date"]) == served.clock.now()
    clock = httpx.get(served.base + "/_clock").json()
    assert datetime.fromisoformat(clock["now"]) == served.world.epoch + timedelta(days=3, hours=1)
    assert clock["frozen"] is False
    assert served.vendors.calls["erp"] == 1  # counted in the world's figures


def test_a_sleep_answers_once_simulated_time_reaches_it(served: Served) -> None:
    answers: list[dict[str, object]] = []
    sleeper = threading.Thread(
        target=lambda: answers.append(
            httpx.post(served.base + "/_clock/sleep", json={"seconds": 7200}, timeout=30).json()
        )
    )
    sleeper.start()
    deadline = time.monotonic() + 30
    while not served.vendors.timers:  # the sleeper's timer is set
        assert time.monotonic() < deadline
        time.sleep(0.01)
    served.clock.run(DAY)  # quiet: skips to the timer, the sleeper wakes
    sleeper.join(30)
    assert answers and answers[0]["reached"] is True
    assert datetime.fromisoformat(str(answers[0]["now"])) >= served.world.epoch + timedelta(hours=2)


def test_the_clock_is_frozen_and_advanced_over_http(served: Served) -> None:
    assert httpx.post(served.base + "/_admin/clock/freeze").json()["frozen"] is True
    loop = threading.Thread(target=served.clock.run, args=(10 * DAY,))
    loop.start()
    target = served.world.epoch + timedelta(days=2)
    answer = httpx.post(
        served.base + "/_admin/clock/advance", json={"to": target.isoformat()}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    assert datetime.fromisoformat(answer.json()["now"]) == target
    assert httpx.post(served.base + "/_admin/clock/run").json()["frozen"] is False
    loop.join(30)
    assert served.world.env.now == 10 * DAY


def test_advancing_a_running_clock_is_a_conflict_and_bad_times_are_400(served: Served) -> None:
    answer = httpx.post(served.base + "/_admin/clock/advance", json={"seconds": 60})
    assert answer.status_code == 409
    httpx.post(served.base + "/_admin/clock/freeze")
    assert (
        httpx.post(served.base + "/_admin/clock/advance", json={"to": "2026-03-01"}).status_code
        == 400
    )
    assert httpx.post(served.base + "/_clock/sleep", json={"soon": 1}).status_code == 400


def test_a_request_that_breaks_the_vendor_spec_is_in_the_contract_report(served: Served) -> None:
    httpx.post(served.base + "/erp/oauth2/v2.0/token", content=b"not a form",
               headers={"content-type": "text/plain"})  # fmt: skip
    report = httpx.get(served.base + "/_admin/contract-report").json()
    findings = [f for t in report["tenants"].values() for f in t["findings"]]
    assert any(f["vendor"] == "erp" and f["side"] == "request" for f in findings), report
