"""How the reference core learns of approvals: it polls the PSA's change feed.

Kantata pushes no webhooks; its change feed is Subscribed Events (``GET /subscribed_events``,
developer.kantata.com/tag/Events, consulted 2026-12-07), a pull feed that keeps up to 9 days,
in which events "may take some time to appear", "may sometimes be duplicated" and are "not
guaranteed to appear in the exact order the changes were completed". So the poller reads it
every ``every`` (default 60 simulated minutes, option ``feed_minutes``) while reads bring new
events, and backs off after quiet ones, doubling its wait up to ``idle`` (default 8 hours,
option ``feed_idle_minutes``); it makes no call before the core has a project in the PSA
(nothing on the feed can concern it). Each read:

1. reads every event of the types it needs created after its watermark less ``overlap``
   (default 30 minutes, option ``feed_overlap_minutes``): an event stamped before the watermark
   that appeared after the last read is read now, as long as it was no later than the overlap;
2. skips the ids it has read already (the overlap reads them twice) and hands each approval
   (a submission or expense report whose side-loaded subject is approved, a task completed:
   its flow asks which of the milestones the core waits on are billable now) to the intake
   as inbox work keyed by subject and change moment, so that two copies of one change
   (duplicates with their own ids) are one piece of work; before it does, the approved
   submissions' time entries and reports' expenses are read ahead together (``only``, 200 a
   call: the side-loaded subjects name them), so their flows collect without a call;
3. moves the watermark to the moment the read began.

The subject is then read as before (``Collection``). What the feed never shows (an event lost,
or one later than the overlap) is found by the daily reconciliation, which counts the finished
records (``Reconciliation.reconcile_psa``). When the watermark is older than what the feed
keeps (a PSA outage of more than 9 days, or a restarted core: watermarks are not durable, like
the reconciliation's), the poller runs that full read itself first and moves its watermark to
the moment it began; a fresh core reads all 9 days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from orchestrator._intake import Intake
from orchestrator.context import CoreContext
from orchestrator.runtime import Flow

__all__ = [
    "DEFAULT_EVERY",
    "DEFAULT_IDLE",
    "DEFAULT_OVERLAP",
    "FEED_WORK",
    "RETENTION",
    "FeedPoller",
]

# Kantata event type -> (inbox work, the subject status that makes it work; None: the flow
# decides). A completed task (story) makes its ``upon_completion`` milestones invoiceable
# without changing them, so it is the task's event that says "ask which milestones are due".
FEED_WORK: dict[str, tuple[str, str | None]] = {
    "timesheet_submission:updated": ("timesheet", "approved"),
    "expense_report:updated": ("expenses", "approved"),
    "story:updated": ("milestones_due", "completed"),
}
RETENTION = timedelta(days=9)  # "Up to 9 days" (developer.kantata.com/tag/Events)
DEFAULT_EVERY = timedelta(minutes=60)  # approvals are billed monthly: an hour is soon enough
DEFAULT_OVERLAP = timedelta(minutes=30)  # Kantata: events appear "within a few minutes"
DEFAULT_IDLE = timedelta(hours=8)  # the longest wait after quiet reads: three reads a quiet day


class FeedPoller:
    """Polls Subscribed Events into the intake; ``full_read`` is the reconciliation's count
    and catch-up of the PSA's finished records."""

    def __init__(
        self,
        ctx: CoreContext,
        intake: Intake,
        full_read: Callable[[], Flow[None]],
        *,
        every: timedelta = DEFAULT_EVERY,
        overlap: timedelta = DEFAULT_OVERLAP,
        idle: timedelta = DEFAULT_IDLE,
    ) -> None:
        self.ctx = ctx
        self.intake = intake
        self.full_read = full_read
        self.every = every
        self.overlap = overlap
        self.idle = idle
        self.last_new = 0  # events the last read saw for the first time
        # whether anything on the feed can concern the core: a project of its own in the PSA
        self.concerned: Callable[[], bool] = lambda: len(ctx.state.engagements) > 0
        self.watermark: datetime | None = None  # when the last successful read began
        self._seen: dict[str, datetime] = {}  # event id -> created_at, while re-readable
        self.polls = 0
        self.full_reads = 0
        state = ctx.state  # a core started on an earlier one's state lost its watermark
        self._restarted = bool(len(state.engagements) or len(state.collected))

    def run(self) -> Flow[None]:
        """Poll for ever, at a cadence that follows the feed (see ``next_wait``); a failed
        poll is in the exception queue until one succeeds (its watermark did not move:
        nothing is skipped)."""
        wait = self.every
        while True:
            yield from self.ctx.rt.sleep(wait.total_seconds())
            if not self.concerned():
                wait = self.every  # no project of ours in the PSA yet: nothing to read
                continue
            try:
                yield from self.poll()
            except Exception as exc:
                self.ctx.raise_exception("feed_failed", "psa", f"{type(exc).__name__}: {exc}")
                wait = self.every
            else:
                self.ctx.resolve_exception("feed_failed", "psa")
                wait = self.next_wait(wait)

    def next_wait(self, wait: timedelta) -> timedelta:
        """After a read that brought new events, ``every`` again (approvals come in bursts:
        a manager approves a week's timesheets at once); after a quiet one, twice the last
        wait, up to ``idle``. So a quiet night or weekend costs a few reads, not one an hour,
        and reads follow the firm's activity, which the core cannot see otherwise."""
        if self.last_new:
            return self.every
        return min(max(wait, self.every) * 2, max(self.idle, self.every))

    def poll(self) -> Flow[int]:
        """One read of the feed; returns how many approvals it handed to the intake."""
        started = self.ctx.rt.now()
        oldest = started - RETENTION
        since = None if self.watermark is None else self.watermark - self.overlap
        if since is None or since < oldest:
            if since is not None or self._restarted:
                self.full_reads += 1  # the feed may have forgotten some: count the records
                self.ctx.rt.record("core.feed_full_read", since=str(since))
                yield from self.full_read()
                self.watermark, self._restarted = started, False  # all finished work is found
                since = started - self.overlap
            else:
                since = oldest  # a fresh core: everything the feed still has
        rows, side = yield from self.ctx.psa.subscribed_events(since, tuple(FEED_WORK))
        new = 0
        work: dict[str, tuple[str, str, dict[str, Any] | None]] = {}  # key -> work, subject
        for event in rows:
            if self._note(event):
                new += 1
                found = self._work(event, side)
                if found is not None:
                    work.setdefault(found[0], found[1:])
        yield from self._read_ahead(work)
        for key, (name, subject, _) in work.items():
            self.intake.accept(key, name, (subject,))
        self.polls += 1
        self.last_new = new
        self.watermark, self._restarted = started, False
        self._forget(started - self.overlap)
        return len(work)

    def _read_ahead(self, work: dict[str, tuple[str, str, dict[str, Any] | None]]) -> Flow[None]:
        """The approved submissions' time entries, read together before their flows start
        (a few calls for a manager's whole batch, not two per submission); a failed read
        leaves each flow to read its own, as without it."""
        psa = self.ctx.psa
        for kind, read in (("timesheet", psa.read_ahead), ("expenses", psa.read_ahead_expenses)):
            records = [r for name, _, r in work.values() if name == kind and r is not None]
            if not records:
                continue
            try:
                yield from read(records)
            except Exception as exc:  # the flows read their own, as without it
                self.ctx.rt.record("core.read_ahead_failed", work=kind, error=type(exc).__name__)

    def _note(self, event: dict[str, Any]) -> bool:
        """True the first time an event id is read."""
        event_id = str(event["id"])
        if event_id in self._seen:
            return False
        self._seen[event_id] = _moment(str(event["created_at"]))
        return True

    def _work(
        self, event: dict[str, Any], side: dict[str, Any]
    ) -> tuple[str, str, str, dict[str, Any] | None] | None:
        """The inbox work an event asks for: (key, work, subject id, the side-loaded subject),
        or None (collected already, not approved, or a copy of a change already accepted)."""
        work, wanted = FEED_WORK[str(event["event_type"])]
        subject = str(event["subject_id"])
        if f"{work}:{subject}" in self.ctx.state.collected:
            return None  # collected already (an earlier event of it)
        record = None
        if wanted is not None:
            ref = event.get("subject_ref")
            record = None if ref is None else side.get(ref["key"], {}).get(ref["id"])
            if record is None or record.get("status") != wanted:
                return None  # made, rejected, or gone: no billable work
        key = f"psa:{event['event_type']}:{subject}:{event['subject_changed_at']}"
        known = self.ctx.state.inbox.get(key)
        if known is not None and known.status != "dead":
            return None  # another copy of the same change
        return key, work, subject, record

    def _forget(self, before: datetime) -> None:
        """Drop the ids no later read can return (created before the next read's start)."""
        stale = []
        for event_id, created in self._seen.items():  # read order: about created_at order
            if created >= before:
                break
            stale.append(event_id)
        for event_id in stale:
            del self._seen[event_id]


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
