"""The daily reconciliation costs the day's changes: contracts are read with the CLM's
``lastUpdated`` filter and payments from Stripe's event log, each from the moment the last read
started (less a margin), and what a run leaves open is looked at again until it is closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, run_flow
from tests.support.runtimes import HeldRuntime

MARGIN = timedelta(minutes=10)


_Clock = HeldRuntime


class _Crm:
    def won_deals(self) -> Flow[list[str]]:
        return []
        yield


class _Psa:
    def count(self, kind: str, params: Any) -> Flow[int]:
        return 0
        yield


class _Clm:
    """Records in the order of their last change; each read noted (None: the full list)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.reads: list[datetime | None] = []
        self.repeat_last = False  # the last record listed twice (it moved during the read)

    def records(self) -> Flow[list[dict[str, Any]]]:
        self.reads.append(None)
        return self._answer(self.rows)
        yield

    def records_updated_since(self, since: datetime) -> Flow[list[dict[str, Any]]]:
        self.reads.append(since)
        return self._answer([r for r in self.rows if r["at"] >= since])
        yield

    def _answer(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows + rows[-1:] if self.repeat_last else list(rows)


class _Payments:
    def __init__(self) -> None:
        self.intents_listed = 0
        self.windows: list[tuple[int, int]] = []
        self.events: list[dict[str, Any]] = []

    def intents(self) -> Flow[list[dict[str, Any]]]:
        self.intents_listed += 1
        return []
        yield

    def events_between(self, after: int, upto: int) -> Flow[list[dict[str, Any]]]:
        self.windows.append((after, upto))
        return [e for e in self.events if after < e["created"] <= upto]
        yield


def _core() -> tuple[ReferenceCore, _Clock, _Clm, _Payments]:
    runtime = _Clock()
    core = ReferenceCore(runtime, "t1", {"retries": "false"})
    clm, payments = _Clm(), _Payments()
    ctx: Any = core.ctx  # the parts read their adapters from the context at each call
    ctx.crm, ctx.psa, ctx.clm, ctx.payments = _Crm(), _Psa(), clm, payments
    return core, runtime, clm, payments


def _reconciled(runtime: _Clock) -> list[str]:
    found = [str(f["event"]) for kind, f in runtime.records if kind == "core.reconciled"]
    runtime.records.clear()
    return found


def test_contracts_are_read_from_the_last_read_on_and_open_records_checked_again() -> None:
    core, runtime, clm, _ = _core()
    first = runtime.at
    clm.rows = [{"id": "r1", "versions": [{}], "breaches": [], "at": first}]
    run_flow(core.reconciliation.reconcile())
    assert clm.reads == [None]  # the first run reads every record once
    assert _reconciled(runtime) == ["reconcile:record:r1:1"]
    runtime.at = first + timedelta(days=1)
    core.state.inbox.get("reconcile:record:r1:1").status = "done"  # type: ignore[union-attr]
    run_flow(core.reconciliation.reconcile())
    assert clm.reads[1] == first - MARGIN  # only what changed since the last read began
    assert _reconciled(runtime) == ["reconcile:record:r1:1#2"]  # not listed, still open


def test_a_record_listed_twice_keeps_the_watermark_where_it_was() -> None:
    core, runtime, clm, _ = _core()
    clm.rows = [{"id": "r1", "versions": [], "breaches": [], "at": runtime.at}]
    clm.repeat_last = True  # it changed while the pages were read: one may have slipped by
    run_flow(core.reconciliation.reconcile())
    runtime.at += timedelta(days=1)
    run_flow(core.reconciliation.reconcile())
    assert clm.reads == [None, None]  # the same (first, full) window again
    clm.repeat_last = False
    run_flow(core.reconciliation.reconcile())
    runtime.at += timedelta(days=1)
    run_flow(core.reconciliation.reconcile())
    assert clm.reads[2:] == [None, runtime.at - timedelta(days=1) - MARGIN]


def test_payments_are_read_from_the_event_log_after_one_full_listing() -> None:
    core, runtime, _, payments = _core()
    run_flow(core.reconciliation.reconcile())
    assert payments.intents_listed == 1
    upto = int((runtime.at - MARGIN).timestamp())
    intent = {"id": "pi_1", "amount_received": 500, "metadata": {"invoice_id": "inv-1"}}
    payments.events = [{"type": "payment_intent.succeeded", "created": upto + 60,
                        "data": {"object": intent}}]  # fmt: skip
    runtime.at += timedelta(days=1)
    run_flow(core.reconciliation.reconcile())
    assert payments.intents_listed == 1
    assert payments.windows == [(upto, int((runtime.at - MARGIN).timestamp()))]
    assert _reconciled(runtime) == []  # money for an invoice the core does not know (yet)
    runtime.at += timedelta(days=1)
    payments.events = []
    run_flow(core.reconciliation.reconcile())  # the intent stays open, looked at again
    assert core.reconciliation._open_intents == {"pi_1": intent}
    core.state.cash_applied["pi_1"] = 500
    run_flow(core.reconciliation.reconcile())
    assert core.reconciliation._open_intents == {}  # applied: forgotten
    runtime.at += timedelta(days=31)  # Stripe keeps events 30 days: every intent again
    run_flow(core.reconciliation.reconcile())
    assert payments.intents_listed == 2 and len(payments.windows) == 3


class _Timesheets(_Psa):
    """Approved submissions 1..``approved`` (no time on them); other PSA listings empty."""

    page_size = 200

    def __init__(self, approved: int) -> None:
        self.approved = approved
        self.ahead: list[list[str]] = []  # the submissions of each read ahead

    def read_ahead_submissions(self, submission_ids: list[str]) -> Flow[int]:
        self.ahead.append(list(submission_ids))
        return 0
        yield

    def count(self, kind: str, params: Any) -> Flow[int]:
        return self.approved if kind == "timesheet_submissions" else 0
        yield

    def page_of_ids(self, kind: str, params: Any, number: int) -> Flow[tuple[list[str], int]]:
        assert kind == "timesheet_submissions" and number == 1
        return [str(i) for i in range(1, self.approved + 1)], self.approved
        yield

    def submitted_time(self, submission_id: str) -> Flow[list[Any]]:
        return []
        yield


def test_a_restarted_core_collecting_before_it_counts_still_finds_a_dropped_webhook(
    tmp_path: Path,
) -> None:
    """The 300-consultant firm-year (seed 1) leaked a submission this way: after the crash,
    the new core collected one submission before anything asked its count, counted it twice
    (once from the store, once as added), and the next dropped webhook hid behind that one
    for good (the PSA's count equalled the core's)."""
    store = str(tmp_path / "core.db")
    first = ReferenceCore(_Clock(), "t1", {"retries": "false", "store": store})
    first.ctx.psa = _Timesheets(approved=2)  # type: ignore[assignment]
    for submission in ("1", "2"):
        run_flow(first.collection.collect_time(submission))
    first.store.flush()
    first.store.close()  # crashed; restarted on the same store
    runtime = _Clock()
    core = ReferenceCore(runtime, "t1", {"retries": "false", "store": store})
    psa = _Timesheets(approved=4)  # 3 came by webhook; 4's webhook was dropped
    ctx: Any = core.ctx
    ctx.crm, ctx.psa, ctx.clm, ctx.payments = _Crm(), psa, _Clm(), _Payments()
    run_flow(core.collection.collect_time("3"))  # before the first reconciliation
    assert core.collection.collected_count("timesheet") == 3
    run_flow(core.reconciliation.reconcile())
    assert _reconciled(runtime) == ["reconcile:timesheet:4"]
    assert psa.ahead == [["4"]]  # what is re-driven is read ahead, in one read
