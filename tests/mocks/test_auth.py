"""OAuth 2.0 client credentials in every mock: tokens, scopes per operation, tenancy.

Enforcement is a constructor setting: off where the simulator builds its mocks (the core does
not ask for tokens yet), on for contract tests and ``q2c serve``.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from contracts import VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET, TENANT, fixture
from mocks import build
from mocks._auth import TOKEN_PATHS
from tests.support.contracts import Contract, bc_error, error_message, problem, salesforce_errors

ERP = "/api/v2.0"


class Clock:
    """A clock the test moves by hand (tokens expire by the mock's clock)."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _client(app: object) -> httpx.Client:
    return httpx.Client(transport=app.transport(), base_url="http://mock")  # type: ignore[attr-defined]


def _token(http: httpx.Client, vendor: str, scope: str | None = None, **form: str) -> str:
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    data["client_secret"] = CLIENT_SECRET
    if scope is not None:
        data["scope"] = scope
    data.update(form)
    answer = http.post(TOKEN_PATHS[vendor], data=data)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    lifetime = 10 * 365 * 86400 if vendor == "psa" else 3600  # Kantata's tokens do not expire
    assert body["token_type"] == "Bearer" and body["expires_in"] == lifetime
    token: str = body["access_token"]
    return token


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_operation_declares_the_scope_the_mock_enforces(vendor: str) -> None:
    """Spec and mock agree operation by operation: the bearer scope in `security` is the scope
    the mock checks, every scope is one the oauth2 scheme defines, the token endpoint is public."""
    spec = Contract(vendor)
    declared = spec.spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert declared["tokenUrl"] == TOKEN_PATHS[vendor]
    enforced = build(vendor, Clock()).app.scopes()
    for template, item in spec.spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            scope = enforced[(method.upper(), template)]
            if scope is None:
                assert operation["security"] == [], f"{method} {template} should be public"
                continue
            assert operation["security"] == [{"bearerToken": [scope]}], f"{method} {template}"
            assert scope in declared["scopes"]
            assert {"401", "403"} <= set(operation["responses"])


@pytest.mark.parametrize("vendor", VENDORS)
def test_no_token_or_a_bad_one_is_401_and_a_good_one_passes(vendor: str) -> None:
    """Enforced: every scoped operation without a token or with an unknown one is a 401 problem
    with a Bearer challenge; with the client's token it gets through the gate."""
    mock = fixture(vendor)
    with _client(mock.app) as http:
        token = _token(http, vendor)
        for (method, template), scope in mock.app.scopes().items():
            if scope is None:
                continue
            path = re.sub(r"\{\w+\}", "x", template)
            bare = http.request(method, path)
            assert "Bearer" in bare.headers["www-authenticate"]
            forged = http.request(method, path, headers={"authorization": "Bearer forged"})
            if vendor == "erp":  # Business Central's own error object and code
                assert "authorization" in bc_error(bare, 401, "Authentication_InvalidCredentials")
                assert bc_error(forged, 401).startswith("the token is not valid")
            else:  # each vendor's own error shape (tests.support.contracts.error_message)
                assert "a bearer token is required" in error_message(bare, 401)
                assert "the token is not valid" in error_message(forged, 401)
            assert 'error="invalid_token"' in forged.headers["www-authenticate"]
            admitted = http.request(method, path, headers={"authorization": f"Bearer {token}"})
            assert admitted.status_code not in (401, 403), f"{method} {path}: {admitted.text}"


def test_a_token_without_the_operations_scope_is_403_naming_it() -> None:
    """An ERP token for reading invoices cannot create one: 403 with insufficient_scope."""
    mock = fixture("erp")
    company = mock.tables.table(TENANT, "companies")
    company_id = next(iter(company))
    with _client(mock.app) as http:
        token = _token(http, "erp", scope="erp:invoices.read")
        auth = {"authorization": f"Bearer {token}"}
        listed = http.get(f"{ERP}/companies({company_id})/salesInvoices", headers=auth)
        assert listed.status_code == 200
        refused = http.post(f"{ERP}/companies({company_id})/salesInvoices", json={}, headers=auth)
    message = bc_error(refused, 403, "Authorization_InsufficientPermissions")
    assert "erp:invoices.write" in message
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_another_tenants_record_is_404_and_x_tenant_cannot_switch_tenant() -> None:
    """Tenancy comes from the token: another tenant's company does not exist (404), and an
    X-Tenant header naming that tenant changes nothing."""
    mock = fixture("erp")
    theirs = mock.add_company("rival", "RIVAL-FR", "FR", "EUR", "Rival SAS")
    mock.auth.register("rival-app", "rival-secret", "rival")
    with _client(mock.app) as http:
        token = _token(http, "erp")
        auth = {"authorization": f"Bearer {token}"}
        assert bc_error(http.get(f"{ERP}/companies({theirs})", headers=auth), 404)
        switched = http.get(f"{ERP}/companies({theirs})", headers={**auth, "x-tenant": "rival"})
        assert switched.status_code == 404
        ours = http.get(f"{ERP}/companies", headers=auth).json()["value"]
        rival = _token(http, "erp", client_id="rival-app", client_secret="rival-secret")
        seen = http.get(f"{ERP}/companies", headers={"authorization": f"Bearer {rival}"})
    assert [c["id"] for c in seen.json()["value"]] == [theirs]
    assert theirs not in [c["id"] for c in ours]


def test_tokens_expire_by_the_mocks_clock() -> None:
    """A token is valid for expires_in seconds of the mock's clock, then 401 invalid_token."""
    clock = Clock()
    mock = fixture("crm", clock)
    path = "/services/data/v60.0/query?q=SELECT Id FROM Account"
    with _client(mock.app) as http:
        auth = {"authorization": f"Bearer {_token(http, 'crm')}"}
        assert http.get(path, headers=auth).status_code == 200
        clock.now += timedelta(seconds=3599)
        assert http.get(path, headers=auth).status_code == 200
        clock.now += timedelta(seconds=1)
        expired = http.get(path, headers=auth)
    assert "expired" in error_message(expired, 401)
    assert salesforce_errors(expired, 401, "INVALID_SESSION_ID")  # Salesforce's own code


@pytest.mark.parametrize(
    ("form", "status", "field", "error"),
    [
        ({"client_secret": "wrong"}, 401, "client_id", "invalid_client"),
        ({"client_id": "nobody"}, 401, "client_id", "invalid_client"),
        ({"grant_type": "password"}, 400, "grant_type", "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "grant_type", "unsupported_grant_type"),
        ({"scope": "psa:time.read psa:nope"}, 400, "scope", "invalid_scope"),
        ({"scope": "psa:time.read  psa:time.write"}, 400, "scope", "invalid_scope"),
    ],
)
def test_token_endpoint_refuses_bad_requests_naming_the_field(
    form: dict[str, str], status: int, field: str, error: str
) -> None:
    """RFC 6749 token errors, as problem documents naming the field and the OAuth error."""
    mock = fixture("psa")
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    data["client_secret"] = CLIENT_SECRET
    with _client(mock.app) as http:
        answer = http.post("/oauth/token", data={**data, **form})
    assert problem(answer, status)["errors"] == [{"field": field, "message": error}]


def test_token_endpoint_takes_http_basic_and_grants_only_what_is_asked() -> None:
    """Client authentication by HTTP Basic works too; a token carries only the scopes asked
    for, and a client cannot ask for a scope it was not granted."""
    mock = fixture("tax")
    mock.auth.register("reader", "s3cret", TENANT, ["tax:transactions.read"])
    basic = base64.b64encode(b"reader:s3cret").decode()
    with _client(mock.app) as http:
        answer = http.post(
            "/connect/token",
            data={"grant_type": "client_credentials"},
            headers={"authorization": f"Basic {basic}"},
        )
        assert answer.json()["scope"] == "tax:transactions.read"
        greedy = http.post(
            "/connect/token",
            data={"grant_type": "client_credentials", "scope": "tax:transactions.write"},
            headers={"authorization": f"Basic {basic}"},
        )
    assert problem(greedy, 400)["errors"][0]["field"] == "scope"


def test_tokens_are_deterministic() -> None:
    """Two mocks given the same requests mint the same tokens (no uuid4, no wall clock)."""
    tokens = []
    for _ in range(2):
        with _client(fixture("clm").app) as http:
            tokens.append([_token(http, "clm") for _ in range(3)])
    assert tokens[0] == tokens[1] and len(set(tokens[0])) == 3


def test_enforcement_is_off_by_default_and_x_tenant_selects_the_tenant() -> None:
    """Built as the simulator builds it, a mock ignores Authorization and acts in X-Tenant."""
    mock = build("erp", Clock())
    assert mock.auth.enforce is False
    mine = mock.add_company("acme", "ACME-DE", "DE", "EUR")
    with _client(mock.app) as http:
        listed = http.get(f"{ERP}/companies", headers={"x-tenant": "acme"})
        forged = http.get(f"{ERP}/companies", headers={"authorization": "Bearer forged"})
    assert [c["id"] for c in listed.json()["value"]] == [mine]
    assert forged.status_code == 200 and forged.json()["value"] == []


def test_the_simulated_world_enforces_oauth_for_its_core(small: object) -> None:
    """Every simulated vendor wants tokens, and knows the core as a client of the tenant."""
    from sim.world.world import CORE_CLIENT, World

    world = World(small, seed=1)  # type: ignore[arg-type]
    for vendor in VENDORS:
        assert getattr(world, vendor).auth.enforce is True
    assert world.core_options["client_id"] == CORE_CLIENT
