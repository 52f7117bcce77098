"""Approved submissions and expense reports read ahead together (Kantata's ``only``, a page of
200 a call) are handed to their collection without a call, exactly as their own reads would
have returned them; what was not read ahead is read as before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from mocks import PsaMock
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.runtime import run_flow
from tests.support.contracts import Contract
from tests.support.runtimes import MockRuntime

TENANT = "t1"


def _account() -> tuple[PsaAdapter, MockRuntime, PsaMock, str, list[str]]:
    """A Kantata account (held against the PSA spec) with a workspace and two users, and
    the adapter that reads it."""
    psa = PsaMock(lambda: runtime.now())
    runtime = MockRuntime(
        "psa", Contract("psa").client(psa.app, TENANT), start=datetime(2026, 3, 2, tzinfo=UTC)
    )
    made = runtime.http.post("/api/v1/workspaces", json={"workspace": {
        "title": "Acme", "currency": "EUR"}}).json()  # fmt: skip
    workspace = made["results"][0]["id"]
    role = psa.add_role(TENANT, "developer (NL)")
    users = [
        psa.add_user(TENANT, "Ann", "ann@example.com", role, "NL"),
        psa.add_user(TENANT, "Bob", "bob@example.com", role, "DE", subcontractor_vendor="X"),
    ]
    return PsaAdapter(runtime, TENANT), runtime, psa, workspace, users


def _approved_week(psa: PsaMock, workspace: str, user: str, days: list[int]) -> str:
    entries = [
        psa.log_time(TENANT, user, workspace, date(2026, 2, d), 60 * d, f"day {d}") for d in days
    ]
    submission = psa.submit_timesheet(TENANT, user, list(reversed(entries)))
    psa.resolve_timesheet(TENANT, submission, approve=True)
    return submission


def _records(runtime: MockRuntime, kind: str, ids: list[str]) -> list[dict[str, Any]]:
    query = {"only": ",".join(ids), "per_page": "200"}
    body = runtime.http.get(f"/api/v1/{kind}", params=query).json()
    return [body[kind][i] for i in ids]


def test_read_ahead_hands_out_what_the_submission_read_would_without_a_call() -> None:
    adapter, runtime, psa, workspace, users = _account()
    ann = _approved_week(psa, workspace, users[0], [2, 3, 4])
    bob = _approved_week(psa, workspace, users[1], [5, 6])
    pending = psa.submit_timesheet(
        TENANT, users[0], [psa.log_time(TENANT, users[0], workspace, date(2026, 2, 9), 30, "x")]
    )
    own_read = run_flow(adapter.submitted_time(ann))  # two calls, as without reading ahead
    calls = len(runtime.sent)

    records = _records(runtime, "timesheet_submissions", [ann, bob, pending])
    assert run_flow(adapter.read_ahead(records)) == 2  # the pending one is not read ahead
    assert len(runtime.sent) == calls + 1  # five entries of two submissions: one call
    _, method, path, _, _, params = runtime.sent[-1]
    assert (method, path, params["per_page"]) == ("GET", "/api/v1/time_entries", "200")
    assert params["only"].count(",") == 4

    ahead = run_flow(adapter.submitted_time(ann))
    assert ahead == own_read  # the same entries, in the submission's order, the same resources
    assert [e.work_date.day for e, _ in ahead] == [4, 3, 2]
    bobs = run_flow(adapter.submitted_time(bob))
    assert [r.subcontractor_vendor for _, r in bobs] == ["External", "External"]
    assert len(runtime.sent) == calls + 1  # handed out without a call
    run_flow(adapter.submitted_time(ann))  # handed out once: read again afterwards
    assert len(runtime.sent) == calls + 3


def test_a_big_batch_is_read_a_full_page_a_call() -> None:
    adapter, runtime, psa, workspace, users = _account()
    submissions = [
        _approved_week(psa, workspace, users[k % 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        for k in range(25)
    ]  # 250 entries
    before = len(runtime.sent)
    records = _records(runtime, "timesheet_submissions", submissions)
    assert run_flow(adapter.read_ahead(records)) == 25
    assert len(runtime.sent) == before + 2  # 200 entries, then 50
    assert all(len(run_flow(adapter.submitted_time(s))) == 10 for s in submissions)
    assert len(runtime.sent) == before + 2


def test_expense_reports_are_read_ahead_too() -> None:
    adapter, runtime, psa, workspace, users = _account()
    expenses = [
        psa.log_expense(
            TENANT,
            users[0],
            workspace,
            date(2026, 2, d),
            "travel",
            1000 * d,
            "EUR",
            "train",
            receipt=d % 2 == 0,
        )
        for d in (2, 3)
    ]
    report = psa.submit_expense_report(TENANT, users[0], expenses)
    psa.resolve_expense_report(TENANT, report, approve=True)
    own_read = run_flow(adapter.reported_expenses(report))
    calls = len(runtime.sent)
    records = _records(runtime, "expense_reports", [report])
    assert run_flow(adapter.read_ahead_expenses(records)) == 1
    assert run_flow(adapter.reported_expenses(report)) == own_read
    assert len(runtime.sent) == calls + 1  # its expenses: one call, none to collect them


def test_submissions_known_by_id_are_read_with_their_entries() -> None:
    """The reconciliation's: submission ids only, their records and entries two calls."""
    adapter, runtime, psa, workspace, users = _account()
    ann = _approved_week(psa, workspace, users[0], [2, 3])
    bob = _approved_week(psa, workspace, users[1], [4])
    own_read = run_flow(adapter.submitted_time(bob))
    calls = len(runtime.sent)
    assert run_flow(adapter.read_ahead_submissions([ann, bob])) == 2
    # the records, then their entries (in the order they were submitted)
    assert [p["only"] for *_, p in runtime.sent[calls:]] == [f"{ann},{bob}", "2,1,3"]
    assert run_flow(adapter.submitted_time(bob)) == own_read
    assert len(run_flow(adapter.submitted_time(ann))) == 2
    assert len(runtime.sent) == calls + 2
