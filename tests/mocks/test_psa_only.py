"""Kantata's ``only`` on the time entry and expense listings: the records named, each once, in
id order, with their side-loads, whatever else the account holds; a malformed list is a 400."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from mocks import PsaMock

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
API = "/api/v1"


def _account(entries: int) -> tuple[PsaMock, httpx.Client, list[str]]:
    psa = PsaMock(lambda: NOW)
    http = httpx.Client(
        transport=psa.app.transport(), base_url="http://x", headers={"x-tenant": "t"}
    )
    made = http.post(f"{API}/workspaces", json={"workspace": {"title": "A", "currency": "EUR"}})
    workspace = made.json()["results"][0]["id"]
    role = psa.add_role("t", "developer (NL)")
    user = psa.add_user("t", "Ann", "ann@example.com", role, "NL")
    ids = [
        psa.log_time("t", user, workspace, date(2025, 12, 1 + k % 28), 60, f"{k}")
        for k in range(entries)
    ]
    return psa, http, ids


def test_only_lists_the_named_entries_in_id_order_with_their_side_loads() -> None:
    psa, http, ids = _account(300)
    named = [ids[250], ids[7], ids[7], ids[40]]
    before = psa.tables.scanned
    body = http.get(f"{API}/time_entries", params={
        "only": ",".join(named), "include": "user,role", "per_page": "200"}).json()  # fmt: skip
    assert [r["id"] for r in body["results"]] == [ids[7], ids[40], ids[250]]
    assert body["meta"]["count"] == 3
    assert set(body["users"]) == {body["time_entries"][ids[7]]["user_id"]}
    assert len(body["roles"]) == 1
    assert psa.tables.scanned - before <= 3  # the named rows, not the 300


def test_only_pages_and_still_filters_when_a_filter_is_given() -> None:
    _, http, ids = _account(5)
    named = ",".join(ids)
    page2 = http.get(f"{API}/time_entries", params={"only": named, "per_page": "2", "page": "2"})
    assert [r["id"] for r in page2.json()["results"]] == ids[2:4]
    assert page2.json()["meta"]["page_count"] == 3
    approved = http.get(f"{API}/time_entries", params={"only": named, "approved": "true"})
    assert approved.json()["results"] == []  # nothing approved yet
    bad = http.get(f"{API}/time_entries", params={"only": "1,,2"})
    assert bad.status_code == 400
