"""The CLM mock's conformance sequence (Ironclad's public API): workflows launched and paged,
one executed into a record that is read and renamed; every answer checked against
contracts/clm.yaml (see ``test_conform``)."""

from __future__ import annotations

from mocks import ClmMock
from tests.support.conform import _terms
from tests.support.contracts import Contract
from tests.support.mock_worlds import clock


def test_clm_conforms() -> None:
    """CLM: workflows launched and paged, one executed into a record that is read and renamed."""
    clm = ClmMock(clock, lambda _: None)
    spec = Contract("clm")
    api = "/public/api/v1"
    with spec.client(clm.app) as http:
        ids = []
        for n in range(3):
            launched = http.post(
                f"{api}/workflows",
                json={
                    "template": "statementOfWork",
                    "attributes": {
                        "counterpartyName": f"Client {n}",
                        "opportunityId": f"006{n:015d}",
                        "agreementValue": 1000 + n,
                        "currency": "EUR",
                    },
                },
            )
            assert launched.status_code == 200  # as Ironclad answers a synchronous launch
            ids.append(launched.json()["id"])
        assert http.get(f"{api}/workflows/{ids[0]}").json()["status"] == "active"
        page0 = http.get(f"{api}/workflows", params={"page": 0, "pageSize": 2}).json()
        page1 = http.get(f"{api}/workflows", params={"page": 1, "pageSize": 2}).json()
        assert [w["id"] for w in page0["list"] + page1["list"]] == ids
        assert page0["count"] == 3

        record = clm.execute("default", ids[1], _terms())
        completed = http.get(f"{api}/workflows/{ids[1]}").json()
        assert (completed["status"], completed["recordIds"]) == ("completed", [record["id"]])
        listed = http.get(f"{api}/records").json()
        assert [r["id"] for r in listed["list"]] == [record["id"]]
        assert http.get(f"{api}/records/{record['id']}").json()["versions"][0]["number"] == 1
        renamed = http.patch(f"{api}/records/{record['id']}", json={"name": "SOW 1 (signed)"})
        assert renamed.json()["name"] == "SOW 1 (signed)"

        assert http.patch(f"{api}/records/{record['id']}", json={}).status_code == 400
        assert http.get(f"{api}/records/nope").status_code == 404
        assert http.get(f"{api}/workflows/nope").status_code == 404
        assert http.get(f"{api}/workflows", params={"pageSize": 101}).status_code == 400
        assert http.get(f"{api}/records", params={"page": -1}).status_code == 400
        assert http.post(f"{api}/workflows", json={"template": "nda"}).status_code == 400
        assert http.post(f"{api}/workflows", content=b"").status_code == 400
    assert spec.covered() == spec.operations(public=False)
