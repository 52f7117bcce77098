"""OData JSON ``$batch`` on the ERP mock as Business Central takes it: each inner request runs
through the same handler as on its own (status, body and BC error each its own), at most 100
operations, no change set of several requests, ``dependsOn`` honoured; the fault layer sees a
batch as one HTTP request."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mocks import ErpMock, FaultyVendor, LostResponseRule, QuotaRule, QuotaWindow
from tests.support.contracts import Contract, bc_error

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
BATCH = "/api/v2.0/$batch"
JSON_BODY = {"content-type": "application/json"}


class Books:
    """One ERP company, a contract-checking client and a helper to send a batch."""

    def __init__(self, enforce_auth: bool = False) -> None:
        self.erp = ErpMock(lambda: T0, enforce_auth=enforce_auth)
        self.company = self.erp.add_company("default", "ACME-DE", "DE", "EUR")
        self.co = f"companies({self.company})"
        self.http = Contract("erp").client(self.erp.app)

    def batch(self, requests: list[dict[str, Any]], **headers: str) -> httpx.Response:
        return self.http.post(BATCH, json={"requests": requests}, headers=headers)

    def customer(self, name: str, request_id: str = "c") -> dict[str, Any]:
        body = {"displayName": name, "country": "DE", "currencyCode": "EUR"}
        return {"id": request_id, "method": "POST", "url": f"{self.co}/customers", "body": body}

    def customers(self) -> list[str]:
        return [c["displayName"] for c in self.erp.tables.all("default", "customers")]


def test_each_inner_request_is_answered_in_order_with_its_own_status_and_bc_error() -> None:
    """A create, a filtered read seeing it, a refused create (BC's 400 in the inner body), an
    unknown segment (404): the batch is 200 and the failures do not stop the rest."""
    books = Books()
    answer = books.batch([
        books.customer("Alpha", "1"),
        {"id": "2", "method": "GET",
         "url": f"/api/v2.0/{books.co}/customers?$filter=displayName eq 'Alpha'&$select=number"},
        {"id": "3", "method": "POST", "url": f"{books.co}/customers", "body": {"displayName": ""}},
        {"id": "4", "method": "GET", "url": f"{books.co}/nothingHere"},
        {"id": "5", "method": "GET", "url": f"https://api.example/v2.0/prod/api/v2.0/{books.co}"},
    ])  # fmt: skip
    assert answer.status_code == 200, answer.text
    responses = answer.json()["responses"]
    assert [(r["id"], r["status"]) for r in responses] == [
        ("1", 201), ("2", 200), ("3", 400), ("4", 404), ("5", 200),
    ]  # fmt: skip
    created = responses[0]["body"]
    assert responses[0]["headers"]["etag"] == created["@odata.etag"]
    assert responses[1]["body"]["value"] == [
        {"@odata.etag": created["@odata.etag"], "number": created["number"]}
    ]
    alone = books.http.post(f"/api/v2.0/{books.co}/customers", json={"displayName": ""})
    assert responses[2]["body"] == alone.json() and set(alone.json()) == {"error"}
    assert responses[3]["body"]["error"]["code"] == "BadRequest_ResourceNotFound"
    assert responses[4]["body"]["id"] == books.company
    assert books.customers() == ["Alpha"]


def test_a_hundred_operations_are_taken_and_a_hundred_and_one_refused_whole() -> None:
    books = Books()
    taken = books.batch([books.customer(f"C{k}", str(k)) for k in range(100)])
    assert taken.status_code == 200 and len(taken.json()["responses"]) == 100
    refused = books.batch([books.customer(f"D{k}", str(k)) for k in range(101)])
    assert "too many parts. A maximum number of '100'" in bc_error(refused, 400, "Unknown")
    assert len(books.customers()) == 100  # nothing of the refused batch ran


def test_a_change_set_of_several_requests_is_refused_as_bc_refuses_it() -> None:
    books = Books()
    one = books.customer("Alpha", "1") | {"atomicityGroup": "g1"}
    assert books.batch([one]).json()["responses"][0]["status"] == 201
    two = [books.customer("B", "2") | {"atomicityGroup": "g"},
           books.customer("C", "3") | {"atomicityGroup": "g"}]  # fmt: skip
    message = bc_error(books.batch(two), 400, "BadRequest")
    assert "Multiple requests within the same change set are not supported" in message
    assert books.customers() == ["Alpha"]


def test_depends_on_names_earlier_requests_and_a_failed_dependency_is_not_run() -> None:
    books = Books()
    bad = {"id": "1", "method": "POST", "url": f"{books.co}/customers", "body": {}}
    after = books.customer("Never", "2") | {"dependsOn": ["1"]}
    responses = books.batch([bad, after]).json()["responses"]
    assert [r["status"] for r in responses] == [400, 424]
    assert books.customers() == []
    ahead = books.customer("Later", "2") | {"dependsOn": ["9"]}
    assert "'9' is not the id of an earlier request" in bc_error(books.batch([ahead]), 400)
    twice = [books.customer("A", "1"), books.customer("B", "1")]
    assert "used twice" in bc_error(books.batch(twice), 400)


@pytest.mark.parametrize(
    ("headers", "content", "status"),
    [
        ({"isolation": "snapshot", "content-type": "application/json"}, b'{"requests":[]}', 400),
        ({"content-type": "multipart/mixed; boundary=b"}, b"--b--", 415),
        ({"content-type": "application/json"}, b'{"requests":[{"method":"GET"}]}', 400),
        ({"content-type": "application/json"}, b'{"requests":[], "extra": 1}', 400),
        ({"content-type": "application/json"}, b"[1]", 400),
        ({"content-type": "application/json"}, b'{"requests": 5}', 400),
    ],
)
def test_what_the_sandbox_does_not_take_is_a_bc_error_never_a_500(
    headers: dict[str, str], content: bytes, status: int
) -> None:
    books = Books()
    bc_error(books.http.post(BATCH, content=content, headers=headers), status)


def test_an_inner_url_or_header_that_cannot_be_read_is_that_requests_400() -> None:
    books = Books()
    customer = json.dumps(books.customer("A", "3"))
    unreadable = (
        '{"requests": [{"id": "1", "method": "GET", "url": "\\u000e"},'
        ' {"id": "2", "method": "GET", "url": "companies", "headers": {"x-a": "\\ud812"}},'
        f" {customer}]}}"
    )  # escapes JSON allows: a control character, a lone surrogate
    answer = books.http.post(BATCH, content=unreadable.encode(), headers=JSON_BODY)
    assert [r["status"] for r in answer.json()["responses"]] == [400, 400, 201]


def test_a_nested_batch_is_refused_inside_the_batch() -> None:
    books = Books()
    inner = {"id": "1", "method": "POST", "url": "$batch", "body": {"requests": []}}
    response = books.batch([inner]).json()["responses"][0]
    assert (
        response["status"] == 400 and "cannot hold another" in response["body"]["error"]["message"]
    )


def test_without_a_token_the_batch_is_refused_whole_and_each_inner_request_needs_its_scope() -> (
    None
):
    books = Books(enforce_auth=True)
    books.erp.auth.register("reader", "s3cret", "default", ["erp:customers.read"])
    bc_error(books.batch([books.customer("A")]), 401, "Authentication_InvalidCredentials")
    token = books.http.post(
        "/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "reader", "client_secret": "s3cret"},
    ).json()["access_token"]
    read = {"id": "r", "method": "GET", "url": f"{books.co}/customers"}
    answer = books.batch([books.customer("A", "w"), read], authorization=f"Bearer {token}")
    statuses = [r["status"] for r in answer.json()["responses"]]
    assert answer.status_code == 200 and statuses == [403, 200]
    assert books.customers() == []


def _layered(*rules: Any) -> tuple[Books, FaultyVendor]:
    books = Books()
    layer = FaultyVendor(books.erp.app, lambda: T0, random.Random(7))
    for rule in rules:
        layer.add(rule)
    return books, layer


def _batch_request(books: Books, requests: list[dict[str, Any]]) -> httpx.Request:
    return httpx.Request("POST", f"http://erp.mock{BATCH}", json={"requests": requests})


def test_the_fault_layer_counts_a_batch_as_one_request() -> None:
    """A window of 2 calls: a batch of 50 creates is one call, a second batch another, the
    third is refused whole (BC's bare 429) and none of its requests runs."""
    books, layer = _layered(QuotaRule(windows=[QuotaWindow(limit=2, window_s=300)]))
    for round_ in range(2):
        batch = [books.customer(f"C{round_}-{k}", str(k)) for k in range(50)]
        arrival = layer.arrive(_batch_request(books, batch))
        layer.depart(arrival)
        assert arrival.response is not None and arrival.response.status_code == 200
    third = layer.arrive(_batch_request(books, [books.customer("Late")]))
    assert third.response is not None
    bc_error(third.response, 429, "Application_TooManyRequests")
    assert len(books.customers()) == 100


def test_a_lost_batch_answer_loses_every_inner_answer_but_the_writes_are_made() -> None:
    books, layer = _layered(LostResponseRule(rate=1.0))
    arrival = layer.arrive(_batch_request(books, [books.customer("A", "1"),
                                                  books.customer("B", "2")]))  # fmt: skip
    assert arrival.lost and layer.fired["lost_response"] == 1
    assert books.customers() == ["A", "B"]
