"""The vendors' "what changed since" queries, as a nightly extract uses them: Salesforce's sObject
Get Updated, Ironclad's ``lastUpdated`` on the records list, Kantata's ``updated_after`` /
``updated_before`` (on the listings that document them, not on billing milestones), and
Stripe's ``created[gt]`` on events. Each returns what changed in the window, once per record,
at the record's last change, refuses what the vendor refuses, and reads the window's changes
rather than the account's history (counted with ``Tables.scanned``, never timed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from mocks import ClmMock, CrmMock, PaymentsMock, PsaMock

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _client(app: Any) -> httpx.Client:
    return httpx.Client(transport=app.transport(), base_url="http://x", headers={"x-tenant": "t"})


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# -- Salesforce ----------------------------------------------------------------------------


def _opportunity(crm: CrmMock, account: str, name: str) -> str:
    return crm.create("t", "Opportunity", {"Name": name, "AccountId": account,
                                           "StageName": "Prospecting",
                                           "CloseDate": "2026-01-31"})  # fmt: skip


def test_salesforce_get_updated_lists_ids_changed_in_the_window() -> None:
    clock = Clock()
    crm = CrmMock(clock)
    http = _client(crm.app)
    account = crm.create("t", "Account", {"Name": "A"})
    first = _opportunity(crm, account, "first")
    clock.advance(hours=1)
    second = _opportunity(crm, account, "second")
    clock.advance(hours=1)
    crm.update("t", "Opportunity", first, {"StageName": "Closed Won"})  # changed again: later
    clock.advance(minutes=5)
    url = "/services/data/v60.0/sobjects/Opportunity/updated/"
    window = {"start": _iso(START + timedelta(minutes=30)), "end": _iso(clock.now)}
    body = http.get(url, params=window).json()
    assert body == {"ids": [second, first], "latestDateCovered": "2026-01-05T11:05:00.000+0000"}
    early = {"start": _iso(START), "end": _iso(START + timedelta(minutes=30))}
    assert http.get(url, params=early).json()["ids"] == []  # first's change at 09:00 is gone
    accounts = http.get("/services/data/v60.0/sobjects/Account/updated/",
                        params={"start": _iso(START), "end": _iso(clock.now)}).json()  # fmt: skip
    assert accounts["ids"] == [account]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"end": "2026-01-05T10:00:00Z"}, "MISSING_ARGUMENT"),
        ({"start": "2026-01-05T10:00:00Z", "end": "2026-01-05T09:00:00Z"},
         "INVALID_REPLICATION_DATE"),
        ({"start": "2025-11-01T00:00:00Z", "end": "2026-01-05T09:00:00Z"},
         "INVALID_REPLICATION_DATE"),
        ({"start": "yesterday", "end": "2026-01-05T09:00:00Z"}, "INVALID_REPLICATION_DATE"),
        # no UTC form (found by Schemathesis: a 500 before)
        ({"start": "0001-01-01T00:00:00+01:00", "end": "2026-01-05T09:00:00Z"},
         "INVALID_REPLICATION_DATE"),
        ({"start": "2026-01-05T09:00:00Z", "end": "9999-12-31T23:59:00-01:00"},
         "INVALID_REPLICATION_DATE"),
    ],
)  # fmt: skip
def test_salesforce_get_updated_refuses_what_salesforce_refuses(
    params: dict[str, str], code: str
) -> None:
    crm = CrmMock(Clock())
    response = _client(crm.app).get(
        "/services/data/v60.0/sobjects/Opportunity/updated/", params=params
    )
    assert response.status_code == 400
    assert code in response.text


def test_salesforce_get_updated_reads_the_window_not_the_org() -> None:
    clock = Clock()
    crm = CrmMock(clock)
    account = crm.create("t", "Account", {"Name": "A"})
    for k in range(2000):
        _opportunity(crm, account, f"o{k}")
    clock.advance(days=1)
    new = _opportunity(crm, account, "new")
    clock.advance(minutes=1)
    before = crm.tables.scanned
    body = (
        _client(crm.app)
        .get(
            "/services/data/v60.0/sobjects/Opportunity/updated/",
            params={"start": _iso(START + timedelta(hours=12)), "end": _iso(clock.now)},
        )
        .json()
    )
    assert body["ids"] == [new]
    assert crm.tables.scanned == before  # ids from the change log: no table read at all


# -- Ironclad ------------------------------------------------------------------------------


def test_ironclad_last_updated_lists_records_changed_since(monkeypatch: Any) -> None:
    clock = Clock()
    clm = ClmMock(clock)
    http = _client(clm.app)
    ids = []
    for k in range(3):  # records inserted directly: the table and the change log, as execute()
        record = {"id": f"r{k}", "lastUpdated": _iso(clock.now), "breaches": []}
        clm.tables.insert("t", "record", record)
        clm.changes.note("t", "record", record["id"], clock.now)
        ids.append(record["id"])
        clock.advance(hours=1)
    clm.record_breach("t", "r0", date(2026, 1, 5), "P1 missed")  # r0 changes again, last
    since = _iso(START + timedelta(hours=1))
    body = http.get("/public/api/v1/records", params={"lastUpdated": since}).json()
    assert [r["id"] for r in body["list"]] == ["r1", "r2", "r0"]
    assert body["count"] == 3
    paged = http.get("/public/api/v1/records",
                     params={"lastUpdated": since, "pageSize": 2, "page": 1}).json()  # fmt: skip
    assert [r["id"] for r in paged["list"]] == ["r0"]
    bad = http.get("/public/api/v1/records", params={"lastUpdated": "last week"})
    assert bad.status_code == 400


# -- Kantata -------------------------------------------------------------------------------


def _psa_with_submissions(clock: Clock, n: int) -> tuple[PsaMock, list[str]]:
    psa = PsaMock(clock)
    role = psa.add_role("t", "Consultant")
    user = psa.add_user("t", "Ada", "ada@example.com", role, "DE")
    workspace = psa._new("t", "workspaces", {"title": "W", "status": "In Progress"})["id"]
    submissions = []
    for k in range(n):
        entry = psa.log_time("t", user, workspace, date(2026, 1, 5), 60, f"task {k}")
        submissions.append(psa.submit_timesheet("t", user, [entry]))
    return psa, submissions


def test_kantata_updated_after_lists_submissions_approved_in_the_window() -> None:
    clock = Clock()
    psa, submissions = _psa_with_submissions(clock, 400)
    clock.advance(days=1)
    psa.resolve_timesheet("t", submissions[7], approve=True)
    clock.advance(hours=1)
    psa.resolve_timesheet("t", submissions[3], approve=True)
    clock.advance(hours=1)
    psa.resolve_timesheet("t", submissions[5], approve=False)
    http = _client(psa.app)
    window = {"updated_after": _iso(START + timedelta(hours=12)),
              "updated_before": _iso(clock.now + timedelta(minutes=1)),
              "statuses": "approved", "per_page": "200"}  # fmt: skip
    before = psa.tables.scanned
    body = http.get("/api/v1/timesheet_submissions", params=window).json()
    assert [ref["id"] for ref in body["results"]] == [submissions[7], submissions[3]]
    assert psa.tables.scanned - before < 10  # the night's three changes, not 400 submissions
    upto = {**window, "updated_before": _iso(START + timedelta(days=1, minutes=30))}
    body = http.get("/api/v1/timesheet_submissions", params=upto).json()
    assert [ref["id"] for ref in body["results"]] == [submissions[7]]


def test_kantata_has_no_updated_filter_on_billing_milestones() -> None:
    clock = Clock()
    psa, _ = _psa_with_submissions(clock, 1)
    psa._new("t", "billing_milestones", {"workspace_id": "1", "story_id": None})
    clock.advance(days=1)
    later = {"updated_after": _iso(clock.now)}
    body = _client(psa.app).get("/api/v1/billing_milestones", params=later).json()
    assert body["meta"]["count"] == 1  # ignored, as Kantata ignores what it does not document


@pytest.mark.parametrize("raw", ["2026-01-05", "2026-01-05T10:00:00", "soon"])
def test_kantata_updated_after_needs_a_date_time_with_a_zone(raw: str) -> None:
    psa, _ = _psa_with_submissions(Clock(), 1)
    response = _client(psa.app).get("/api/v1/expenses", params={"updated_after": raw})
    assert response.status_code == 400
    assert "updated_after" in response.text


# -- Stripe --------------------------------------------------------------------------------


def test_stripe_events_created_after_a_moment_read_only_the_newer_ones() -> None:
    clock = Clock()
    payments = PaymentsMock(clock)
    for k in range(300):
        payments._emit("t", "payment_intent.succeeded", {"id": f"pi_{k}", "object": "x"})
        clock.advance(seconds=1 if k < 299 else 3600)
    payments._emit("t", "payment_intent.succeeded", {"id": "pi_new", "object": "x"})
    http = _client(payments.app)
    bound = int((START + timedelta(seconds=299)).timestamp())
    body = http.get("/v1/events", params={"created[gt]": str(bound), "limit": "100"}).json()
    assert [e["data"]["object"]["id"] for e in body["data"]] == ["pi_new"]
    assert body["has_more"] is False
    bad = http.get("/v1/events", params={"created[gt]": "yesterday"})
    assert bad.status_code == 400
    assert "created[gt]" in bad.text
