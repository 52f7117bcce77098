"""The simulator's lean in-process path (``LocalTransport.send_local``) hands a mock's handler
what ``handle`` reads off the ``httpx.Request`` the same call would build: path, query, headers
(names as sent, in httpx's order, with its ``Host`` and ``Content-Length``) and body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from mocks import Call, LocalTransport, Reply, VendorApp


def _seen(call: Call) -> tuple[Any, ...]:
    query = sorted((k, tuple(call.query._params.get_list(k))) for k in call.query)  # type: ignore[attr-defined]
    headers = list(call.headers.raw)  # type: ignore[attr-defined]
    return call.method, call.path, query, headers, call.content, call.root_path


def _both(
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    calls: list[Call] = []
    app = VendorApp("probe", spec="")

    def record(call: Call) -> Reply:
        calls.append(call)
        return Reply(200, {"ok": True})

    app.dispatch = record  # type: ignore[method-assign]
    transport = app.transport()
    assert isinstance(transport, LocalTransport)
    lean = transport.send_local("probe.mock", method, path, params, headers, content)
    request = httpx.Request(
        method, f"http://probe.mock{path}", params=params, headers=headers, content=content
    )
    full = transport.handle_request(request)
    assert (lean.status_code, lean.content) == (full.status_code, full.content)
    assert len(calls) == 2
    return _seen(calls[0]), _seen(calls[1])


JSON = {"x-tenant": "t1", "accept": "application/json", "content-type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "params", "headers", "content"),
    [
        ("GET", "/api/v2.0/companies", None, {"x-tenant": "t1"}, None),
        ("GET", "/api/v2.0/companies(abc-1)/salesInvoices", {"$top": "5"}, JSON, None),
        ("GET", "/v1/time", {"q": "a b+c&d=é", "page": "2", "e": ""}, JSON, None),
        ("GET", "/v1/time", {"page": 2, "flag": True}, JSON, None),  # not text: as httpx writes
        ("POST", "/v1/items", None, JSON, b'{"a":1}'),
        ("POST", "/v1/items/post", None, JSON, None),  # body-less POST: Content-Length 0
        ("POST", "/v1/items", None, {**JSON, "Content-Length": "7"}, b'{"a":1}'),
        ("PATCH", "/v1/items/1", None, {"Host": "elsewhere", "If-Match": "*"}, b"{}"),
        ("DELETE", "/v1/items/1", None, None, None),
        ("GET", "/v1/it%20ems/a b", None, None, None),  # httpx rewrites it: the full path
        ("GET", "/v1/./items/../x", None, None, None),
        ("GET", "/v1/items?page=2", None, None, None),
        ("GET", "/api/v2.0/$batch", {"$filter": "name eq 'x'"}, None, None),
    ],
)
def test_a_lean_call_reaches_the_handler_as_a_request_would(
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None,
    content: bytes | None,
) -> None:
    lean, full = _both(method, path, params, headers, content)
    assert lean == full
