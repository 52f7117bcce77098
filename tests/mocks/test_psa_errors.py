"""Every error of the PSA mock is Kantata OX's ``{"errors": [{type, message, field}]}``
(``validation`` with the field, ``oauth`` on 401/403, ``system`` otherwise) with Kantata's
status, whoever raises it (routing, auth, the body parser, the fault layer)."""

from __future__ import annotations

import httpx
import pytest

from tests.mocks.test_behaviour import PSA, PsaWorld
from tests.support.contracts import Contract, kantata_errors
from tests.support.vendor_errors import CASES, DECLARED, refusals

EXPECTED = {
    "unknown path": (404, "system"),
    "wrong method": (405, "system"),
    "no token": (401, "oauth"),
    "forged token": (401, "oauth"),
    "scope missing": (403, "oauth"),
    "broken body": (400, "system"),
    "wrong media type": (415, "system"),
    "fault 429": (429, "system"),
    "fault 503 outage": (503, "system"),
    "fault 500": (500, "system"),
    "fault 502": (502, "system"),
    "fault 503": (503, "system"),
    "fault 504": (504, "system"),
}


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("psa")


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_kantatas(answers: dict[str, httpx.Response], case: str) -> None:
    status, kind = EXPECTED[case]
    assert [e["type"] for e in kantata_errors(answers[case], status)] == [kind]


def test_a_refused_field_is_a_422_validation_error_per_field() -> None:
    """Kantata's specs declare 422 for a model that does not validate: one error each."""
    world = PsaWorld()
    body = {"workspace": {"title": "", "currency": "eur"}}
    errors = kantata_errors(world.http.post(f"{PSA}/workspaces", json=body), 422)
    assert {e["type"] for e in errors} == {"validation"}
    assert sorted(e["field"] for e in errors) == ["workspace.currency", "workspace.title"]


def test_every_answer_is_declared_by_psa_yaml(answers: dict[str, httpx.Response]) -> None:
    spec = Contract("psa")
    for case in DECLARED:
        spec.check(answers[case])
