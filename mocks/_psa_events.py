"""Kantata OX's change feed, Subscribed Events, for the PSA mock: a pull feed, not webhooks.

Kantata pushes no webhooks. What it offers an integration that must learn of approvals is
``GET /api/v1/subscribed_events`` (an add-on readable by account administrators only), which
lists "trackable changes" as events typed ``<subject>:<created|updated|deleted>``, filtered by
``created_after``, ``created_before`` and ``event_types`` (a comma-separated list), with
``most_recent`` (only each subject's latest event) and ``include=subject`` (a ``subject_ref``
and the subject side-loaded), paged with ``page``/``per_page``, in Kantata's side-loaded
envelope; ``GET /api/v1/subscribed_events/event_types`` lists the types. Sources, consulted
2026-12-07: developer.kantata.com/tag/Events and
developer.kantata.com/kantata/specification/events/get-subscribed-events ("Up to 9 days of
trackable changes", "events may take some time to appear", "events may sometimes be
duplicated", "not guaranteed to appear in the exact order the changes were completed",
``created_at`` and ``subject_changed_at`` "can differ due to the lag between event occurrence
and generation"; an older copy of the page, and Kantata's knowledge base article 4407962435227,
say 7 days: the sandbox keeps 9); developer.kantata.com/tag/Event-Types.

How the sandbox keeps it (linear cost, as the rules want): one append-only list per tenant
sorted by ``created_at``, with a head that moves past what is older than the 9 days kept (the
events are gone, as in Kantata); a read bisects to ``created_after`` and costs the window it
returns, never the history. An event is stamped ``created_at`` when generated (the change plus
``GENERATION_LAG``) and is readable from then on, or later: ``Appearance`` (the scenario's
chaos, wired by the world) may hold a copy back (it appears late, stamped early: a reader that
moved its ``created_after`` past the stamp misses it unless it reads with an overlap), send a
second copy (a duplicate with its own id), or generate nothing (a lost event: only a full read
of the records finds that work). A held-back copy waits in a heap and is filed at its stamp's
place when due, so a page read later sees it where its ``created_at`` puts it.

Simplified (said in psa.yaml and the README): ``current_payload`` is the subject as it is when
the event is generated (JSON text), ``previous_payload`` and ``payload_changes`` are null;
``user_id`` is null (the sandbox does not track who made a change); only the kinds below are
tracked (time entries are not: 700,000 a firm-year), and nothing is ever ``deleted``.

The PSA's code notifies through ``self._notify(tenant, "<internal name>", subject_id, at)``;
``KANTATA_EVENTS`` is the one table that turns an internal name into Kantata's event types.
"""

from __future__ import annotations

import heapq
import json
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mocks._http import Call, Problem, Reply
from mocks._psa_queries import moment_param, truthy
from mocks._state import iso

__all__ = [
    "EVENT_TYPES",
    "GENERATION_LAG",
    "KANTATA_EVENTS",
    "RETENTION",
    "Appearance",
    "EventsMixin",
    "SubscribedEvents",
]

RETENTION = timedelta(days=9)  # "Up to 9 days" (API reference; 7 in an older copy: see above)
# Kantata: "we try to create events within a few minutes of an action being performed". Ours:
# every event is generated one minute after its change.
GENERATION_LAG = timedelta(minutes=1)
MAX_PER_PAGE = 200  # as every Kantata listing

# The one table: the PSA's internal notification -> the Kantata event types it generates. An
# expense report's approval also updates each of its expenses (the Events page's own example).
KANTATA_EVENTS: dict[str, tuple[str, ...]] = {
    "timesheet_submission.created": ("timesheet_submission:created",),
    "timesheet_submission.approved": ("timesheet_submission:updated",),
    "timesheet_submission.rejected": ("timesheet_submission:updated",),
    "expense_report.created": ("expense_report:created",),
    "expense_report.approved": ("expense_report:updated", "expense:updated"),
    "expense_report.rejected": ("expense_report:updated", "expense:updated"),
    "story.completed": ("story:updated",),  # a task completed: its milestones invoiceable
}
# Kantata subject -> (its ``subject_type``, the collection its records are side-loaded under)
SUBJECTS: dict[str, tuple[str, str]] = {
    "timesheet_submission": ("TimesheetSubmission", "timesheet_submissions"),
    "expense_report": ("ExpenseReport", "expense_reports"),
    "expense": ("Expense", "expenses"),
    "story": ("Story", "stories"),
}
EVENT_TYPES: tuple[str, ...] = tuple(
    sorted({f"{s}:{a}" for s in SUBJECTS for a in ("created", "updated", "deleted")})
)

Appearance = Callable[[str, str], list[float]]
"""``(tenant, event_type) -> seconds each copy appears after its stamp``: ``[0.0]`` is one copy
on time, ``[]`` none (lost), two numbers a duplicate. The world wires the scenario's chaos."""


def on_time(tenant: str, event_type: str) -> list[float]:
    return [0.0]


@dataclass
class _Feed:
    """One tenant's events: ``moments``/``ids`` sorted by ``created_at`` from ``head`` on."""

    moments: list[datetime] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    head: int = 0
    counter: int = 0  # the last event id handed out
    held: list[tuple[datetime, int, dict[str, Any]]] = field(default_factory=list)  # a heap


class SubscribedEvents:
    """Every tenant's feed. ``scanned`` counts the events reads looked at (tests hold a page
    read to its window through it)."""

    def __init__(self, appearance: Appearance = on_time) -> None:
        self.appearance = appearance
        self.lag = GENERATION_LAG  # change -> ``created_at`` (a wall-clock test may shorten it)
        self._feeds: dict[str, _Feed] = {}
        self._held = 0  # tie-breaker of the held-back heap (insertion order)
        self.scanned = 0

    def _feed(self, tenant: str) -> _Feed:
        found = self._feeds.get(tenant)
        if found is None:
            found = self._feeds[tenant] = _Feed()
        return found

    def record(self, tenant: str, event: dict[str, Any], created: datetime, now: datetime) -> int:
        """File the copies of ``event`` stamped ``created`` (an id each); returns how many."""
        feed = self.settle(tenant, now)
        delays = self.appearance(tenant, str(event["event_type"]))
        for delay in delays:
            copy = dict(event, id=str(self._number(feed)), created_at=iso(created))
            readable = created + timedelta(seconds=max(0.0, delay))
            if readable <= now:
                self._file(feed, created, copy)
            else:  # generated later, or held back: filed when due
                self._held += 1
                heapq.heappush(feed.held, (readable, self._held, copy))
        return len(delays)

    @staticmethod
    def _number(feed: _Feed) -> int:
        feed.counter += 1
        return feed.counter

    @staticmethod
    def _file(feed: _Feed, created: datetime, event: dict[str, Any]) -> None:
        if not feed.moments or feed.moments[-1] <= created:
            feed.moments.append(created)  # the usual case: the newest event
            feed.ids.append(event["id"])
        else:  # a late copy: filed where its stamp puts it
            at = bisect_right(feed.moments, created, lo=feed.head)
            feed.moments.insert(at, created)
            feed.ids.insert(at, event["id"])
        feed.events[event["id"]] = event

    def settle(self, tenant: str, now: datetime) -> _Feed:
        """File the held-back copies now due, and forget what is older than ``RETENTION``."""
        feed = self._feed(tenant)
        cutoff = now - RETENTION
        while feed.held and feed.held[0][0] <= now:
            _, _, event = heapq.heappop(feed.held)
            created = datetime.fromisoformat(event["created_at"].replace("Z", "+00:00"))
            if created >= cutoff:
                self._file(feed, created, event)
        while feed.head < len(feed.moments) and feed.moments[feed.head] < cutoff:
            del feed.events[feed.ids[feed.head]]
            feed.head += 1
        if feed.head > 1024 and feed.head * 2 > len(feed.moments):  # compact now and then
            del feed.moments[: feed.head], feed.ids[: feed.head]
            feed.head = 0
        return feed

    def window(
        self, tenant: str, now: datetime, after: datetime | None, before: datetime | None
    ) -> list[dict[str, Any]]:
        """The readable events created after ``after`` and before ``before``, oldest first;
        costs the window, not the feed."""
        feed = self.settle(tenant, now)
        start = feed.head if after is None else bisect_right(feed.moments, after, lo=feed.head)
        end = len(feed.moments) if before is None else bisect_left(feed.moments, before, lo=start)
        self.scanned += end - start
        return [feed.events[feed.ids[k]] for k in range(start, end)]

    def drop(self, tenant: str) -> None:
        self._feeds.pop(tenant, None)


class EventsMixin:
    """The PSA mock's notification point and the two Subscribed Events reads over HTTP."""

    tables: Any
    clock: Any
    events: SubscribedEvents

    def _notify(self, tenant: str, event: str, subject_id: str, at: str) -> None:
        """A change the PSA tracks (``event`` its internal name): Kantata's events for it."""
        changed = datetime.fromisoformat(at.replace("Z", "+00:00"))
        for event_type in KANTATA_EVENTS[event]:
            subject = event_type.partition(":")[0]
            subject_type, collection = SUBJECTS[subject]
            ids = [subject_id]
            if subject == "expense":  # a report's change updates each of its expenses
                report = self.tables.get(tenant, "expense_reports", subject_id)
                ids = list(report["expense_ids"])
            for one in ids:
                record = self.tables.get(tenant, collection, one)
                self.events.record(tenant, {
                    "id": "", "account_id": _account(tenant), "created_at": "",
                    "current_payload": json.dumps(record, sort_keys=True, default=str),
                    "event_type": event_type, "payload_changes": None, "previous_payload": None,
                    "subject_changed_at": at, "subject_id": int(one),
                    "subject_type": subject_type, "user_id": None,
                }, changed + self.events.lag, self.clock())  # fmt: skip

    def _list_events(self, call: Call) -> Reply:
        number = call.int_query("page", 1, low=1)
        size = call.int_query("per_page", 20, low=1, high=MAX_PER_PAGE)
        after = moment_param("created_after", call.query.get("created_after"))
        before = moment_param("created_before", call.query.get("created_before"))
        latest = truthy("most_recent", call.query.get("most_recent"))
        include = call.query.get("include")
        if include is not None and include != "subject":
            raise Problem(400, "Bad Request", "include on subscribed_events must be subject",
                          errors=[{"field": "include", "message": "unknown include"}])  # fmt: skip
        wanted = _event_types(call.query.get("event_types"))
        rows = self.events.window(call.tenant, self.clock(), after, before)
        if wanted is not None:
            rows = [r for r in rows if r["event_type"] in wanted]
        if latest:
            last = {(r["subject_type"], r["subject_id"]): k for k, r in enumerate(rows)}
            rows = [rows[k] for k in sorted(last.values())]
        total, start = len(rows), (number - 1) * size
        chunk = rows[start : start + size]
        body: dict[str, Any] = {
            "count": total,
            "meta": {
                "count": total,
                "page_count": max(1, -(-total // size)),
                "page_number": number,
                "page_size": size,
            },
            "results": [{"key": "subscribed_events", "id": r["id"]} for r in chunk],
            "subscribed_events": {r["id"]: r for r in chunk},
        }
        if include == "subject":
            body["subscribed_events"] = {r["id"]: self._with_subject(call.tenant, r, body)
                                         for r in chunk}  # fmt: skip
        return Reply(200, body)

    def _with_subject(
        self, tenant: str, event: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        """``event`` with its ``subject_ref``, the subject side-loaded in ``body`` (null when
        the subject no longer exists, as Kantata says)."""
        collection = SUBJECTS[str(event["event_type"]).partition(":")[0]][1]
        key = str(event["subject_id"])
        record = self.tables.table(tenant, collection).get(key)
        if record is None:
            return {**event, "subject_ref": None}
        body.setdefault(collection, {})[key] = record
        return {**event, "subject_ref": {"key": collection, "id": key}}

    def _list_event_types(self, call: Call) -> Reply:
        return Reply(200, {"subscribed_event_types": list(EVENT_TYPES),
                           "subscribed_event_type_schemas": {}})  # fmt: skip


def _event_types(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    names = raw.split(",")
    unknown = [n for n in names if n not in EVENT_TYPES]
    if unknown:
        raise Problem(400, "Bad Request",
                      f"event_types must name types from GET /subscribed_events/event_types, "
                      f"not {', '.join(unknown)}",
                      errors=[{"field": "event_types",
                               "message": "unknown event type"}])  # fmt: skip
    return set(names)


def _account(tenant: str) -> int:
    """The tenant's Kantata account id: a number fixed by its name (no account table here)."""
    return zlib.crc32(tenant.encode()) % 1_000_000 + 1
