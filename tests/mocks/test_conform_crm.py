"""The CRM mock's conformance sequence (Salesforce's sObject REST API): accounts and
opportunities created, read, queried across pages and updated, and refused as Salesforce
refuses them; every answer checked against contracts/crm.yaml (see ``test_conform``)."""

from __future__ import annotations

import httpx

from mocks import CrmMock
from tests.support.contracts import Contract, salesforce_errors
from tests.support.mock_worlds import JSON, clock


def test_crm_conforms() -> None:
    """CRM: accounts and opportunities created, read, queried across pages and updated."""
    crm = CrmMock(clock, lambda _: None)
    spec = Contract("crm")
    api = "/services/data/v60.0"
    with spec.client(crm.app) as http:
        account = http.post(f"{api}/sobjects/Account", json={"Name": "Acme", "Industry": "Eng"})
        assert account.status_code == 201
        account_id = account.json()["id"]
        opp = http.post(
            f"{api}/sobjects/Opportunity",
            json={
                "Name": "Acme SOW",
                "AccountId": account_id,
                "StageName": "Prospecting",
                "CloseDate": "2024-03-31",
                "Amount": 125000.50,
                "CurrencyIsoCode": "EUR",
            },
        )
        assert opp.status_code == 201
        opp_id = opp.json()["id"]
        assert http.get(f"{api}/sobjects/Account/{account_id}").json()["Name"] == "Acme"
        patched = http.patch(
            f"{api}/sobjects/Opportunity/{opp_id}",
            json={"StageName": "Closed Won", "Description": None},
        )
        assert patched.status_code == 204
        read = http.get(f"{api}/sobjects/Opportunity/{opp_id}").json()
        assert (read["IsWon"], read["IsClosed"]) == (True, True)
        assert (
            http.patch(f"{api}/sobjects/Account/{account_id}", json={"City": "x"}).status_code
            == 400  # Salesforce's INVALID_FIELD
        )

        for n in range(1, 201):
            crm.create("default", "Account", {"Name": f"Client {n}"})
        first = http.get(f"{api}/query", params={"q": "SELECT Id, Name FROM Account"}).json()
        assert (first["totalSize"], len(first["records"]), first["done"]) == (201, 200, False)
        second = http.get(first["nextRecordsUrl"]).json()
        assert (len(second["records"]), second["done"]) == (1, True)
        assert "nextRecordsUrl" not in second
        won = http.get(
            f"{api}/query",
            params={"q": "SELECT Id, IsWon FROM Opportunity WHERE StageName = 'Closed Won'"},
        ).json()
        assert [r["Id"] for r in won["records"]] == [opp_id]

        assert http.get(f"{api}/query", params={"q": "DELETE FROM Account"}).status_code == 400
        assert http.get(f"{api}/query").status_code == 400
        bad_page = http.get(f"{api}/query", params={"q": "SELECT Id FROM Account", "page": "0"})
        assert bad_page.status_code == 400
        assert http.get(f"{api}/sobjects/Account/001999999999999999").status_code == 404
        orphan = {
            "Name": "x",
            "AccountId": "001000000000000999",
            "StageName": "Prospecting",
            "CloseDate": "2024-01-01",
        }
        refused = http.post(f"{api}/sobjects/Opportunity", json=orphan)  # a lookup, not a path
        assert salesforce_errors(refused, 400, "INVALID_CROSS_REFERENCE_KEY")[0]["fields"] == [
            "AccountId"
        ]
        assert http.post(f"{api}/sobjects/Account", headers=JSON, content=b"{").status_code == 400
        wrong = http.post(f"{api}/sobjects/Account", headers={"content-type": "text/plain"},
                          content=b'{"Name": "x"}')  # fmt: skip
        assert salesforce_errors(wrong, 415, "UNSUPPORTED_MEDIA_TYPE")[0]["fields"] == [
            "content-type"
        ]
        empty = http.post(f"{api}/sobjects/Account", json={"Name": ""})
        assert salesforce_errors(empty, 400, "REQUIRED_FIELD_MISSING")[0]["fields"] == ["Name"]
        day = {"start": "2024-02-29T00:00:00+00:00", "end": "2024-03-01T08:00:00+00:00"}
        for sobject in ("Account", "Opportunity"):  # the replication call (sObject Get Updated)
            assert http.get(f"{api}/sobjects/{sobject}/updated/", params=day).status_code == 200
        assert (
            http.get(f"{api}/sobjects/Account/updated/", params={"start": "x"}).status_code == 400
        )
    assert spec.covered() == spec.operations(public=False)
    # an sObject type the org does not expose is no path of the API at all
    with httpx.Client(transport=crm.app.transport(), base_url="http://x") as raw:
        unknown = raw.post(f"{api}/sobjects/Contact", json={"LastName": "x"})
    assert salesforce_errors(unknown, 404, "NOT_FOUND")
