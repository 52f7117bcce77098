"""The core's OAuth client: bearer tokens with only the scopes it needs, renewed before they
expire and after a 401, and a token endpoint's failure handed to the retry layer."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx

from contracts import VENDORS
from mocks import build
from orchestrator._tokens import SCOPES, TOKEN_PATHS, TokenRuntime
from orchestrator.runtime import run_flow
from sim.runner import run
from sim.scenario.format import Scenario
from tests.support.runtimes import VirtualRuntime


def _vendor(expires_in: int = 3600, first_call: int = 200) -> VirtualRuntime:
    """A vendor that issues numbered tokens and answers calls with ``first_call`` once, then
    200."""
    issued: list[str] = []
    answered: list[int] = []

    def script(n: int, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        if path in TOKEN_PATHS.values():
            issued.append(f"t{len(issued) + 1}")
            return httpx.Response(200, json={"access_token": issued[-1], "token_type": "Bearer",
                                             "expires_in": expires_in})  # fmt: skip
        answered.append(1)
        return httpx.Response(first_call if len(answered) == 1 else 200, json={})

    return VirtualRuntime(script)


def _call(rt: TokenRuntime) -> httpx.Response:
    return run_flow(rt.send("erp", "GET", "/api/v2.0/companies"))


def test_calls_carry_a_bearer_token_asked_for_with_the_cores_scopes() -> None:
    """One token request with the ERP scopes in the table, then the token on the call."""
    inner = _vendor()
    _call(TokenRuntime(inner, "core", "s3cret"))
    token_request, call = inner.sent
    assert token_request[2] == TOKEN_PATHS["erp"]
    assert call[3]["authorization"] == "Bearer t1"


def test_a_token_is_reused_until_shortly_before_it_expires() -> None:
    """Two calls within the hour share a token; after expiry a new one is asked for."""
    inner = _vendor(expires_in=600)
    rt = TokenRuntime(inner, "core", "s3cret")
    _call(rt)
    _call(rt)
    inner.t += 600
    _call(rt)
    tokens = [s[3].get("authorization") for s in inner.sent if s[2] not in TOKEN_PATHS.values()]
    assert tokens == ["Bearer t1", "Bearer t1", "Bearer t2"]


def test_a_401_renews_the_token_and_sends_once_more() -> None:
    """The vendor forgot the token: ask for another and repeat the call, once."""
    inner = _vendor(first_call=401)
    response = _call(TokenRuntime(inner, "core", "s3cret"))
    assert response.status_code == 200
    assert [s[3].get("authorization") for s in inner.sent][1::2] == ["Bearer t1", "Bearer t2"]


def test_a_failing_token_endpoint_is_the_calls_answer() -> None:
    """A 503 from the token endpoint is returned as the call's answer (the retry layer's job)."""
    inner = VirtualRuntime(lambda n, m, p, h: httpx.Response(503, json={}))
    assert _call(TokenRuntime(inner, "core", "s3cret")).status_code == 503
    assert len(inner.sent) == 1


def test_the_core_asks_for_no_scope_it_does_not_use() -> None:
    """Every scope in the table exists at its vendor, and write access the core never uses
    (CRM records, PSA time entries, CLM records) is not among them. The ERP is the exception:
    looking before writing (Business Central has no idempotency keys) reads every document
    kind the core writes, so every ERP scope is used."""
    clock = lambda: datetime(2026, 1, 1, tzinfo=UTC)  # noqa: E731
    for vendor in VENDORS:
        offered = set(build(vendor, clock).auth.scopes)
        assert set(SCOPES[vendor]) <= offered, vendor
        if vendor != "erp":  # the ERP's scopes are all used: reads back every document kind
            assert set(SCOPES[vendor]) < offered, f"{vendor}: the core asks for everything"
    asked = {s for scopes in SCOPES.values() for s in scopes}
    assert not asked & {"crm:records.write", "psa:time.write", "public.records.updateRecords"}


def test_the_form_names_the_client_and_the_scopes() -> None:
    """client_credentials with the client's id and secret and the vendor's scopes."""
    inner = _vendor()
    _call(TokenRuntime(inner, "core", "s3cret"))
    form = parse_qs(inner.sent[0][4].decode())
    assert form == {"grant_type": ["client_credentials"], "client_id": ["core"],
                    "client_secret": ["s3cret"], "scope": [" ".join(SCOPES["erp"])]}  # fmt: skip


def test_a_whole_run_with_every_vendor_enforcing_oauth(small: Scenario) -> None:
    """The simulated vendors all want tokens: not one 401 or 403, every invariant holds."""
    result = run(small, seed=1)
    assert result.metrics["api_errors"] == {}
    assert result.metrics["invariants"]["violations"] == []


def test_a_lost_token_answer_is_unavailable_not_an_unknown_write() -> None:
    """The token request times out: the call never went out, so it is a 503 to retry, not an
    OutcomeUnknown for the write it was for."""

    def script(n: int, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        raise httpx.ReadTimeout("lost")

    answer = run_flow(TokenRuntime(VirtualRuntime(script), "core", "s").send("psa", "POST", "/x"))
    assert answer.status_code == 503
