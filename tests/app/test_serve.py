"""`q2c serve`: the six mocks over real loopback sockets, each with its spec and OAuth, and an
admin API that turns faults on and off at run time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import sim.app.serve
from contracts import VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET, run_vendor
from sim.app.serve import Sandbox
from tests.support.cli import invoke
from tests.support.paths import SMALL
from tests.support.served import q2c_serve

ADMIN_TOKEN = "test-admin-token"
ERP = "/erp/api/v2.0"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """`q2c serve` in a subprocess on a free loopback port, seeded from the small scenario."""
    options = ("--seed", "3", "--scenario", str(SMALL), "--admin-token", ADMIN_TOKEN)
    with q2c_serve(*options) as server:
        yield server.base


def _token(http: httpx.Client, base: str, vendor: str, path: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    answer = http.post(f"{base}/{vendor}{path}", data=form)
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def test_every_vendor_serves_its_spec_under_its_mount(served: str) -> None:
    """Each mount answers its own spec, whose server is the mount and token URL under it."""
    with httpx.Client(timeout=5) as http:
        for vendor in VENDORS:
            spec = http.get(f"{served}/{vendor}/openapi.json").json()
            assert spec["servers"][0]["url"] == f"/{vendor}"
            flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
            assert flow["tokenUrl"].startswith(f"/{vendor}/")


def test_schemathesis_against_the_served_erp(served: str) -> None:
    """Schemathesis over real sockets, all phases and default checks: the ERP conforms."""
    score = run_vendor("erp", examples=3, max_steps=4, url=f"{served}/erp/openapi.json")
    found = [(f.operation, f.check, f.message[:200]) for f in score.failures]
    assert score.ok, found + score.errors
    assert all(op.examples > 0 for op in score.operations.values())
    assert sum(n for status, n in score.statuses.items() if status < 300) > len(score.operations)


def test_the_erp_is_seeded_from_the_scenario(served: str) -> None:
    """The served ERP's companies are the scenario's legal entities, in its tenant."""
    with httpx.Client(timeout=5) as http:
        auth = _token(http, served, "erp", "/oauth2/v2.0/token")
        companies = http.get(f"{served}{ERP}/companies", headers=auth).json()["value"]
    names = [c["name"] for c in companies]
    assert names == ["DE01", "GB01"]


def test_admin_turns_a_429_storm_on_and_off_for_one_vendor(served: str) -> None:
    """A quota rule added through the admin API makes the ERP answer a bare 429 (Business
    Central sends no Retry-After) while the CRM is untouched; removing it ends the storm."""
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(timeout=5) as http:
        erp = _token(http, served, "erp", "/oauth2/v2.0/token")
        crm = _token(http, served, "crm", "/services/oauth2/token")
        query = f"{served}/crm/services/data/v60.0/query?q=SELECT Id FROM Account"
        storm = {"kind": "quota", "windows": [{"limit": 1, "window_s": 3600}]}
        added = http.post(f"{served}/_admin/faults/erp", json=storm, headers=admin)
        assert added.status_code == 201, added.text
        rule_id = added.json()["id"]
        listed = http.get(f"{served}/_admin/faults", headers=admin).json()
        assert [r["id"] for r in listed["erp"]] == [rule_id] and listed["crm"] == []
        answers = [http.get(f"{served}{ERP}/companies", headers=erp) for _ in range(4)]
        throttled = [a for a in answers if a.status_code == 429]
        assert len(throttled) >= 3
        assert "retry-after" not in throttled[0].headers
        assert throttled[0].json()["error"]["code"] == "Application_TooManyRequests"  # BC's
        assert http.get(query, headers=crm).status_code == 200
        removed = http.delete(f"{served}/_admin/faults/erp/{rule_id}", headers=admin)
        assert removed.status_code == 204
        assert http.get(f"{served}{ERP}/companies", headers=erp).status_code == 200
        assert http.get(f"{served}/_admin/faults", headers=admin).json()["erp"] == []


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "outage", "start": "2026-01-01T00:00:00", "end": "2026-01-02T00:00:00Z"},
        {"kind": "outage", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"kind": "quota", "windows": []},
        {"kind": "schema_drift", "start": "2026-01-01T00:00:00"},
    ],
)
def test_admin_refuses_a_rule_it_could_not_apply(served: str, rule: dict[str, Any]) -> None:
    """A naive datetime, an outage ending before it starts, a quota limiting nothing: 422
    naming the field, and the vendor keeps answering (these used to break every request)."""
    admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(timeout=5) as http:
        refused = http.post(f"{served}/_admin/faults/erp", json=rule, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert http.get(f"{served}/_admin/faults", headers=admin).json()["erp"] == []
        erp = _token(http, served, "erp", "/oauth2/v2.0/token")
        assert http.get(f"{served}{ERP}/companies", headers=erp).status_code == 200


def test_a_header_beyond_ascii_is_not_a_server_error(served: str) -> None:
    """Header octets outside ASCII (a UTF-8 tenant or token) get a 4xx, never a 500."""
    with httpx.Client(timeout=5) as http:
        answer = http.get(
            f"{served}{ERP}/companies",
            headers={"authorization": "Bearer é".encode(), "x-tenant": "é".encode()},
        )
    assert 400 <= answer.status_code < 500


def test_admin_wants_its_token_and_reset_restores_seeded_state(served: str) -> None:
    """Without the admin token the admin API is a 401; reset drops records made since start."""
    with httpx.Client(timeout=5) as http:
        assert http.get(f"{served}/_admin/faults").status_code == 401
        bad = {"authorization": "Bearer nope"}
        assert http.post(f"{served}/_admin/reset", headers=bad).status_code == 401
        crm = _token(http, served, "crm", "/services/oauth2/token")
        api = f"{served}/crm/services/data/v60.0"
        made = http.post(f"{api}/sobjects/Account", json={"Name": "Temp"}, headers=crm)
        assert made.status_code == 201
        reset = http.post(
            f"{served}/_admin/reset", headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert reset.status_code == 204
        crm = _token(http, served, "crm", "/services/oauth2/token")  # tokens did not survive
        gone = http.get(f"{api}/sobjects/Account/{made.json()['id']}", headers=crm)
    assert gone.status_code == 404


def test_admin_api_refuses_remote_clients_unless_allowed() -> None:
    """From a non-loopback client the admin API is a 403; the vendors still answer."""
    sandbox = Sandbox(None, seed=1, admin_token=ADMIN_TOKEN)
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}

    async def fetch(path: str, client: tuple[str, int]) -> httpx.Response:
        transport = httpx.ASGITransport(app=sandbox, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
            return await http.get(path, headers=headers)

    remote = ("192.0.2.7", 4000)
    assert asyncio.run(fetch("/_admin/faults", remote)).status_code == 403
    assert asyncio.run(fetch("/_admin/faults", ("127.0.0.1", 4000))).status_code == 200
    assert asyncio.run(fetch("/erp/openapi.json", remote)).status_code == 200
    sandbox.allow_remote = True
    assert asyncio.run(fetch("/_admin/faults", remote)).status_code == 200


def test_binding_beyond_loopback_needs_allow_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    """--host 0.0.0.0 alone is bad input (exit 2); with --allow-remote it warns (the server
    itself is replaced here: nothing is bound)."""
    code, _, err = invoke("serve", "--host", "0.0.0.0")
    assert code == 2 and "--allow-remote" in err
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(sim.app.serve, "serve", lambda **kw: started.append(kw))
    code, _, err = invoke("serve", "--host", "0.0.0.0", "--allow-remote", "--port", "9")
    assert code == 0, err
    assert "warning" in err and "other machines" in err
    assert started and started[0]["allow_remote"] is True and started[0]["host"] == "0.0.0.0"


def test_a_malformed_scenario_is_bad_input(tmp_path: Any) -> None:
    """--scenario with a broken file exits 2 naming the file, before anything is served."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nlegal_entities: 5\n")
    code, _, err = invoke("serve", "--scenario", str(broken))
    assert code == 2 and "broken.yaml" in err
