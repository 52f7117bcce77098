"""Crash and restart: a crash ends the core's flows at their next resume, the world refuses
calls while the core is down and rebuilds it from the same factory and store afterwards."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import simpy

from orchestrator.reference import build
from orchestrator.runtime import Flow, Runtime
from sim.record.trace import Trace
from sim.runner import run
from sim.scenario.faults import CrashAfterCall, FaultsSpec
from sim.scenario.format import Scenario
from sim.world.runtime import SimRuntime

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
RECORDING = "tests.world.test_crash:recording"
BUILT: list[dict[str, str]] = []  # the options each core was built with (recording design)


def recording(runtime: Runtime, tenant: str, options: dict[str, str]) -> Any:
    """The reference design, noting the options (and whether the store's folder exists)."""
    BUILT.append({**options, "folder_exists": str(os.path.isdir(Path(options["store"]).parent))})
    return build(runtime, tenant, options)


def _runtime(transport: httpx.BaseTransport | None = None) -> tuple[simpy.Environment, SimRuntime]:
    env = simpy.Environment()
    transports = {"erp": transport or httpx.MockTransport(lambda r: httpx.Response(200))}
    trace = Trace(lambda: EPOCH)
    return env, SimRuntime(env, EPOCH, transports, {"erp": 1.0}, trace)


def test_a_crash_closes_older_flows_at_their_next_resume() -> None:
    """Flows spawned before the crash stop at their next wake-up (GeneratorExit, not a failed
    flow); a flow spawned after it runs to the end."""
    env, rt = _runtime()
    steps: list[str] = []

    def flow(name: str) -> Flow[None]:
        try:
            for n in range(3):
                yield from rt.sleep(10)
                steps.append(f"{name}{n}")
        except GeneratorExit:
            steps.append(f"{name} closed")
            raise

    def crash_at_15() -> Any:
        yield env.timeout(15)
        rt.crash()
        rt.spawn(flow("new"), "new")

    rt.spawn(flow("old"), "old")
    env.process(crash_at_15())
    env.run()
    assert steps == ["old0", "old closed", "new0", "new1", "new2"]
    assert rt.failed_flows == 0


def test_a_flow_spawned_in_the_instant_of_the_crash_dies_with_its_core() -> None:
    """Spawned by the old core, then the crash, both before the flow's first step: the flow
    belongs to the dead core and never runs (it used to join the new generation)."""
    env, rt = _runtime()
    steps: list[str] = []

    def flow() -> Flow[None]:
        steps.append("ran")
        yield from rt.sleep(1)

    def spawn_then_crash() -> Any:
        yield env.timeout(5)
        rt.spawn(flow(), "orphan")
        rt.crash()

    env.process(spawn_then_crash())
    env.run()
    assert steps == []


def test_a_failed_event_is_thrown_into_the_flow() -> None:
    """Driving a flow step by step still hands it the failures of what it waited on."""
    env, rt = _runtime()
    seen: list[str] = []

    def flow() -> Flow[None]:
        event = env.event()
        event.fail(ValueError("boom"))
        try:
            yield event
        except ValueError as exc:
            seen.append(str(exc))
        yield from rt.sleep(1)
        seen.append("went on")
        raise KeyError("unhandled")

    rt.spawn(flow(), "f")
    env.run()
    assert seen == ["boom", "went on"]
    assert rt.failed_flows == 1


def test_crash_after_a_call_lands_once_the_vendor_has_handled_it() -> None:
    """The 2nd matching POST reaches the vendor, then the core dies: the caller never sees
    that answer and makes no third call."""
    handled: list[str] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        handled.append(f"{request.method} {request.url.path}")
        return httpx.Response(201, json={"n": len(handled)})

    env, rt = _runtime(httpx.MockTransport(vendor))
    rt.crash_point = CrashAfterCall(vendor="erp", method="POST", path_prefix="/invoices", nth=2)
    causes: list[str] = []

    def on_crash(cause: str) -> None:
        causes.append(cause)
        rt.crash()

    rt.on_crash = on_crash
    answers: list[int] = []

    def flow() -> Flow[None]:
        yield from rt.send("erp", "GET", "/invoices")  # not a POST: not counted
        for _ in range(3):
            response = yield from rt.send("erp", "POST", "/invoices")
            answers.append(response.json()["n"])

    rt.spawn(flow(), "billing")
    env.run()
    assert handled == ["GET /invoices", "POST /invoices", "POST /invoices"]
    assert answers == [2]
    assert causes == ["after POST erp /invoices (call 2)"]


def _with_faults(scenario: Scenario, faults: dict[str, Any]) -> Scenario:
    return scenario.model_copy(update={"faults": FaultsSpec.model_validate(faults)})


def test_while_down_the_world_is_refused_and_finance_tries_again(small: Scenario) -> None:
    """A crash ten minutes before the April billing run with an hour's downtime: the 06:00
    trigger is refused, finance retries every 15 min and gets through at 07:00 after the
    restart at 06:50; the vendors redeliver refused webhooks."""
    crash = {"at": "2026-05-06T05:50:00", "downtime_minutes": 60}
    result = run(_with_faults(small, {"crash": crash}), 1)
    lines = [line for line in result.world.trace.content().decode().splitlines() if line]
    kinds = [(line.split('"kind":"')[1].split('"')[0], line[7:26]) for line in lines]
    crashed = kinds.index(("core.crashed", "2026-05-06T05:50:00"))
    restarted = kinds.index(("core.restarted", "2026-05-06T06:50:00"))
    between = lines[crashed:restarted]
    refused_runs = [line for line in between if '"path":"/billing-runs"' in line]
    assert len(refused_runs) == 4 and all('"status":"refused"' in r for r in refused_runs)
    assert ("world.billing_run", "2026-05-06T07:00:00") in kinds
    assert result.metrics["crashes"] == [
        {"at": "2026-05-06T05:50:00+00:00", "cause": "at 2026-05-06T05:50:00+00:00"}
    ]


def test_the_restarted_core_gets_the_same_options_and_store(small: Scenario) -> None:
    """Both cores get the user's options plus one store path in a per-run folder, which is
    gone after judging; metrics show only the user's options."""
    BUILT.clear()
    crash = {"after_call": {"vendor": "erp", "method": "POST", "nth": 3}, "downtime_minutes": 30}
    options = {"retries": "true"}
    result = run(_with_faults(small, {"crash": crash}), 2, RECORDING, options)
    assert len(BUILT) == 2 and BUILT[0] == BUILT[1]
    assert BUILT[0]["retries"] == "true" and BUILT[0]["folder_exists"] == "True"
    assert not Path(BUILT[0]["store"]).parent.exists()
    assert result.metrics["options"] == {"retries": "true"}
    assert len(result.metrics["crashes"]) == 1


def test_a_store_the_user_gives_is_used_as_is(small: Scenario, tmp_path: Path) -> None:
    """--option store=PATH wins over the per-run store (and is left in place)."""
    BUILT.clear()
    store = str(tmp_path / "mine.sqlite3")
    crash = {"at": "2026-04-07T06:00:30", "downtime_minutes": 5}
    run(_with_faults(small, {"crash": crash}), 1, RECORDING, {"store": store})
    assert [b["store"] for b in BUILT] == [store, store]
    assert tmp_path.exists()


def test_no_crash_after_the_faults_heal(small: Scenario) -> None:
    """A crash point reached only in the liveness phase never fires."""
    crash = {"at": "2026-06-10T12:00:00", "downtime_minutes": 60}
    result = run(_with_faults(small, {"heal": "2026-06-01", "crash": crash}), 1)
    assert result.metrics["crashes"] == []
    assert result.world.trace.kinds["core.crashed"] == 0


def test_reference_core_survives_a_crash_mid_billing_run(small: Scenario) -> None:
    """Killed right after the ERP made an invoice (before the core saw the answer): the
    restarted core bills everything exactly once. Needs CORE's durable store."""
    after = {"vendor": "erp", "method": "POST", "path_prefix": "/api/v2.0/companies", "nth": 3}
    result = run(_with_faults(small, {"crash": {"after_call": after}}), 1)
    assert result.metrics["crashes"][0]["cause"].endswith("/salesInvoices (call 3)")
    assert result.world.trace.kinds["core.crashed"] == 1
    assert result.world.trace.kinds["core.restarted"] == 1
    assert result.metrics["invariants"]["violations"] == []


def _core_requests(trace_text: str, path: str) -> list[str]:
    return [line[7:26] for line in trace_text.splitlines() if f'"path":"{path}"' in line]


def test_operations_reconcile_daily_at_four_only_when_there_are_faults(small: Scenario) -> None:
    """With faults, ops POSTs /reconciliations every day at 04:00, healed or not; without
    faults the trace has none (it stays what it was before operations existed)."""
    clean = run(small, 1)
    assert _core_requests(clean.world.trace.content().decode(), "/reconciliations") == []
    assert clean.metrics["resilience"]["reconciliations_triggered"] == 0
    faults = {"heal": "2026-05-01", "webhooks": {"psa": {"drop": 0.5}}}
    result = run(_with_faults(small, faults), 1)
    times = _core_requests(result.world.trace.content().decode(), "/reconciliations")
    days = (result.world.scenario.ends - result.world.scenario.starts).days + 1
    assert len(times) == days and all(t.endswith("T04:00:00") for t in times)
    assert result.metrics["resilience"]["reconciliations_triggered"] == days


def test_a_design_without_resilience_endpoints_still_runs(small: Scenario) -> None:
    """The idle design answers nothing useful to /status or /reconciliations: zeros, no error."""
    faults = {"webhooks": {"crm": {"duplicate": 1.0}}}
    m = run(_with_faults(small, faults), 1, "tests.support.designs:idle").metrics
    resilience = m["resilience"]
    assert resilience["dead_letters_over_time"] == [] and resilience["dead_letters"] == 0
    assert (resilience["replays"], resilience["reconciliation_fixes"]) == (0, 0)
    assert resilience["retries"] == {} and resilience["circuit_opens"] == {}
    assert resilience["reconciliations_triggered"] > 0  # the idle design accepts anything
    assert m["webhooks"]["crm"]["duplicated"] == 2
