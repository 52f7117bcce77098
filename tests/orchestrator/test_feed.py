"""The reference core learns of approvals by polling Kantata's Subscribed Events: from its
watermark less an overlap, each change handed to the intake once whatever the copies, late
events found by the overlap, and a full read of the records when the feed may have forgotten
(a watermark older than its 9 days, or a restarted core)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator._feed import DEFAULT_OVERLAP, RETENTION
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, run_flow
from tests.support.runtimes import HeldRuntime, StillRuntime


class _Clock(HeldRuntime):
    def sleep(self, seconds: float) -> Flow[None]:
        yield ("sleep", seconds)  # the test steps the poller's loop by hand


class _Feed:
    """A PSA whose feed holds ``events`` (each readable from its ``seen_from``), whose
    submissions have the statuses in ``status``, and which counts ``approved`` submissions."""

    page_size = 200

    def __init__(self, runtime: _Clock) -> None:
        self.runtime = runtime
        self.events: list[dict[str, Any]] = []
        self.status: dict[str, str] = {}
        self.stories: dict[str, str] = {}
        self.reads: list[datetime] = []
        self.counts = 0
        self.fail = False
        self.fail_ahead = False
        self.ahead: list[list[str]] = []  # the submissions of each read ahead

    def add(self, event_id: str, subject: str, changed: datetime, late: float = 0.0) -> None:
        self.events.append({
            "id": event_id, "event_type": "timesheet_submission:updated",
            "subject_id": int(subject), "subject_changed_at": changed.isoformat(),
            "created_at": changed.isoformat(), "seen_from": changed + timedelta(seconds=late),
            "subject_ref": {"key": "timesheet_submissions", "id": subject},
        })  # fmt: skip

    def subscribed_events(
        self, after: datetime, types: tuple[str, ...]
    ) -> Flow[tuple[list[dict[str, Any]], dict[str, Any]]]:
        if self.fail:
            raise RuntimeError("503 Service Unavailable")
        self.reads.append(after)
        now = self.runtime.now()
        rows = [e for e in self.events if e["seen_from"] <= now
                and datetime.fromisoformat(e["created_at"]) > after]  # fmt: skip
        subjects = {s: {"id": s, "status": v} for s, v in self.status.items()}
        stories = {s: {"id": s, "status": v} for s, v in self.stories.items()}
        return rows, {"timesheet_submissions": subjects, "stories": stories}
        yield

    def _approved(self) -> list[str]:
        return [s for s, status in self.status.items() if status == "approved"]

    def count(self, kind: str, params: Any) -> Flow[int]:
        self.counts += 1
        return len(self._approved()) if kind == "timesheet_submissions" else 0
        yield

    def page_of_ids(self, kind: str, params: Any, number: int) -> Flow[tuple[list[str], int]]:
        return self._approved(), len(self._approved())
        yield

    def read_ahead(self, submissions: list[dict[str, Any]]) -> Flow[int]:
        if self.fail_ahead:
            raise RuntimeError("429 Too Many Requests")
        self.ahead.append([str(s["id"]) for s in submissions])
        return len(submissions)
        yield

    def read_ahead_expenses(self, reports: list[dict[str, Any]]) -> Flow[int]:
        return len(reports)
        yield


def _core(store: str | None = None) -> tuple[ReferenceCore, _Clock, _Feed]:
    runtime = _Clock()
    options = {"retries": "false", **({"store": store} if store else {})}
    core = ReferenceCore(runtime, "t1", options)
    feed = _Feed(runtime)
    ctx: Any = core.ctx
    ctx.psa = feed
    core.feed.concerned = lambda: True  # as if the core had a project in the PSA
    return core, runtime, feed


def _accepted(core: ReferenceCore) -> list[str]:
    return [e.id for e in core.state.inbox.unfinished()]


def test_the_poller_is_scheduled_on_the_runtime() -> None:
    core, runtime, _ = _core()
    assert [name for name, _ in runtime.spawned] == ["psa feed"]
    assert core.feed.every == timedelta(minutes=60) and core.feed.overlap == DEFAULT_OVERLAP


def test_duplicates_and_overlap_rereads_become_one_piece_of_work() -> None:
    """Two copies of one approval (their own ids), read again by the next poll's overlap: one
    inbox envelope, one flow. A rejected submission's update is no work at all."""
    core, runtime, feed = _core()
    start = runtime.at
    feed.status = {"7": "approved", "8": "rejected"}
    feed.add("1", "7", start - timedelta(minutes=5))
    feed.add("2", "7", start - timedelta(minutes=5))  # the duplicate
    feed.add("3", "8", start - timedelta(minutes=4))
    assert run_flow(core.feed.poll()) == 1
    runtime.at += timedelta(minutes=10)
    assert run_flow(core.feed.poll()) == 0  # all three read again (overlap): nothing new
    assert feed.reads[1] == start - DEFAULT_OVERLAP
    changed = feed.events[0]["subject_changed_at"]
    assert _accepted(core) == [f"psa:timesheet_submission:updated:7:{changed}"]


def test_a_late_event_within_the_overlap_is_found_and_a_later_one_by_the_full_read() -> None:
    core, runtime, feed = _core()
    start = runtime.at
    feed.status = {"7": "approved", "9": "approved"}
    run_flow(core.feed.poll())  # watermark: start
    feed.add("1", "7", start - timedelta(minutes=1), late=20 * 60)  # appears 19 min late
    feed.add("2", "9", start - timedelta(minutes=1), late=5 * 3600)  # hours late
    runtime.at = start + timedelta(hours=1)
    assert run_flow(core.feed.poll()) == 1  # 7: stamped before the watermark, inside the overlap
    runtime.at = start + timedelta(hours=6)
    assert run_flow(core.feed.poll()) == 0  # 9 appeared after its stamp left every window
    core.state.collected["timesheet:7"] = None  # 7's flow collected it
    run_flow(core.reconciliation.reconcile_psa())  # the daily count finds what the feed lost
    found = [f["event"] for kind, f in runtime.records if kind == "core.reconciled"]
    assert found == ["reconcile:timesheet:9"]


def test_a_watermark_older_than_the_feed_keeps_falls_back_to_the_full_read() -> None:
    """A PSA outage longer than the 9 days Kantata keeps: the failed polls leave the watermark
    where it was; the first poll after it counts the records before reading the feed."""
    core, runtime, feed = _core()
    run_flow(core.feed.poll())
    assert (core.feed.full_reads, feed.counts) == (0, 0)  # a fresh core: the feed is enough
    feed.fail = True
    runtime.at += RETENTION + timedelta(hours=1)
    flow = core.feed.run()
    next(flow)  # the first sleep
    next(flow)  # the poll fails (an exception, the watermark stays) and the loop sleeps again
    assert any(e["reason"] == "feed_failed" for e in core.state.exceptions)
    feed.fail = False
    run_flow(core.feed.poll())
    assert core.feed.full_reads == 1 and feed.counts == 2  # submissions, reports; not again
    assert feed.reads[-1] == runtime.at - DEFAULT_OVERLAP  # on from where the full read began


def test_a_restarted_core_reads_the_records_once_its_watermark_is_lost(tmp_path: Path) -> None:
    store = str(tmp_path / "core.db")
    first, _, _ = _core(store)
    first.state.collected["timesheet:1"] = None
    first.store.flush()
    first.store.close()
    core, runtime, feed = _core(store)
    run_flow(core.feed.poll())
    assert core.feed.full_reads == 1 and feed.counts == 2  # no milestone waited on: none asked
    assert feed.reads == [runtime.at - DEFAULT_OVERLAP]


def _waits(core: ReferenceCore, runtime: _Clock, steps: int) -> list[float]:
    """The poller's first ``steps`` waits, in minutes, its clock moved by each."""
    flow = core.feed.run()
    waits = []
    for _ in range(steps):
        _, seconds = next(flow)
        waits.append(seconds / 60)
        runtime.at += timedelta(seconds=seconds)
    return waits


def test_quiet_reads_back_off_to_the_idle_wait_and_new_events_bring_the_hour_back() -> None:
    core, runtime, feed = _core()
    assert _waits(core, runtime, 6) == [60, 120, 240, 480, 480, 480]  # five quiet reads
    assert len(feed.reads) == 5
    feed.status = {"7": "approved"}
    feed.add("1", "7", runtime.at - timedelta(minutes=1))
    flow = core.feed.run()
    next(flow)
    assert next(flow) == ("sleep", 3600)  # the read found an approval: an hour again
    assert _accepted(core) and core.feed.last_new == 1


def test_no_read_before_the_core_has_a_project_in_the_psa() -> None:
    """Nothing on the feed concerns a core with no engagement: it waits an hour at a time
    without a call (the real check: the core's engagements, none in a fresh core)."""
    core, runtime, feed = _core()
    core.feed.concerned = ReferenceCore(StillRuntime(), "t2").feed.concerned  # no engagement
    assert _waits(core, runtime, 4) == [60, 60, 60, 60]
    assert feed.reads == []


def test_a_completed_task_asks_which_waited_milestones_are_billable() -> None:
    """Kantata's milestones do not change when their task is completed: the task's
    ``story:updated`` (its subject completed) is the work; an open task's update is none."""
    core, runtime, feed = _core()
    at = runtime.at - timedelta(minutes=2)
    for event_id, story in (("1", "31"), ("2", "32")):
        feed.events.append({
            "id": event_id, "event_type": "story:updated", "subject_id": int(story),
            "subject_changed_at": at.isoformat(), "created_at": at.isoformat(),
            "seen_from": at, "subject_ref": {"key": "stories", "id": story},
        })  # fmt: skip
    feed.stories = {"31": "completed", "32": "started"}
    assert run_flow(core.feed.poll()) == 1
    assert _accepted(core) == [f"psa:story:updated:31:{at.isoformat()}"]
    [(name, _)] = [s for s in runtime.spawned if s[0] != "psa feed"]
    assert name == f"milestones_due psa:story:updated:31:{at.isoformat()}"


def test_a_polls_approved_submissions_are_read_ahead_together_before_their_flows() -> None:
    """One read ahead for the poll's approvals (each once, the rejected one not), before the
    intake starts their flows; a failed read ahead still hands the work over."""
    core, runtime, feed = _core()
    start = runtime.at
    feed.status = {"7": "approved", "8": "rejected", "9": "approved"}
    feed.add("1", "7", start - timedelta(minutes=5))
    feed.add("2", "7", start - timedelta(minutes=5))  # a duplicate: read ahead once
    feed.add("3", "8", start - timedelta(minutes=4))
    feed.add("4", "9", start - timedelta(minutes=3))
    assert run_flow(core.feed.poll()) == 2
    assert feed.ahead == [["7", "9"]]
    assert len(_accepted(core)) == 2
    feed.fail_ahead = True
    feed.status["10"] = "approved"
    feed.add("5", "10", runtime.at)
    runtime.at += timedelta(minutes=10)
    assert run_flow(core.feed.poll()) == 1
    assert len(_accepted(core)) == 3 and feed.ahead == [["7", "9"]]
