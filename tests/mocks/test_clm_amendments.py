"""Ironclad change orders as linked records: an amendment workflow completes into an amendment
record, the child of the SOW record it amends (``parentId``, ``parentLinkType: amendment``);
the SOW record lists it (``childIds``, ``amendments``) and keeps its own terms. Every answer is
checked against the CLM contract."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from mocks import AmendmentTerms, ClmMock, Webhook
from tests.support.contracts import Contract
from tests.support.mock_worlds import CLM, NOW, _launch, _terms


class _Clock:
    """The vendor's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _change_order(number: int, milestone: str | None = None) -> AmendmentTerms:
    milestones = []
    if milestone is not None:
        milestones = [{"id": milestone, "title": "Go-live", "amount": "5000.00",
                       "dueDate": "2026-06-30"}]  # fmt: skip
    return AmendmentTerms.model_validate({
        "versions": [{"number": number, "effectiveDate": f"2026-0{number + 1}-01",
                      "rateCard": [{"role": "consultant", "country": "DE",
                                    "hourlyRate": str(150 + 10 * number)}]}],
        "milestones": milestones,
    })  # fmt: skip


def _signed(clock: _Clock | None = None) -> tuple[ClmMock, Any, list[Webhook], dict[str, Any]]:
    sink: list[Webhook] = []
    clm = ClmMock(clock or _Clock(), sink.append)
    http = Contract("clm").client(clm.app)
    record = clm.execute("default", _launch(http), _terms())
    return clm, http, sink, record


def test_a_change_order_is_its_own_record_linked_to_the_sow() -> None:
    clm, http, _, sow = _signed()
    before = http.get(f"{CLM}/records/{sow['id']}").json()
    amendment = clm.amend("default", sow["id"], _change_order(2, "M9"))
    assert amendment["id"] != sow["id"]
    read = http.get(f"{CLM}/records/{amendment['id']}").json()
    assert (read["type"], read["parentId"], read["parentLinkType"]) == (
        "amendment", sow["id"], "amendment",
    )  # fmt: skip
    assert [v["number"] for v in read["versions"]] == [2]
    assert [m["id"] for m in read["milestones"]] == ["M9"]
    assert read["properties"]["sowReference"] == before["properties"]["sowReference"]
    parent = http.get(f"{CLM}/records/{sow['id']}").json()
    assert parent["childIds"] == [amendment["id"]]
    assert parent["amendments"] == [amendment["ironcladId"]]
    # the SOW's own terms and change time stay as signed
    assert parent["versions"] == before["versions"]
    assert parent["milestones"] == before["milestones"]
    assert parent["lastUpdated"] == before["lastUpdated"]


def test_the_amendment_workflow_names_its_record_and_the_parent_it_amends() -> None:
    clm, http, sink, sow = _signed()
    amendment = clm.amend("default", sow["id"], _change_order(2))
    assert [w.event for w in sink] == ["workflow_completed", "workflow_completed"]
    workflow_id = sink[-1].body["payload"]["workflowID"]
    assert sink[-1].body["payload"]["templateID"] == "amendment"
    workflow = http.get(f"{CLM}/workflows/{workflow_id}").json()
    assert workflow["recordIds"] == [amendment["id"]]
    assert (workflow["status"], workflow["isComplete"], workflow["isCancelled"]) == (
        "completed", True, False,
    )  # fmt: skip
    assert workflow["attributes"] == {
        "parentRecord": {"recordId": sow["id"], "readableId": sow["ironcladId"]}
    }
    assert amendment["source"] == {"type": "workflow", "workflowId": workflow_id}


def test_amendments_are_listed_as_records_and_by_last_updated() -> None:
    """The list holds both records; ``lastUpdated`` since the signing finds the amendment only
    (linking it is no change of the SOW record)."""
    clock = _Clock()
    clm, http, _, sow = _signed(clock)
    clock.now += timedelta(hours=1)
    since = clock.now.isoformat()
    amendment = clm.amend("default", sow["id"], _change_order(2))
    listed = http.get(f"{CLM}/records").json()
    assert [r["id"] for r in listed["list"]] == [sow["id"], amendment["id"]]
    changed = http.get(f"{CLM}/records", params={"lastUpdated": since}).json()
    assert [r["id"] for r in changed["list"]] == [amendment["id"]]


def test_versions_must_follow_the_sow_and_its_amendments() -> None:
    clm, _, _, sow = _signed()
    amendment = clm.amend("default", sow["id"], _change_order(2))
    with pytest.raises(ValueError, match=r"does not follow versions \[1, 2\]"):
        clm.amend("default", sow["id"], _change_order(2))
    with pytest.raises(ValueError, match="is itself an amendment"):
        clm.amend("default", amendment["id"], _change_order(3))
    clm.amend("default", sow["id"], _change_order(3))


def test_a_record_is_read_and_renamed_by_its_ironclad_id_too() -> None:
    """Retrieve a Record and Update Record Metadata take "The ID or Ironclad ID"."""
    clm, http, _, sow = _signed()
    amendment = clm.amend("default", sow["id"], _change_order(2))
    assert http.get(f"{CLM}/records/{amendment['ironcladId']}").json()["id"] == amendment["id"]
    renamed = http.patch(f"{CLM}/records/{sow['ironcladId']}", json={"name": "SOW-7 (signed)"})
    assert (renamed.json()["id"], renamed.json()["name"]) == (sow["id"], "SOW-7 (signed)")
    assert http.get(f"{CLM}/records/IC-99").status_code == 404
    assert http.get(f"{CLM}/records/IC-01").status_code == 404  # not a readable id as written
