"""A served call answered from its ASGI scope (``mocks._served_head``, no httpx objects) gets
byte for byte the answer the httpx round trip gives (``VendorApp.handle``), whatever the
request: two identical ERPs, one served each way, take the same requests in the same order."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mocks import ErpMock, FaultyVendor, LatencyRule, VendorApp, served_path
from mocks._served_head import served_headers, served_target

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
API = "/api/v2.0"


def _erp() -> ErpMock:
    erp = ErpMock(lambda: T0, enforce_auth=True)
    erp.add_company("firm", "DE01", "DE", "EUR")
    erp.auth.register("ci", "ci-secret", "firm")
    return erp


class _Roundtrip(VendorApp):
    """The ERP's app forced through the httpx round trip."""

    def served(self) -> VendorApp | None:
        return None


def _serve(app: Any, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]],
           body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:  # fmt: skip
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": headers, "root_path": "/erp"}  # fmt: skip
    messages = [{"type": "http.request", "body": body[:3], "more_body": True},
                {"type": "http.request", "body": body[3:], "more_body": False}]  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app.asgi(scope, receive, send))
    start, answer = sent
    return start["status"], start["headers"], answer["body"]


def _pair() -> tuple[VendorApp, VendorApp]:
    lean, roundtrip = _erp(), _erp()
    forced = roundtrip.app
    forced.__class__ = _Roundtrip
    return lean.app, forced


def _token(app: VendorApp) -> bytes:
    form = {"grant_type": "client_credentials", "client_id": "ci", "client_secret": "ci-secret"}
    answer = app.handle(httpx.Request("POST", "http://erp.mock/oauth2/v2.0/token", data=form))
    return ("Bearer " + answer.json()["access_token"]).encode()


def test_every_kind_of_request_gets_the_same_answer_both_ways() -> None:
    lean, roundtrip = _pair()
    assert lean.served() is lean and roundtrip.served() is None
    token = _token(lean)
    assert token == _token(roundtrip)  # the same token table: the same answers follow
    auth = (b"authorization", token)
    json = (b"content-type", b"application/json")
    company = _serve(lean, "GET", f"{API}/companies", b"", [auth], b"")
    company_id = httpx.Response(200, content=company[2]).json()["value"][0]["id"]
    customers = f"{API}/companies({company_id})/customers"
    customer = b'{"displayName": "K\\u00f6ln GmbH", "country": "DE", "currencyCode": "EUR"}'
    requests: list[tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]] = [
        ("GET", f"{API}/companies", b"", [auth], b""),
        ("POST", customers, b"", [auth, json], customer),
        ("POST", customers, b"", [auth, json, (b"x-extra", b"1"), (b"x-extra", b"2")], customer),
        ("GET", customers, b"$top=1&$skip=1", [auth], b""),
        ("GET", customers, b"$filter=displayName%20eq%20%27K%C3%B6ln%20GmbH%27", [auth], b""),
        ("GET", customers, b"$filter=displayName eq 'x'&$top=2", [auth], b""),  # raw spaces
        ("GET", customers, b"$top=1&$top=2", [auth], b""),  # a parameter given twice
        ("GET", customers + "(not a guid)", b"", [auth], b""),  # decoded by the server
        ("GET", customers, b"", [], b""),  # no token
        ("GET", customers, b"", [(b"authorization", b"Bearer \xc3\xa9")], b""),  # not ASCII
        ("POST", customers, b"", [auth, (b"content-type", b"text/plain")], customer),
        ("POST", customers, b"", [auth, json], b"{not json"),
        ("POST", customers, b"", [auth, json], b'{"displayName": 5}'),
        ("DELETE", f"{API}/companies", b"", [auth], b""),  # 405
        ("GET", "/nowhere", b"", [auth], b""),
        ("GET", "/openapi.json", b"", [], b""),
    ]
    for method, path, query, headers, body in requests:
        both = [_serve(app, method, path, query, headers, body) for app in (lean, roundtrip)]
        assert both[0] == both[1], (method, path, query)
    statuses = [_serve(lean, m, p, q, h, b)[0] for m, p, q, h, b in requests[1:2]]
    assert statuses == [201]


def test_a_fault_layer_with_rules_sends_calls_the_httpx_way() -> None:
    layer = FaultyVendor(_erp().app, lambda: T0, random.Random(1))
    assert layer.served() is layer.app  # no rule: the vendor answers as itself
    rule = layer.add(LatencyRule(median_ms=1, p99_ms=2))
    assert layer.served() is None
    layer.remove(rule)
    assert layer.served() is layer.app


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([(b"Content-Type", b"application/json")], {"content-type": "application/json"}),
        ([(b"a", b"1"), (b"A", b"2")], {"a": "1, 2"}),
        ([(b"a", b"\xff")], None),
    ],
)
def test_headers_read_as_httpx_reads_them(
    raw: list[tuple[bytes, bytes]], expected: dict[str, str] | None
) -> None:
    assert served_headers(raw) == expected
    if expected is not None:
        reference = httpx.Headers(raw)
        assert {k: reference.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("path", "query"),
    [("/a b/(x)", "q=1 2"), ("/é", "$filter=a%20eq%201"), ("/x", ""), ("/x", "a=%zz&b=[1]")],
)
def test_the_target_is_what_httpx_makes_of_it(path: str, query: str) -> None:
    encoded = served_path(path)
    url = httpx.URL(f"http://mock{encoded}?{query}")
    assert served_target(encoded, query) == (url.path, url.query.decode("ascii"))
