"""`q2c serve` tenants: each CI job its own OAuth client and records on one shared server, reset
and deleted on its own; tokens that never repeat across server starts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from mocks import Call
from sim.app.serve import Sandbox
from sim.scenario import load_scenario
from tests.support.paths import SMALL

ADMIN = {"authorization": "Bearer admin-secret"}
CRM = "/crm/services/data/v60.0"
ERP = "/erp/api/v2.0"
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Client:
    """Synchronous calls into the sandbox's ASGI app (no server: the app is what is tested)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def __call__(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.sandbox, client=("127.0.0.1", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://q2c") as http:
                return await http.request(method, path, **kwargs)

        return asyncio.run(go())

    def token(self, vendor: str, client_id: str, secret: str) -> dict[str, str]:
        path = f"/{vendor}{self.sandbox.mocks[vendor].auth.token_path}"
        form = {"grant_type": "client_credentials", "client_id": client_id}
        response = self(
            "POST",
            path,
            headers=FORM,
            content=str(httpx.QueryParams({**form, "client_secret": secret})),
        )
        assert response.status_code == 200, response.text
        return {"authorization": f"Bearer {response.json()['access_token']}"}

    def tenant(self, body: Any = None) -> dict[str, Any]:
        response = self("POST", "/_admin/tenants", headers=ADMIN, json=body)
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        return made


@pytest.fixture
def http() -> Client:
    return Client(Sandbox(None, 7, "admin-secret"))


def _accounts(http: Client, auth: dict[str, str]) -> list[str]:
    query = {"q": "SELECT Id, Name FROM Account"}
    body = http("GET", f"{CRM}/query", params=query, headers=auth).json()
    return [r["Name"] for r in body["records"]]


def _company(http: Client, auth: dict[str, str]) -> str:
    companies = http("GET", f"{ERP}/companies", headers=auth).json()["value"]
    assert len(companies) == 1
    return str(companies[0]["id"])


def test_two_tenants_never_see_each_others_records(http: Client) -> None:
    a, b = http.tenant(), http.tenant()
    assert a["id"] != b["id"] and a["client_id"] != b["client_id"]
    assert a["client_secret"] != b["client_secret"] and len(a["client_secret"]) >= 32
    auth_a = http.token("crm", a["client_id"], a["client_secret"])
    auth_b = http.token("crm", b["client_id"], b["client_secret"])
    made = http("POST", f"{CRM}/sobjects/Account", headers=auth_a, json={"Name": "Only A"})
    assert made.status_code == 201
    assert _accounts(http, auth_a) == ["Only A"]
    assert _accounts(http, auth_b) == []
    # by id too, and whatever X-Tenant says: the token decides
    stolen = http("GET", f"{CRM}/sobjects/Account/{made.json()['id']}",
                  headers={**auth_b, "x-tenant": a["id"]})  # fmt: skip
    assert stolen.status_code == 404
    erp_a = http.token("erp", a["client_id"], a["client_secret"])
    erp_b = http.token("erp", b["client_id"], b["client_secret"])
    co_a, co_b = _company(http, erp_a), _company(http, erp_b)
    customer = {"displayName": "A's client", "country": "DE", "currencyCode": "EUR"}
    assert http("POST", f"{ERP}/companies({co_a})/customers", headers=erp_a,
                json=customer).status_code == 201  # fmt: skip
    listed = http("GET", f"{ERP}/companies({co_a})/customers", headers=erp_b)
    assert listed.status_code == 404  # another tenant's company does not exist here
    assert http("GET", f"{ERP}/companies({co_b})/customers", headers=erp_b).json()["value"] == []
    # the listing shows who exists, never a secret
    listing = http("GET", "/_admin/tenants", headers=ADMIN).json()["tenants"]
    assert [t["id"] for t in listing] == [a["id"], b["id"]]
    assert all("client_secret" not in t for t in listing)
    one = http("GET", f"/_admin/tenants/{a['id']}", headers=ADMIN).json()
    assert one == {k: v for k, v in a.items() if k != "client_secret"}


def test_reset_and_delete_touch_one_tenant_only(http: Client) -> None:
    a, b = http.tenant(), http.tenant()
    auth_a = http.token("crm", a["client_id"], a["client_secret"])
    auth_b = http.token("crm", b["client_id"], b["client_secret"])
    for auth, name in ((auth_a, "A"), (auth_b, "B")):
        http("POST", f"{CRM}/sobjects/Account", headers=auth, json={"Name": name})
    # the server's own tenant, through the documented sandbox client
    own = http.token("crm", CLIENT_ID, CLIENT_SECRET)
    http("POST", f"{CRM}/sobjects/Account", headers=own, json={"Name": "own"})

    assert http("POST", f"/_admin/tenants/{a['id']}/reset", headers=ADMIN).status_code == 204
    assert (
        http(
            "GET", f"{CRM}/query", params={"q": "SELECT Id FROM Account"}, headers=auth_a
        ).status_code
        == 401
    )  # fmt: skip  (its tokens are revoked)
    auth_a = http.token("crm", a["client_id"], a["client_secret"])  # the client still works
    assert _accounts(http, auth_a) == []
    assert _accounts(http, auth_b) == ["B"]
    assert _accounts(http, own) == ["own"]

    # the old global reset resets the server's own tenant, nobody else's
    assert http("POST", "/_admin/reset", headers=ADMIN).status_code == 204
    own = http.token("crm", CLIENT_ID, CLIENT_SECRET)
    assert _accounts(http, own) == []
    assert _accounts(http, auth_b) == ["B"]

    assert http("DELETE", f"/_admin/tenants/{b['id']}", headers=ADMIN).status_code == 204
    assert http("GET", f"{CRM}/query", params={"q": "SELECT Id FROM Account"},
                headers=auth_b).status_code == 401  # fmt: skip
    form = {"grant_type": "client_credentials", "client_id": b["client_id"],
            "client_secret": b["client_secret"]}  # fmt: skip
    gone = http("POST", "/crm/services/oauth2/token", headers=FORM,
                content=str(httpx.QueryParams(form)))  # fmt: skip
    assert gone.status_code == 401
    assert all(b["id"] not in m.tables.tenants() for m in http.sandbox.mocks.values())
    again = http("POST", f"/_admin/tenants/{b['id']}/reset", headers=ADMIN)
    assert again.status_code == 404 and again.json()["errors"][0]["field"] == "id"
    assert http("DELETE", f"/_admin/tenants/{b['id']}", headers=ADMIN).status_code == 404
    assert http("POST", "/_admin/tenants", json={}).status_code == 401  # admin token needed


def test_a_tenant_is_seeded_from_a_scenario_if_asked(http: Client) -> None:
    made = http.tenant({"scenario": str(SMALL)})
    assert made["scenario"] == str(SMALL)
    auth = http.token("erp", made["client_id"], made["client_secret"])
    companies = http("GET", f"{ERP}/companies", headers=auth).json()["value"]
    expected = [e.id for e in load_scenario(SMALL).legal_entities]
    assert [c["name"] for c in companies] == expected
    # reset reseeds from the same scenario
    assert http("POST", f"/_admin/tenants/{made['id']}/reset", headers=ADMIN).status_code == 204
    auth = http.token("erp", made["client_id"], made["client_secret"])
    assert len(http("GET", f"{ERP}/companies", headers=auth).json()["value"]) == len(expected)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scenario": "no-such-scenario"}, "scenario"),
        ({"scenario": 3}, "scenario"),
        ({"seed_from": "x"}, "scenario"),
    ],
)
def test_a_bad_tenant_request_is_a_422_naming_the_field(
    http: Client, body: dict[str, Any], field: str
) -> None:
    response = http("POST", "/_admin/tenants", headers=ADMIN, json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


def test_a_broken_scenario_names_file_line_and_field(http: Client, tmp_path: Any) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SMALL.read_text().replace("legal_entities:", "legal_entitees:", 1))
    response = http("POST", "/_admin/tenants", headers=ADMIN, json={"scenario": str(broken)})
    assert response.status_code == 422
    assert str(broken) in response.json()["detail"]
    assert any(e["field"].startswith("scenario:") for e in response.json()["errors"])


def test_tokens_differ_between_server_starts_and_name_their_client() -> None:
    tokens = []
    for _ in range(2):
        http = Client(Sandbox(None, 7, "admin-secret"))
        tokens.append(http.token("crm", CLIENT_ID, CLIENT_SECRET))
    assert tokens[0] != tokens[1]
    # the gate tells the fault layer which OAuth client a call came from
    crm = http.sandbox.mocks["crm"].app
    call = Call("GET", "/services/data/v60.0/query", {}, {"q": "SELECT Id FROM Account"},
                httpx.Headers(tokens[1]), b"")  # fmt: skip
    assert crm.dispatch(call).status == 200
    assert call.granted_client == "q2c-contract"
