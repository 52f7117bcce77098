"""Every error of the tax mock is AvaTax's ``{"error": {code, message, target, details}}``
with AvaTax's code, number and status, whoever raises it (routing, auth, the body parser, the
fault layer): every refusal 400, never 409 or 422."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from mocks._tax_errors import HELP, NUMBERS
from tests.support.contracts import Contract, avatax_error
from tests.support.tax import CREATE, World, _doc
from tests.support.vendor_errors import CASES, DECLARED, refusals

REAL = Path(__file__).resolve().parents[3] / "shared" / "vendor-specs" / "avatax.yaml"
EXPECTED = {
    "unknown path": (404, "IncorrectPathError", "HttpRequest"),
    "wrong method": (405, "IncorrectPathError", "HttpRequest"),
    "no token": (401, "AuthenticationException", "HttpRequestHeaders"),
    "forged token": (401, "AuthenticationException", "HttpRequestHeaders"),
    "scope missing": (403, "AuthorizationException", "HttpRequestHeaders"),
    "broken body": (400, "JsonFormatError", "IncorrectData"),
    "wrong media type": (415, "InvalidRequestContentType", "HttpRequestHeaders"),
    "fault 429": (429, "RateLimitExceededError", "HttpRequestHeaders"),
    "fault 503 outage": (503, "ServiceNotReady", "Unknown"),
    "fault 500": (500, "InternalServerError", "Unknown"),
    "fault 502": (502, "ServerUnreachable", "Unknown"),
    "fault 503": (503, "ServiceNotReady", "Unknown"),
    "fault 504": (504, "ServerUnreachable", "Unknown"),
}


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("tax")


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_avataxs(answers: dict[str, httpx.Response], case: str) -> None:
    status, code, target = EXPECTED[case]
    error = avatax_error(answers[case], status, code)
    assert error["target"] == target
    detail = error["details"][0]
    assert (detail["number"], detail["helpLink"]) == (NUMBERS[code], HELP + code)
    assert detail["faultCode"] == ("Server" if status >= 500 else "Client")


@pytest.mark.parametrize(
    ("change", "code", "refers"),
    [
        ({"type": "Invoice"}, "InvalidEnumValue", "type"),
        ({"customerCode": None}, "JsonFormatError", "customerCode"),
        ({"addresses": {}}, "ValueRequiredError", "addresses"),
        ({"currencyCode": "XXX"}, "InvalidParameterValue", "currencyCode"),
        ({"colour": "red"}, "ModelStateInvalid", "colour"),
    ],
)
def test_a_refused_document_is_400_referring_to_the_field(
    change: dict[str, object], code: str, refers: str
) -> None:
    body = {**_doc("100.00"), **change}
    error = avatax_error(World().post(CREATE, body), 400, code)
    assert error["details"][0]["refersTo"] == refers


def test_every_code_and_number_is_avataxs_own() -> None:
    """Each code the mock answers, with its number, is in AvaTax's ErrorDetail enum (its own
    spec, when ../shared/vendor-specs is present)."""
    if not REAL.exists():
        pytest.skip(f"{REAL} is not present")
    detail = yaml.safe_load(REAL.read_text())["components"]["schemas"]["ErrorDetail"]
    published = {
        v["name"]: v["value"] for v in detail["properties"]["code"]["x-enum-metadata"]["values"]
    }
    assert {code: published.get(code) for code in NUMBERS} == NUMBERS


def test_every_answer_is_declared_by_tax_yaml(answers: dict[str, httpx.Response]) -> None:
    spec = Contract("tax")
    for case in DECLARED:
        spec.check(answers[case])
