"""Lists cost a page, not a table: every vendor's list reads its rows from a per-tenant index,
so a one-row page touches one row whether the tenant holds 50 records or 5,000 (counted with
``Tables.scanned``, never timed), and an index hands rows out in the order a scan would."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mocks import ClmMock, CrmMock, ErpMock, PsaMock, TaxMock, TaxRules

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


def _touched(tables: Any, action: Callable[[], httpx.Response]) -> int:
    before = tables.scanned
    response = action()
    assert response.status_code == 200, response.text
    return tables.scanned - before


def _client(app: Any, tenant: str = "t") -> httpx.Client:
    return httpx.Client(
        transport=app.transport(), base_url="http://x", headers={"x-tenant": tenant}
    )


def _crm(n: int) -> tuple[CrmMock, httpx.Client]:
    crm = CrmMock(_clock)
    account = crm.create("t", "Account", {"Name": "A"})
    for k in range(n):
        stage = "Closed Won" if k % 10 == 0 else "Prospecting"
        crm.create("t", "Opportunity", {"Name": f"o{k}", "AccountId": account,
                                        "StageName": stage, "CloseDate": "2026-01-31"})  # fmt: skip
    crm.create("other", "Account", {"Name": "Not yours"})
    return crm, _client(crm.app)


@pytest.mark.parametrize("n", [50, 5000])
def test_a_crm_page_and_the_won_deals_come_from_an_index(n: int) -> None:
    crm, http = _crm(n)
    query = "/services/data/v60.0/query"
    every = {"q": "SELECT Id FROM Opportunity"}
    assert _touched(crm.tables, lambda: http.get(query, params=every)) == min(n, 200)
    won = "SELECT Id FROM Opportunity WHERE IsWon = 'True'"
    body = http.get(query, params={"q": won}).json()
    assert body["totalSize"] == n // 10
    assert _touched(crm.tables, lambda: http.get(query, params={"q": won})) == min(n // 10, 200)
    accounts = http.get(query, params={"q": "SELECT Id, Name FROM Account"}).json()["records"]
    assert [a["Name"] for a in accounts] == ["A"]  # the other tenant's account is not listed


@pytest.mark.parametrize("n", [50, 5000])
def test_an_erp_one_row_page_touches_one_row(n: int) -> None:
    erp = ErpMock(_clock)
    company = erp.add_company("t", "DE01", "DE", "EUR")
    other = erp.add_company("t", "FR01", "FR", "EUR")
    http = _client(erp.app)
    for k in range(n):
        co = company if k % 2 else other
        customer = {"displayName": f"c{k}", "country": "DE", "currencyCode": "EUR"}
        made = http.post(f"/api/v2.0/companies({co})/customers", json=customer)
        assert made.status_code == 201
    url = f"/api/v2.0/companies({company})/customers"
    assert _touched(erp.tables, lambda: http.get(url, params={"$top": "1"})) == 1
    page = http.get(url, params={"$top": "2", "$skip": "4"}).json()["value"]
    assert [c["displayName"] for c in page] == ["c9", "c11"]
    assert "@odata.nextLink" not in http.get(url, params={"$top": "1"}).json()  # a limit
    paged = {"Prefer": "odata.maxpagesize=1"}  # a page: BC's server-driven paging
    first = http.get(url, headers=paged).json()
    link = first["@odata.nextLink"]
    assert _touched(erp.tables, lambda: http.get(link, headers=paged)) == 1
    assert http.get(link, headers=paged).json()["value"][0]["displayName"] == "c3"


@pytest.mark.parametrize("n", [50, 2000])
def test_the_daily_psa_count_of_finished_work_touches_one_row(n: int) -> None:
    psa = PsaMock(_clock)
    role = psa.add_role("t", "Engineer")
    user = psa.add_user("t", "U", "u@x.example", role, "DE")
    http = _client(psa.app)
    space = http.post("/api/v1/workspaces", json={"workspace": {"title": "W", "currency": "EUR",
                      "status": "In Progress"}})  # fmt: skip
    assert space.status_code == 201, space.text
    workspace = next(iter(space.json()["workspaces"]))
    submissions = []
    for k in range(n):
        entry = psa.log_time("t", user, workspace, NOW.date(), 60, f"n{k}")
        submissions.append(psa.submit_timesheet("t", user, [entry]))
    for k, submission in enumerate(random.Random(3).sample(submissions, len(submissions))):
        psa.resolve_timesheet("t", submission, approve=k % 3 != 0)
    approved = {"statuses": "approved", "per_page": "1"}
    touched = _touched(
        psa.tables, lambda: http.get("/api/v1/timesheet_submissions", params=approved)
    )
    assert touched == 1
    body = http.get("/api/v1/timesheet_submissions", params={**approved, "per_page": "200"}).json()
    expected = [
        s
        for s in submissions
        if psa.tables.get("t", "timesheet_submissions", s)["status"] == "approved"
    ]
    assert body["count"] == len(expected)
    assert [r["id"] for r in body["results"]] == expected[
        :200
    ]  # a scan's order, not approval order


def test_clm_and_tax_lists_page_without_scanning() -> None:
    clm = ClmMock(_clock)
    http = _client(clm.app)
    for k in range(300):
        attributes = {"counterpartyName": f"C{k}", "opportunityId": f"006{k}"}
        launch = {"template": "statementOfWork", "attributes": attributes}
        assert http.post("/public/api/v1/workflows", json=launch).status_code == 200
    page = {"pageSize": "1", "page": "7"}
    assert _touched(clm.tables, lambda: http.get("/public/api/v1/workflows", params=page)) == 1
    listed = http.get("/public/api/v1/workflows", params=page).json()
    assert listed["count"] == 300 and listed["list"][0]["title"] == "SOW - C7"

    tax = TaxMock(_clock, TaxRules.default())
    http = _client(tax.app)
    where = {
        "country": "DE",
        "postalCode": "10117",
        "city": "Berlin",
        "line1": "Unter den Linden 1",
    }
    for k in range(300):
        body = {
            "type": "SalesInvoice", "companyCode": "ACME-DE" if k % 3 else "ACME-FR",
            "date": "2024-03-31", "customerCode": "C", "currencyCode": "EUR", "code": f"INV-{k}",
            "addresses": {"shipFrom": where, "shipTo": where},
            "lines": [{"amount": 100, "description": "line"}],
        }  # fmt: skip
        assert http.post("/api/v2/transactions/create", json=body).status_code == 200
    url = "/api/v2/companies/ACME-DE/transactions"
    assert _touched(tax.tables, lambda: http.get(url, params={"$top": "1"})) == 1
    assert http.get(url, params={"$top": "1"}).json()["@recordsetCount"] == 200


def test_an_index_follows_records_changed_in_place_and_deleted() -> None:
    tables, kind = PsaMock(_clock).tables, "timesheet_submissions"  # indexed on status
    rng = random.Random(11)
    for k in range(200):
        tables.insert("t", kind, {"id": f"s{k}", "status": "pending"})
    table = tables.table("t", kind)
    for _ in range(500):
        record = table[f"s{rng.randrange(200)}"]
        record["status"] = rng.choice(["pending", "approved", "rejected"])
        table.reindex(record["id"])
    del table["s7"]
    table.pop("s8")
    table["s9"] = {"id": "s9", "status": "approved"}  # replaced whole: keeps its rank
    for status in ("pending", "approved", "rejected"):
        scanned = [r["id"] for r in tables.all("t", kind) if r["status"] == status]
        assert [r["id"] for r in tables.where("t", kind, "status", status)] == scanned
        assert tables.count("t", kind, ("status", status)) == len(scanned)
    tables.drop("t")
    assert tables.count("t", kind) == 0
