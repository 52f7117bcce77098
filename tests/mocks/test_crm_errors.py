"""Every error of the CRM mock is Salesforce's ``[{message, errorCode, fields}]`` with
Salesforce's code and status, whoever raises it (routing, auth, the body parser, the fault
layer); past the daily allocation it is 403 REQUEST_LIMIT_EXCEEDED, never 429."""

from __future__ import annotations

import httpx
import pytest

from tests.mocks.test_behaviour import CRM, _crm
from tests.support.contracts import Contract, salesforce_errors
from tests.support.vendor_errors import CASES, DECLARED, refusals

EXPECTED = {
    "unknown path": (404, "NOT_FOUND"),
    "wrong method": (405, "METHOD_NOT_ALLOWED"),
    "no token": (401, "INVALID_SESSION_ID"),
    "forged token": (401, "INVALID_SESSION_ID"),
    "scope missing": (403, "INSUFFICIENT_ACCESS_OR_READONLY"),
    "broken body": (400, "JSON_PARSER_ERROR"),
    "wrong media type": (415, "UNSUPPORTED_MEDIA_TYPE"),
    "fault 429": (403, "REQUEST_LIMIT_EXCEEDED"),
    "fault 503 outage": (503, "SERVER_UNAVAILABLE"),
    "fault 500": (500, "UNKNOWN_EXCEPTION"),
    "fault 502": (502, "UNKNOWN_EXCEPTION"),
    "fault 503": (503, "SERVER_UNAVAILABLE"),
    "fault 504": (504, "UNKNOWN_EXCEPTION"),
}


@pytest.fixture(scope="module")
def answers() -> dict[str, httpx.Response]:
    return refusals("crm")


@pytest.mark.parametrize("case", CASES)
def test_every_refusal_is_salesforces(answers: dict[str, httpx.Response], case: str) -> None:
    status, code = EXPECTED[case]
    salesforce_errors(answers[case], status, code)


def test_the_daily_allocation_spent_is_403_with_the_orgs_usage(
    answers: dict[str, httpx.Response],
) -> None:
    """Salesforce's throttling answer: 403 REQUEST_LIMIT_EXCEEDED with Sforce-Limit-Info, no
    Retry-After (REST API Developer Guide, "Status Codes and Error Responses")."""
    spent = answers["fault 429"]
    assert spent.headers["sforce-limit-info"] == "api-usage=1/1"
    assert "retry-after" not in spent.headers
    assert salesforce_errors(spent, 403)[0]["message"] == "TotalRequests Limit exceeded."


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"Name": "x", "Colour": "red"}, "INVALID_FIELD", "Colour"),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", "Name"),
        ({"Name": 5}, "JSON_PARSER_ERROR", "Name"),
        ({"Name": ""}, "REQUIRED_FIELD_MISSING", "Name"),
        ({}, "REQUIRED_FIELD_MISSING", "Name"),
    ],
)
def test_a_refused_account_is_400_naming_the_field(
    body: dict[str, object], code: str, field: str
) -> None:
    """Never a 422: Salesforce refuses a body 400, one error object per field."""
    _, _, http = _crm()
    errors = salesforce_errors(http.post(f"{CRM}/sobjects/Account", json=body), 400, code)
    assert errors[0]["fields"] == [field]


def test_a_bad_picklist_value_and_an_unknown_account_are_salesforces_400s() -> None:
    _, _, http = _crm()
    account = http.post(f"{CRM}/sobjects/Account", json={"Name": "Acme"}).json()["id"]
    opportunity = {
        "Name": "SOW",
        "AccountId": account,
        "StageName": "Won",
        "CloseDate": "2024-03-31",
    }
    wrong = http.post(f"{CRM}/sobjects/Opportunity", json=opportunity)
    salesforce_errors(wrong, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST")
    orphan = {**opportunity, "StageName": "Prospecting", "AccountId": "001000000000000999"}
    refused = http.post(f"{CRM}/sobjects/Opportunity", json=orphan)
    assert salesforce_errors(refused, 400, "INVALID_CROSS_REFERENCE_KEY")[0]["fields"] == [
        "AccountId"
    ]


def test_the_mocks_own_query_refusals_carry_their_codes() -> None:
    _, _, http = _crm()
    bad = http.get(f"{CRM}/query", params={"q": "DELETE FROM Account"})
    assert salesforce_errors(bad, 400, "MALFORMED_QUERY")[0]["fields"] == ["q"]
    missing = http.get(f"{CRM}/sobjects/Account/updated/", params={"end": "2024-03-01T00:00:00Z"})
    assert salesforce_errors(missing, 400, "MISSING_ARGUMENT")[0]["message"] == "start is required"


def test_every_answer_is_declared_by_crm_yaml(answers: dict[str, httpx.Response]) -> None:
    """The spec declares each refusal of a known operation (the checking client would fail)."""
    spec = Contract("crm")
    for case in DECLARED:
        spec.check(answers[case])
