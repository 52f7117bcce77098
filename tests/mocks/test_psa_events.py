"""Kantata's Subscribed Events in the PSA mock: the shape psa.yaml declares, 9 days kept, a page
read that costs its window, late and duplicated copies, and Kantata's refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mocks import PsaMock
from tests.support.contracts import Contract, kantata_errors

PSA = "/api/v1"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GENERATION_LAG = timedelta(minutes=1)  # the sandbox's choice: "within a few minutes"
RETENTION = timedelta(days=9)  # "Up to 9 days" (developer.kantata.com/tag/Events)


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _world(appearance: Any = None) -> tuple[PsaMock, _Clock, Any, tuple[str, str]]:
    clock = _Clock()
    psa = PsaMock(clock) if appearance is None else PsaMock(clock, appearance=appearance)
    role = psa.add_role("default", "Engineer")
    user = psa.add_user("default", "Ada", "ada@example.com", role, "DE")
    http = Contract("psa").client(psa.app)
    ws = http.post(f"{PSA}/workspaces", json={"workspace": {"title": "Acme", "currency": "EUR"}})
    return psa, clock, http, (user, ws.json()["results"][0]["id"])


def _approve(psa: PsaMock, ids: tuple[str, str], day: date) -> str:
    user, ws = ids
    entry = psa.log_time("default", user, ws, day, 60, "work")
    submission = psa.submit_timesheet("default", user, [entry])
    psa.resolve_timesheet("default", submission, approve=True)
    return submission


def _events(http: Any, **params: Any) -> list[dict[str, Any]]:
    body = http.get(f"{PSA}/subscribed_events", params={"per_page": 200, **params}).json()
    return [body["subscribed_events"][r["id"]] for r in body["results"]]


def test_an_approval_is_an_update_event_readable_after_the_generation_lag() -> None:
    """The envelope psa.yaml declares (checked by the contract client), the subject
    side-loaded with include=subject, and nothing readable before Kantata generates it."""
    psa, clock, http, ids = _world()
    submission = _approve(psa, ids, date(2026, 3, 2))
    assert _events(http) == []  # generated a minute after the change
    clock.now += GENERATION_LAG
    body = http.get(f"{PSA}/subscribed_events", params={
        "include": "subject", "event_types": "timesheet_submission:updated"}).json()  # fmt: skip
    (ref,) = body["results"]
    event = body["subscribed_events"][ref["id"]]
    assert (event["event_type"], event["subject_id"], event["subject_type"]) == (
        "timesheet_submission:updated",
        int(submission),
        "TimesheetSubmission",
    )
    assert event["subject_changed_at"] == "2026-03-02T09:00:00Z"
    assert event["created_at"] == "2026-03-02T09:01:00Z"
    assert event["subject_ref"] == {"key": "timesheet_submissions", "id": submission}
    assert body["timesheet_submissions"][submission]["status"] == "approved"
    assert body["meta"] == {"count": 1, "page_count": 1, "page_number": 1, "page_size": 20}
    types = http.get(f"{PSA}/subscribed_events/event_types").json()["subscribed_event_types"]
    assert "expense_report:updated" in types and types == sorted(types)
    assert {t.partition(":")[2] for t in types} == {"created", "updated", "deleted"}


def test_events_older_than_nine_days_are_gone() -> None:
    psa, clock, http, ids = _world()
    old = _approve(psa, ids, date(2026, 3, 2))
    clock.now += timedelta(days=3)
    new = _approve(psa, ids, date(2026, 3, 5))
    clock.now = T0 + RETENTION + GENERATION_LAG + timedelta(seconds=1)
    left = {(e["event_type"], str(e["subject_id"])) for e in _events(http)}
    assert ("timesheet_submission:updated", old) not in left
    assert ("timesheet_submission:updated", new) in left


def test_a_page_after_created_after_reads_its_window_not_the_history() -> None:
    """A thousand approvals in the feed; the page after the last one's stamp touches only the
    events after it."""
    psa, clock, http, ids = _world()
    for _n in range(500):
        _approve(psa, ids, date(2026, 3, 2))
        clock.now += timedelta(minutes=10)
    mark = clock.now
    last = _approve(psa, ids, date(2026, 3, 5))
    clock.now += GENERATION_LAG
    before = psa.events.scanned
    found = _events(http, created_after=mark.isoformat())
    assert [(e["event_type"], str(e["subject_id"])) for e in found] == [
        ("timesheet_submission:created", last),
        ("timesheet_submission:updated", last),
    ]
    assert psa.events.scanned - before == 2


def test_late_and_duplicate_copies_appear_out_of_order() -> None:
    """A held-back copy is filed at its on-time stamp when it appears: a reader whose
    created_after moved past the stamp misses it; one reading with an overlap finds it. A
    duplicate has its own id; a dropped event is never generated."""
    plans = {"timesheet_submission:updated": [[3600.0, 0.0]], "timesheet_submission:created": [[]]}

    def appearance(tenant: str, event_type: str) -> list[float]:
        return plans.get(event_type, [[0.0]])[0]

    psa, clock, http, ids = _world(appearance)
    submission = _approve(psa, ids, date(2026, 3, 2))
    clock.now += GENERATION_LAG
    (first,) = _events(http)  # the on-time copy; the creation was never generated
    assert first["event_type"] == "timesheet_submission:updated"
    watermark = clock.now
    clock.now += timedelta(hours=2)
    assert _events(http, created_after=watermark.isoformat()) == []  # the late copy's stamp
    late = _events(http, created_after=(watermark - timedelta(minutes=30)).isoformat())
    assert first["id"] == "2" and [e["id"] for e in late] == ["2", "1"]  # 1 was held back
    assert {(e["subject_id"], e["subject_changed_at"]) for e in late} == {
        (int(submission), first["subject_changed_at"])
    }


def test_most_recent_keeps_each_subjects_latest_event() -> None:
    psa, clock, http, ids = _world()
    submission = _approve(psa, ids, date(2026, 3, 2))
    clock.now += GENERATION_LAG
    (latest,) = _events(http, most_recent="true")
    assert (latest["event_type"], str(latest["subject_id"])) == (
        "timesheet_submission:updated",
        submission,
    )


@pytest.mark.parametrize(
    "params, field",
    [
        ({"event_types": "time_entry:frobbed"}, "event_types"),
        ({"created_after": "2026-03-02"}, "created_after"),
        ({"most_recent": "yes"}, "most_recent"),
        ({"include": "workspace"}, "include"),
        ({"per_page": 201}, "per_page"),
    ],
)
def test_a_malformed_query_is_kantatas_400(params: dict[str, Any], field: str) -> None:
    _, _, http, _ = _world()
    response = http.get(f"{PSA}/subscribed_events", params=params)
    assert response.status_code == 400
    assert [e["field"] for e in kantata_errors(response, 400)] == [field]


def test_only_a_client_granted_the_events_scope_reads_the_feed() -> None:
    """Kantata: account administrators only; here the psa:events.read scope."""
    clock = _Clock()
    psa = PsaMock(clock, enforce_auth=True)
    psa.auth.register("app", "secret", "default")
    http = Contract("psa").client(psa.app)
    token = http.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "app", "client_secret": "secret",
        "scope": "psa:time.read"}).json()["access_token"]  # fmt: skip
    refused = http.get(f"{PSA}/subscribed_events", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
