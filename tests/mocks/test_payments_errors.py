"""Every error of the payments mock is Stripe's ``{"error": {type, code, param, message,
doc_url}}`` with Stripe's status, whoever raises it (routing, auth, the form parser, the fault
layer): 404 ``resource_missing``, 429 ``rate_limit``, 5xx ``api_error``."""

from __future__ import annotations

import httpx
import pytest

from tests.support.contracts import Contract
from tests.support.payments import World
from tests.support.vendor_errors import CASES, DECLARED, refusals

EXPECTED = {
    "unknown path": (404, "invalid_request_error", None),
    "wrong method": (405, "invalid_request_error", None),
    "no token": (401, "invalid_request_error", None),
    "forged token": (401, "invalid_request_error", None),
    "scope missing": (403, "invalid_request_error", None),
    "broken body": (400, "invalid_request_error", None),
    "wrong media type": (400, "invalid_request_error", None),
    "fault 429": (429, "invalid_request_error", "rate_limit"),
    "fault 503 outage": (503, "api_error", None),
    "fault 500": (500, "api_error", None),
    "fault 502": (502, "api_error", None),
    "fault 503": (503, "api_error", None),
    "fault 504": (504, "api_error", None),
}


def _stripe(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return dict(body["error"])


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("payments", form=True)


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_stripes(answers: dict[str, httpx.Response], case: str) -> None:
    status, kind, code = EXPECTED[case]
    error = _stripe(answers[case], status)
    assert (error["type"], error.get("code")) == (kind, code)
    if code is not None:
        assert error["doc_url"] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")


def test_an_unknown_path_is_an_unrecognized_request_url(answers: dict[str, httpx.Response]) -> None:
    assert _stripe(answers["unknown path"], 404)["message"].startswith("Unrecognized request URL")


def test_a_missing_object_and_a_missing_param_carry_stripes_codes() -> None:
    world = World()
    missing = _stripe(world.http.get("/v1/customers/cus_nope"), 404)
    assert (missing["code"], missing["param"]) == ("resource_missing", "customer")
    absent = _stripe(world.http.post("/v1/payment_intents", data={"amount": "100"}), 400)
    assert (absent["code"], absent["param"]) == ("parameter_missing", "currency")


def test_a_reused_key_with_other_params_is_an_idempotency_error() -> None:
    world = World()
    key = {"Idempotency-Key": "k-errors"}
    assert world.http.post("/v1/customers", data={"name": "A"}, headers=key).status_code == 200
    clash = _stripe(world.http.post("/v1/customers", data={"name": "B"}, headers=key), 400)
    assert clash["type"] == "idempotency_error"


def test_every_answer_is_declared_by_payments_yaml(answers: dict[str, httpx.Response]) -> None:
    spec = Contract("payments")
    for case in DECLARED:
        spec.check(answers[case])
