"""The core bills a Kantata milestone when Kantata says it is billable: its task completed
(Kantata has no client acceptance). It creates the task and a milestone billed upon its
completion, collects nothing while the task is open, asks Kantata by id about the milestones it
waits on, and bills the milestone on the day its task was completed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from mocks import PsaMock
from orchestrator.model import Milestone
from orchestrator.money import Money
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import run_flow
from tests.support.contracts import Contract
from tests.support.runtimes import MockRuntime

TENANT = "t1"
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # after the milestone is due


@dataclass
class _Terms:
    milestones: list[Milestone] = field(default_factory=list)


@dataclass
class _Engagement:
    """What collecting a milestone reads of the core's engagement: the contract's milestones."""

    contract: _Terms


def _core() -> tuple[ReferenceCore, MockRuntime, PsaMock, str, str]:
    """A core, its PSA calls answered by an in-process Kantata mock (each answer held against
    the PSA spec; the mock's clock is the runtime's), a Kantata workspace it delivers, and a
    milestone of its contract in Kantata."""
    psa = PsaMock(lambda: runtime.now())
    runtime = MockRuntime("psa", Contract("psa").client(psa.app, TENANT), start=MONDAY_9AM)
    # no feed poller: these tests drive the milestone reads themselves (its own: test_feed.py)
    core = ReferenceCore(runtime, TENANT, {"retries": "false", "feed_minutes": "0"})
    made = runtime.http.post("/api/v1/workspaces", json={"workspace": {
        "title": "Acme", "currency": "EUR"}}).json()  # fmt: skip
    workspace = made["results"][0]["id"]
    fee = Money(amount=Decimal("5000.00"), currency="EUR")
    milestone = Milestone(id="M1", title="Go-live", amount=fee, due=date(2026, 2, 27))
    core.state.by_workspace[workspace] = _Engagement(_Terms([milestone]))  # type: ignore[assignment]
    psa_id = run_flow(core.ctx.psa.add_milestone(workspace, milestone))
    core.state.milestones_waited[psa_id] = None
    return core, runtime, psa, workspace, psa_id


def test_the_core_makes_a_task_and_a_milestone_billed_upon_its_completion() -> None:
    core, runtime, _, workspace, psa_id = _core()
    body = runtime.http.get(f"/api/v1/billing_milestones/{psa_id}", params={"include": "story"})
    record = body.json()["billing_milestones"][psa_id]
    task = body.json()["stories"][record["story_id"]]
    assert (record["billing_type"], record["amount_in_cents"]) == ("upon_completion", 500000)
    assert (task["story_type"], task["state"], task["due_date"]) == (
        "milestone", "not started", "2026-02-27",
    )  # fmt: skip
    mine = run_flow(core.ctx.psa.milestones_in_psa(workspace))
    assert mine == {"M1": psa_id}  # looked up before a second write


def test_an_open_task_bills_nothing_a_completed_one_bills_on_its_day() -> None:
    core, runtime, psa, _, psa_id = _core()
    key = f"psa:billing_milestone:{psa_id}"
    run_flow(core.collection.collect_milestone(psa_id))
    assert not core.state.ledger.knows(key)
    assert run_flow(core.ctx.psa.billable_milestones([psa_id])) == []
    assert core.collection.milestones_waited() == [psa_id]

    story = psa.tables.get(TENANT, "billing_milestones", psa_id)["story_id"]
    psa.complete_story(TENANT, story)  # the PM, once the client accepted
    assert run_flow(core.ctx.psa.billable_milestones([psa_id])) == [psa_id]
    run_flow(core.collection.collect_milestone(psa_id))
    item = core.state.ledger.pending[key]
    assert (item.kind, item.due_by) == ("billing_milestone", runtime.now().date())
    assert core.collection.milestones_waited() == []


def test_the_daily_poll_asks_kantata_about_the_waited_milestones_by_id() -> None:
    """A lost notification is found by asking Kantata about the few milestones waited on (one
    call with ``only``), never by listing every milestone of the account."""
    core, runtime, psa, _, psa_id = _core()
    story = psa.tables.get(TENANT, "billing_milestones", psa_id)["story_id"]
    psa.complete_story(TENANT, story)
    before = len(runtime.sent)
    run_flow(core.reconciliation.reconcile_psa())
    milestone_reads = [
        (method, path, params)
        for _, method, path, _, _, params in runtime.sent[before:]
        if path.endswith("/billing_milestones")
    ]
    assert milestone_reads == [("GET", "/api/v1/billing_milestones",
                                {"only": psa_id, "include": "story", "page": "1",
                                 "per_page": "200"})]  # fmt: skip
    assert [e.work for e in core.state.inbox.dead_letters()] == []
    assert core.state.inbox.get(f"reconcile:milestone:{psa_id}") is not None
