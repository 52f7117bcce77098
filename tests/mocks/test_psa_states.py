"""Kantata's time entries and expenses through their states (active, locked, invoiced), what
rejections unlock, what may be invoiced once, pagination, and the events approvals fire."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.mock_worlds import (
    PSA,
    PsaWorld,
    _kantata,
)

# -- PSA state machine ---------------------------------------------------------------------


def _state(record: dict[str, object]) -> str:
    """Where a time entry or expense is, from Kantata's fields: free to edit ("ACTIVE"), on an
    active submission or report ("LOCKED"), or invoiced ("INVOICED")."""
    if record["is_invoiced"]:
        return "INVOICED"
    return "LOCKED" if record["active_submission_id"] is not None else "ACTIVE"


def test_time_entry_moves_active_locked_invoiced() -> None:
    """An entry is ACTIVE when logged, LOCKED when submitted, INVOICED once on an invoice."""
    world = PsaWorld()
    entry = world.entries[0]
    assert _state(world.entry(entry)) == "ACTIVE"
    submission = world.psa.submit_timesheet("default", world.user, [entry])
    assert (_state(world.entry(entry)), world.entry(entry)["approved"]) == ("LOCKED", False)
    world.psa.resolve_timesheet("default", submission, approve=True)
    assert (_state(world.entry(entry)), world.entry(entry)["approved"]) == ("LOCKED", True)
    invoice = world.invoice([entry])
    assert invoice.status_code == 201
    invoice_id = invoice.json()["results"][0]["id"]
    assert (_state(world.entry(entry)), world.entry(entry)["invoice_id"]) == (
        "INVOICED",
        invoice_id,
    )


def test_invoicing_an_unapproved_entry_is_422_and_changes_nothing() -> None:
    """Unapproved entries (ACTIVE or merely submitted) cannot be invoiced; nothing is invoiced."""
    world = PsaWorld()
    approved, submitted, active = world.entries
    world.approve([approved])
    world.psa.submit_timesheet("default", world.user, [submitted])
    body = _kantata(world.invoice([approved, submitted, active]), 422)
    assert body["errors"] == [
        {"field": "invoice.time_entry_ids[1]", "message": "not approved"},
        {"field": "invoice.time_entry_ids[2]", "message": "not approved"},
    ]
    assert _state(world.entry(approved)) == "LOCKED"
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 0


def test_invoicing_an_invoiced_entry_again_is_422() -> None:
    """An INVOICED entry cannot go on a second invoice."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    assert world.invoice(world.entries[:1]).status_code == 201
    fields = _kantata(world.invoice(world.entries[:1]), 422)["errors"]
    assert fields == [
        {
            "field": "invoice.time_entry_ids[0]",
            "message": "already invoiced",
        }
    ]


def test_listing_an_entry_twice_on_one_invoice_is_422() -> None:
    """The same entry twice on one invoice would bill it twice: refused."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    twice = [world.entries[0], world.entries[0]]
    assert _kantata(world.invoice(twice), 422)["errors"] == [
        {"field": "invoice.time_entry_ids[1]", "message": "listed twice"}
    ]
    assert _state(world.entry(world.entries[0])) == "LOCKED"


def test_editing_a_locked_or_invoiced_entry_is_422() -> None:
    """Only ACTIVE entries can be corrected: LOCKED and INVOICED ones are Kantata's 422
    validation error (its specs declare no 409)."""
    world = PsaWorld()
    entry = world.entries[0]
    assert world.edit(entry, time_in_minutes=450).json()["time_entries"][entry][
        "time_in_minutes"
    ] == (450)
    world.approve([entry])
    _kantata(world.edit(entry, time_in_minutes=420), 422)
    world.invoice([entry])
    _kantata(world.edit(entry, billable=False), 422)
    assert world.entry(entry)["time_in_minutes"] == 450


def test_rejected_timesheet_unlocks_its_entries() -> None:
    """A rejected submission returns its entries to ACTIVE, editable and unapproved."""
    world = PsaWorld()
    entry = world.entries[0]
    submission = world.psa.submit_timesheet("default", world.user, [entry])
    world.psa.resolve_timesheet("default", submission, approve=False, comment="wrong project")
    assert _state(world.entry(entry)) == "ACTIVE"
    assert world.edit(entry, notes="moved").status_code == 200
    assert world.feed() == [  # a rejection is an update too (no webhook: Kantata sends none)
        ("timesheet_submission:created", submission),
        ("timesheet_submission:updated", submission),
    ]


def test_submitting_a_non_active_entry_is_refused() -> None:
    """Submitting an already LOCKED entry raises and creates no submission."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    with pytest.raises(ValueError, match="already submitted or invoiced"):
        world.psa.submit_timesheet("default", world.user, world.entries[:2])
    assert world.http.get(f"{PSA}/timesheet_submissions").json()["count"] == 1
    assert _state(world.entry(world.entries[1])) == "ACTIVE"


def test_psa_pagination_limits_and_page_count() -> None:
    """per_page is capped at 200 and meta.page_count covers every entry exactly once."""
    world = PsaWorld()
    for day in range(1, 29):
        for _ in range(15):
            world.psa.log_time("default", world.user, world.ws, date(2024, 2, day), 30, "x")
    seen: list[str] = []
    page, count = 1, 1
    while page <= count:
        body = world.http.get(f"{PSA}/time_entries", params={"per_page": 200, "page": page}).json()
        count = body["meta"]["page_count"]
        assert len(body["results"]) <= 200
        seen += [r["id"] for r in body["results"]]
        page += 1
    assert count == 3
    assert len(seen) == len(set(seen)) == 3 + 28 * 15


# -- PSA change feed ------------------------------------------------------------------------


def test_psa_feeds_one_event_per_submission_change() -> None:
    """Submitting and approving a timesheet each put one Subscribed Event on the feed, per
    submission, not per entry (milestones' tasks: tests/mocks/test_psa_milestones.py)."""
    world = PsaWorld()
    submission = world.approve(world.entries[:2])
    assert world.feed()[-2:] == [
        ("timesheet_submission:created", submission),
        ("timesheet_submission:updated", submission),
    ]


# -- PSA expenses ----------------------------------------------------------------------------


def test_expense_on_a_pending_report_is_locked_and_cannot_be_submitted_again() -> None:
    """An expense on a pending report is LOCKED, unapproved, and refused on a second report."""
    world = PsaWorld()
    on_report, free = world.spend(), world.spend(4_200, "GBP")
    assert _state(world.expense(on_report)) == "ACTIVE"
    report = world.psa.submit_expense_report("default", world.user, [on_report])
    locked = world.expense(on_report)
    assert (_state(locked), locked["active_submission_id"]) == ("LOCKED", report)
    assert not world.psa.approved("default", "expenses", locked)
    with pytest.raises(ValueError, match="already reported or invoiced"):
        world.psa.submit_expense_report("default", world.user, [free, on_report])
    assert world.http.get(f"{PSA}/expense_reports").json()["count"] == 1
    assert _state(world.expense(free)) == "ACTIVE"
    assert world.expense(on_report)["active_submission_id"] == report


def test_an_expense_listed_twice_on_one_report_is_refused() -> None:
    """A report cannot list the same expense twice (it would be listed, and billed, twice)."""
    world = PsaWorld()
    expense = world.spend()
    with pytest.raises(ValueError, match="same expense twice"):
        world.psa.submit_expense_report("default", world.user, [expense, expense])
    assert world.http.get(f"{PSA}/expense_reports").json()["count"] == 0
    assert _state(world.expense(expense)) == "ACTIVE"


def test_rejected_expense_report_returns_its_expenses_to_active() -> None:
    """A rejected report frees its expenses (ACTIVE, unapproved, on no report) and fires nothing."""
    world = PsaWorld()
    expense = world.spend()
    report = world.psa.submit_expense_report("default", world.user, [expense])
    world.psa.resolve_expense_report("default", report, approve=False)
    freed = world.expense(expense)
    assert (_state(freed), freed["active_submission_id"]) == ("ACTIVE", None)
    assert not world.psa.approved("default", "expenses", freed)
    read = world.http.get(f"{PSA}/expense_reports/{report}").json()["expense_reports"][report]
    assert read["status"] == "rejected" and read["resolved_at"] is not None
    on_report = world.http.get(f"{PSA}/expenses", params={"with_expense_report_id": report}).json()
    assert on_report["count"] == 0
    assert world.feed() == [
        ("expense_report:created", report),
        ("expense_report:updated", report),
        ("expense:updated", expense),
    ]
    assert world.psa.submit_expense_report("default", world.user, [expense]) != report


def test_invoicing_an_unapproved_expense_is_422_naming_it() -> None:
    """An expense on a pending report cannot be invoiced: 422 names it and nothing is invoiced."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    pending = world.spend()
    world.psa.submit_expense_report("default", world.user, [pending])
    body = _kantata(world.invoice(world.entries[:1], expenses=[pending]), 422)
    assert body["errors"] == [{"field": "invoice.expense_ids[0]", "message": "not approved"}]
    assert _state(world.expense(pending)) == "LOCKED"
    assert _state(world.entry(world.entries[0])) == "LOCKED"
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 0


def test_invoicing_an_invoiced_expense_again_is_422() -> None:
    """An INVOICED expense cannot go on a second invoice."""
    world = PsaWorld()
    expense = world.spend(18_500, "JPY")
    world.approve_expenses([expense])
    first = world.invoice([], expenses=[expense])
    assert first.status_code == 201
    first_id = first.json()["results"][0]["id"]
    invoiced = world.expense(expense)
    assert _state(invoiced) == "INVOICED" and first_id
    assert _kantata(world.invoice([], expenses=[expense]), 422)["errors"] == [
        {"field": "invoice.expense_ids[0]", "message": "already invoiced"}
    ]
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 1


def test_listing_an_expense_twice_on_one_invoice_is_422() -> None:
    """The same expense twice on one invoice would bill it twice: refused, nothing invoiced."""
    world = PsaWorld()
    expense = world.spend()
    world.approve_expenses([expense])
    assert _kantata(world.invoice([], expenses=[expense, expense]), 422)["errors"] == [
        {"field": "invoice.expense_ids[1]", "message": "listed twice"}
    ]
    assert _state(world.expense(expense)) == "LOCKED"


def test_approving_an_expense_report_records_its_events_once() -> None:
    """Approving a report is one expense_report:updated plus an expense:updated per expense
    (Kantata's own example); invoicing records nothing more."""
    world = PsaWorld()
    expenses = [world.spend(), world.spend(4_200, "GBP")]
    report = world.approve_expenses(expenses)
    updated = [("expense_report:updated", report), *(("expense:updated", e) for e in expenses)]
    assert world.feed() == [("expense_report:created", report), *updated]
    assert all(world.psa.approved("default", "expenses", world.expense(e)) for e in expenses)
    with pytest.raises(ValueError, match="already approved"):
        world.psa.resolve_expense_report("default", report, approve=True)
    world.invoice([], expenses=expenses)
    assert len(world.feed()) == 1 + len(updated)
