"""``q2c design serve``'s pieces: the serial runtime (flows interleave only where they wait,
now from the sandbox's ``Date`` headers) and the server (503 until it knows its vendors, 400
for a bad configuration, the reference's endpoints once configured)."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

from contracts import VENDORS
from sim.app._design_runtime import SerialRuntime
from sim.app.design_serve import DesignServer
from tests.support.loopback import LoopbackServer


def _wait(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_flows_run_one_at_a_time_and_give_way_only_where_they_wait() -> None:
    runtime = SerialRuntime({})
    steps: list[str] = []
    inside = threading.Lock()

    def flow(name: str) -> Generator[Any, Any, None]:
        for i in range(3):
            assert inside.acquire(blocking=False), "two flows ran at once"
            steps.append(f"{name}{i}")
            time.sleep(0.005)  # a slow step: another flow would overlap it if it could
            inside.release()
            yield from runtime.sleep(0.01)

    try:
        runtime.spawn(flow("a"), "a")
        runtime.spawn(flow("b"), "b")
        _wait(lambda: len(steps) == 6)
    finally:
        runtime.close()
    assert sorted(steps) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    assert steps.index("b0") < steps.index("a2")  # they interleaved at the sleeps


def test_a_flow_that_raises_is_recorded_and_the_others_go_on() -> None:
    runtime = SerialRuntime({})
    done: list[str] = []

    def broken() -> Generator[Any, Any, None]:
        yield from runtime.sleep(0)
        raise KeyError("workspace")

    def fine() -> Generator[Any, Any, None]:
        yield from runtime.sleep(0)
        done.append("fine")

    try:
        runtime.spawn(broken(), "broken")
        runtime.spawn(fine(), "fine")
        _wait(lambda: done and runtime.failed_flows)
    finally:
        runtime.close()
    assert runtime.failed_flows == ["broken: KeyError: 'workspace'"]


def test_now_follows_the_sandbox_dates_and_never_goes_back() -> None:
    runtime = SerialRuntime({}, clock_url="http://127.0.0.1:9/_clock")  # never asked here
    try:
        runtime.clock.observe({"date": "Mon, 02 Mar 2026 10:00:00 GMT"})
        runtime.clock.observe({"date": "Mon, 02 Mar 2026 09:00:00 GMT"})  # an older answer
        assert runtime.now().isoformat() == "2026-03-02T10:00:00+00:00"
    finally:
        runtime.close()


def test_the_server_answers_503_until_it_knows_its_vendors_and_400_for_a_bad_document() -> None:
    server = DesignServer("reference")
    with LoopbackServer(server) as served:
        assert httpx.get(served.url("/status")).status_code == 503
        bad = httpx.post(served.url("/_sandbox/vendors"), json={"vendors": {"erp": "x"}})
        assert bad.status_code == 400
        assert "each of" in bad.json()["detail"]
        assert httpx.post(served.url("/_sandbox/vendors"), content=b"[").status_code == 400
    server.close()


def test_once_configured_the_reference_serves_its_endpoints() -> None:
    server = DesignServer("reference")
    document = {"vendors": {v: f"http://127.0.0.1:9/{v}" for v in VENDORS}, "tenant": "t1"}
    with LoopbackServer(server) as served:
        answer = httpx.post(served.url("/_sandbox/vendors"), json=document)
        assert answer.status_code == 200, answer.text
        status = httpx.get(served.url("/status"))
        assert status.status_code == 200
        assert status.json()["engagements"] == 0
        assert httpx.get(served.url("/exceptions")).json() == {"exceptions": []}
        bad = httpx.post(served.url("/billing-runs"), json={"period": "2026-13"})
        assert bad.status_code == 400
    server.close()
