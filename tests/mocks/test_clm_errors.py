"""The CLM mock's errors: Ironclad documents no error body, so they stay problem documents,
with Ironclad's statuses (a refused request 400, never 422) and never a 500 of the mock's own,
whoever raises them (routing, auth, the body parser, the fault layer)."""

from __future__ import annotations

import httpx
import pytest

from mocks import ClmMock
from tests.mocks.test_behaviour import CLM, clock
from tests.support.contracts import Contract, problem
from tests.support.vendor_errors import CASES, DECLARED, refusals

STATUSES = {
    "unknown path": 404, "wrong method": 405, "no token": 401, "forged token": 401,
    "scope missing": 403, "broken body": 400, "wrong media type": 415, "fault 429": 429,
    "fault 503 outage": 503, "fault 500": 500, "fault 502": 502, "fault 503": 503,
    "fault 504": 504,
}  # fmt: skip


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("clm")


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_a_problem_document(answers: dict[str, httpx.Response], case: str) -> None:
    problem(answers[case], STATUSES[case])


def test_a_refused_launch_is_400_not_422() -> None:

    http = Contract("clm").client(ClmMock(clock, None).app)
    refused = http.post(f"{CLM}/workflows", json={"template": "statementOfWork"})
    assert problem(refused, 400)["errors"]


def test_every_answer_is_declared_by_clm_yaml(answers: dict[str, httpx.Response]) -> None:
    spec = Contract("clm")
    for case in DECLARED:
        spec.check(answers[case])
