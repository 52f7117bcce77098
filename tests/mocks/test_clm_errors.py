"""The CLM mock's errors are Ironclad's ``{code, message, param}`` with Ironclad's statuses (a
refused request 400 ``MISSING_PARAM``/``INVALID_PARAM``, never 422) and never a 500 of the
mock's own, whoever raises them (routing, auth, the body parser, the fault layer)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks import ClmMock
from tests.mocks.test_behaviour import CLM, clock
from tests.support.contracts import Contract
from tests.support.vendor_errors import CASES, DECLARED, refusals

EXPECTED = {
    "unknown path": (404, "NOT_FOUND"), "wrong method": (405, "METHOD_NOT_ALLOWED"),
    "no token": (401, "UNAUTHORIZED"), "forged token": (401, "UNAUTHORIZED"),
    "scope missing": (403, "FORBIDDEN"), "broken body": (400, "INVALID_PARAM"),
    "wrong media type": (415, "UNSUPPORTED_MEDIA_TYPE"), "fault 429": (429, "TOO_MANY_REQUESTS"),
    "fault 503 outage": (503, "SERVICE_UNAVAILABLE"), "fault 500": (500, "INTERNAL_SERVER_ERROR"),
    "fault 502": (502, "BAD_GATEWAY"), "fault 503": (503, "SERVICE_UNAVAILABLE"),
    "fault 504": (504, "GATEWAY_TIMEOUT"),
}  # fmt: skip


def ironclad_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Ironclad's error body, after checking status, media type, shape and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body: dict[str, Any] = response.json()
    assert set(body) - {"param"} == {"code", "message"} and body["message"], body
    assert body["code"] == code, body
    return body


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("clm")


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_ironclads(answers: dict[str, httpx.Response], case: str) -> None:
    ironclad_error(answers[case], *EXPECTED[case])


def test_a_refused_launch_is_a_400_naming_the_parameter() -> None:
    http = Contract("clm").client(ClmMock(clock, None).app)
    missing = http.post(f"{CLM}/workflows", json={"template": "statementOfWork"})
    assert ironclad_error(missing, 400, "MISSING_PARAM")["param"] == "attributes"
    wrong = http.post(f"{CLM}/workflows", json={"template": "nda", "attributes": {}})
    assert ironclad_error(wrong, 400, "INVALID_PARAM")["param"] == "template"
    paged = http.get(f"{CLM}/records", params={"pageSize": 101})
    assert ironclad_error(paged, 400, "INVALID_PARAM")["param"] == "pageSize"


def test_a_missing_record_is_not_found() -> None:
    http = Contract("clm").client(ClmMock(clock, None).app)
    ironclad_error(http.get(f"{CLM}/records/nope"), 404, "NOT_FOUND")
    ironclad_error(http.get(f"{CLM}/workflows/nope"), 404, "NOT_FOUND")


def test_every_answer_is_declared_by_clm_yaml(answers: dict[str, httpx.Response]) -> None:
    spec = Contract("clm")
    for case in DECLARED:
        spec.check(answers[case])
