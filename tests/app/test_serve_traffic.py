"""`q2c serve` checks its clients' traffic against the vendors' specs: every request and answer,
counted per tenant in the contract report; `--strict` refuses what breaks the spec, after the
vendor's own routing and auth, in the vendor's own dialect."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from contracts.consumer import ContractValidator, Violation
from contracts.traffic import NO_TENANT
from sim.app.serve import Sandbox
from tests.support.loopback import LoopbackServer

ADMIN = {"authorization": "Bearer admin"}
ERP = "/erp/api/v2.0"


class Served(LoopbackServer):
    """The sandbox (default tenant, no scenario) on a free loopback port."""

    def __init__(self, *, strict: bool = False) -> None:
        self.sandbox = Sandbox(None, seed=1, admin_token="admin", strict=strict)
        super().__init__(self.sandbox)


@pytest.fixture(scope="module")
def lenient() -> Iterator[Served]:
    with Served() as served:
        yield served


@pytest.fixture(scope="module")
def strict() -> Iterator[Served]:
    with Served(strict=True) as served:
        yield served


@contextmanager
def _client(served: Served, vendor: str) -> Iterator[httpx.Client]:
    """A client of ``vendor`` holding a token of the sandbox's contract client."""
    with httpx.Client(base_url=served.url(f"/{vendor}"), timeout=10) as http:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET}  # fmt: skip
        answer = http.post(served.sandbox.mocks[vendor].auth.token_path, data=form)
        assert answer.status_code == 200, answer.text
        http.headers["authorization"] = f"Bearer {answer.json()['access_token']}"
        yield http


def _company(erp: httpx.Client) -> str:
    company: str = erp.get("/api/v2.0/companies").json()["value"][0]["id"]
    return company


def _report(served: Served, tenant: str = "sandbox") -> dict[str, Any]:
    answer = httpx.get(served.url("/_admin/contract-report"), params={"tenant": tenant},
                       headers=ADMIN)  # fmt: skip
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()["tenants"][tenant]
    return report


def _finding(report: dict[str, Any], operation: str, rule_part: str) -> dict[str, Any]:
    found = [f for f in report["findings"]
             if f["operation"] == operation and rule_part in f["rule"]]  # fmt: skip
    assert found, f"no finding for {operation} / {rule_part}: {report['findings']}"
    return found[0]


CUSTOMERS = "POST /api/v2.0/companies({company_id})/customers"


def test_a_conforming_exchange_leaves_the_report_empty(lenient: Served) -> None:
    """Reads and a valid create are checked both ways and counted, with nothing to report."""
    httpx.delete(lenient.url("/_admin/contract-report"), headers=ADMIN)
    with _client(lenient, "erp") as erp:
        company = _company(erp)
        created = erp.post(
            f"/api/v2.0/companies({company})/customers",
            json={"displayName": "Ok AG", "country": "DE", "currencyCode": "EUR"},
        )
        assert created.status_code == 201, created.text  # fmt: skip
    report = _report(lenient)
    assert report["requests"] == 2
    assert report["findings"] == [] and report["nonconforming_requests"] == 0


def test_requests_that_break_the_spec_are_in_the_report(lenient: Served) -> None:
    """A missing required field, a wrong type, a wrong content type and a query parameter out
    of bounds are each found, with the operation, the rule, an example and a count; the
    lenient server still answers as the vendor does."""
    httpx.delete(lenient.url("/_admin/contract-report"), headers=ADMIN)
    with _client(lenient, "erp") as erp:
        path = f"/api/v2.0/companies({_company(erp)})/customers"
        for _ in range(2):
            missing = erp.post(path, json={"displayName": "No Country", "currencyCode": "EUR"})
            assert missing.status_code == 400  # Business Central has no 422
        typed = erp.post(path, json={"displayName": 7, "country": "DE", "currencyCode": "EUR"})
        assert typed.status_code == 400
        text = erp.post(path, content=b'{"displayName": "T"}',
                        headers={"content-type": "text/plain"})  # fmt: skip
        assert text.status_code >= 400
        assert erp.get(path, params={"$top": "0"}).status_code == 400
    report = _report(lenient)
    required = _finding(report, CUSTOMERS, "required country")
    assert required["count"] == 2 and required["side"] == "request"
    assert "country" in required["example"] and required["vendor"] == "erp"
    typed_finding = _finding(report, CUSTOMERS, "displayName/type")
    assert "7" in typed_finding["example"] and typed_finding["count"] == 1
    media = _finding(report, CUSTOMERS, "media type")
    assert "text/plain" in media["example"]
    top = _finding(report, "GET /api/v2.0/companies({company_id})/customers", "$top: minimum")
    assert "$top='0'" in top["example"]
    assert report["nonconforming_requests"] == 5 and report["nonconforming_responses"] == 0


def test_the_report_is_per_tenant(lenient: Served) -> None:
    """Another tenant's client sends a bad request: it is in its tenant's report only, and a
    request without a token lands under no tenant."""
    for mock in lenient.sandbox.mocks.values():
        mock.auth.register("other-ci", "other-secret", "other")
    lenient.sandbox.mocks["erp"].add_company("other", "OTHER-DE", "DE", "EUR", "Other GmbH")  # type: ignore[union-attr]
    httpx.delete(lenient.url("/_admin/contract-report"), headers=ADMIN)
    with httpx.Client(base_url=lenient.url("/erp"), timeout=10) as erp:
        form = {"grant_type": "client_credentials", "client_id": "other-ci",
                "client_secret": "other-secret"}  # fmt: skip
        token_path = lenient.sandbox.mocks["erp"].auth.token_path
        token = erp.post(token_path, data=form).json()["access_token"]
        erp.headers["authorization"] = f"Bearer {token}"
        path = f"/api/v2.0/companies({_company(erp)})/customers"
        assert erp.post(path, json={"displayName": "X", "currencyCode": "EUR"}).status_code == 400
        assert httpx.get(lenient.url(f"{ERP}/companies")).status_code == 401
    other = _report(lenient, "other")
    assert _finding(other, CUSTOMERS, "required country")["count"] == 1
    assert _report(lenient)["findings"] == []  # the sandbox tenant sent nothing wrong
    everyone = httpx.get(lenient.url("/_admin/contract-report"), headers=ADMIN).json()
    assert set(everyone["tenants"]) == {"other", NO_TENANT}


def test_the_report_wants_the_admin_token(lenient: Served) -> None:
    answer = httpx.get(lenient.url("/_admin/contract-report"))
    assert answer.status_code == 401


def test_strict_refuses_what_breaks_the_spec_naming_the_rule(strict: Served) -> None:
    """A create missing a required field: refused naming the rule, in the vendor's own words
    (Business Central's 400 ``{"error": {"code", "message"}}``: it has no 422), and the vendor
    never saw it (no customer made)."""
    with _client(strict, "erp") as erp:
        path = f"/api/v2.0/companies({_company(erp)})/customers"
        before = len(erp.get(path).json()["value"])
        refused = erp.post(path, json={"displayName": "No Country", "currencyCode": "EUR"})
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/json"
        error = refused.json()["error"]
        assert error["code"] == "BadRequest" and "required country" in error["message"]
        assert len(erp.get(path).json()["value"]) == before
        ok = erp.post(path, json={"displayName": "Ok", "country": "DE", "currencyCode": "EUR"})
        assert ok.status_code == 201
        assert len(erp.get(path).json()["value"]) == before + 1
    assert _report(strict)["refused"] >= 1


def test_strict_answers_a_wrong_content_type_with_415(strict: Served) -> None:
    with _client(strict, "erp") as erp:
        path = f"/api/v2.0/companies({_company(erp)})/customers"
        body = b'{"displayName": "T", "country": "DE", "currencyCode": "EUR"}'
        answer = erp.post(path, content=body, headers={"content-type": "text/plain"})
        assert answer.status_code == 415
        assert "requestBody media type: application/json" in answer.json()["error"]["message"]


def test_strict_keeps_the_vendors_own_refusals(strict: Served) -> None:
    """No token: the vendor's 401, not a 422. A read the vendor refuses itself keeps the
    vendor's 400; Stripe's invalid parameters stay a 400 with Stripe's error object."""
    bad = {"displayName": 7}
    with httpx.Client(base_url=strict.url("/erp"), timeout=10) as anonymous:
        company = "00000000-0000-0000-0000-000000000000"
        answer = anonymous.post(f"/api/v2.0/companies({company})/customers", json=bad)
        assert answer.status_code == 401
    with _client(strict, "erp") as erp:
        listed = erp.get(f"/api/v2.0/companies({_company(erp)})/customers", params={"$top": "0"})
        assert listed.status_code == 400
        assert "x-q2c-contract" not in listed.headers
    with _client(strict, "payments") as payments:
        refused = payments.post("/v1/payment_intents", data={"amount": "x", "currency": "eur"})
        assert refused.status_code == 400
        assert refused.json()["error"]["type"] == "invalid_request_error"


class _Stricter(ContractValidator):
    """The shared contracts plus one rule the ERP mock does not enforce: companies listed
    only with ``$top`` (to see a read the vendor would answer 200 refused by strict)."""

    def request_violations(
        self, vendor: str, method: str, path: str, *args: Any
    ) -> list[Violation]:
        found = super().request_violations(vendor, method, path, *args)
        if path == "/api/v2.0/companies" and "top=" not in (args[2] or ""):
            found.append(Violation("GET /api/v2.0/companies", "request",
                                   "query parameter $top: required", "no $top", "no $top",
                                   422, "$top"))  # fmt: skip
        return found


def test_strict_replaces_a_read_the_vendor_would_answer(
    strict: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read breaking a rule the mock does not enforce: the vendor answers it (nothing
    changes), strict sends the vendor's refusal (Business Central's 400) naming the rule in
    place of the 200."""
    monkeypatch.setattr(strict.sandbox.traffic, "validator", _Stricter(["erp"]))
    with _client(strict, "erp") as erp:
        refused = erp.get("/api/v2.0/companies")
        assert refused.status_code == 400
        assert "query parameter $top: required" in refused.json()["error"]["message"]
        assert erp.get("/api/v2.0/companies", params={"$top": "5"}).status_code == 200


def test_a_fuzzed_stripe_form_gets_stripes_400_not_a_500(lenient: Served) -> None:
    """A key sent as a value and as a hash (Schemathesis found it): Stripe's 400, and the
    report names the unreadable body."""
    httpx.delete(lenient.url("/_admin/contract-report"), headers=ADMIN)
    with _client(lenient, "payments") as payments:
        form = {"content-type": "application/x-www-form-urlencoded"}
        answer = payments.post("/v1/customers", content=b"metadata=1&metadata[a]=2", headers=form)
        assert answer.status_code == 400, answer.text
    _finding(_report(lenient), "POST /v1/customers", "readable")
