"""The core as parts: the reference composition wires each part to the same context and to the
parts it calls, a design replaces one part by keyword or one adapter in the context, and the
intake turns a part's failure into a dead letter and an open exception."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from orchestrator.adapters.psa import PsaAdapter
from orchestrator.parts import Collection, Holds, webhook_events
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, run_flow
from tests.support.runtimes import StillRuntime


class _LaxHolds(Holds):
    pass


class _BrokenCollection(Collection):
    def collect_milestone(self, psa_id: str) -> Flow[None]:
        raise RuntimeError(f"cannot collect {psa_id}")
        yield


class _UnknownWorkspacePsa(PsaAdapter):
    def milestone(self, milestone_id: str) -> Flow[dict[str, Any]]:
        return {"workspace_id": "ws-nowhere", "billable_on": date(2026, 1, 5)}
        yield


NO_FEED = {"feed_minutes": "0"}  # the PSA's feed is not polled on a schedule: nothing spawned


def _milestone_billable(core: ReferenceCore, psa_id: str) -> None:
    """The milestone's acceptance, as the feed poller hands it to the intake."""
    core.intake.accept(f"psa:evt-{psa_id}", "milestone", (psa_id,))


def _exceptions(core: ReferenceCore) -> list[dict[str, Any]]:
    response = core.handle(httpx.Request("GET", "http://core/exceptions"))
    exceptions: list[dict[str, Any]] = response.json()["exceptions"]
    return exceptions


def test_the_reference_composition_wires_one_context_and_the_parts_each_part_calls() -> None:
    core = ReferenceCore(StillRuntime(), "t1", holds=_LaxHolds)
    parts = (core.contracting, core.change_orders, core.collection, core.holds, core.cash,
             core.billing, core.intake, core.reconciliation)  # fmt: skip
    assert all(part.ctx is core.ctx for part in parts)
    assert isinstance(core.holds, _LaxHolds) and core.billing.holds is core.holds
    assert core.billing.cash is core.cash and core.change_orders.contracting is core.contracting
    assert core.reconciliation.intake is core.intake
    assert core.reconciliation.collection is core.collection
    assert core.intake.flows["milestone"] == core.collection.collect_milestone
    assert core.intake.flows["billing_run"] == core.billing.billing_run


def test_a_replaced_part_failing_ends_in_the_dead_letter_and_exception_queues() -> None:
    runtime = StillRuntime()
    core = ReferenceCore(runtime, "t1", NO_FEED, collection=_BrokenCollection)
    _milestone_billable(core, "m-7")
    _milestone_billable(core, "m-7")  # a duplicate: no flow
    [(name, flow)] = runtime.spawned
    assert name == "milestone psa:evt-m-7"
    run_flow(flow)
    [exception] = _exceptions(core)
    assert (exception["reason"], exception["item"], exception["status"]) == (
        "flow_failed", "milestone psa:evt-m-7", "open")  # fmt: skip
    assert "RuntimeError: cannot collect m-7" in exception["detail"]
    assert core.status()["resilience"]["dead_letters"] == 1
    assert ("core.dead_letter", {"event": "psa:evt-m-7", "work": "milestone"}) in runtime.records


def test_an_adapter_swapped_in_the_context_is_the_one_the_parts_call() -> None:
    runtime = StillRuntime()
    core = ReferenceCore(runtime, "t1", NO_FEED)
    core.ctx.psa = _UnknownWorkspacePsa(core.ctx.rt, "t1")
    _milestone_billable(core, "m-8")
    run_flow(runtime.spawned[0][1])
    [exception] = _exceptions(core)
    assert (exception["reason"], exception["item"]) == (
        "unknown_project", "psa:billing_milestone:m-8")  # fmt: skip
    assert core.status()["resilience"]["dead_letters"] == 0


def test_webhook_events_name_the_work_and_a_vendor_without_receiver_gets_404() -> None:
    crm = {"Notification": [{"Id": "n1", "sObject": {"Id": "006A"}}]}
    assert webhook_events("crm", crm) == [("crm:n1", "deal", ("006A",))]
    assert webhook_events("nobody", {}) is None
    core = ReferenceCore(StillRuntime(), "t1")
    response = core.handle(httpx.Request("POST", "http://core/webhooks/nobody", content=b"{}"))
    assert response.status_code == 404
