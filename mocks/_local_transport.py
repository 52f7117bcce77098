"""The simulator's lean in-process path to a mock: ``LocalTransport``.

``app.transport()`` is an ``httpx.MockTransport`` over the app's one handler (``mocks._http``);
this subclass also takes a call without an ``httpx.Request`` (``send_local``). Building one
parses and checks its URL character by character in Python and re-encodes the query, about a
quarter of an in-process call (issue 14's profile). It hands the handler what ``handle`` would
read off that request (the same path, query, headers and body:
tests/mocks/test_local_transport.py holds the two side by side); a call it cannot hand over as
is (a path httpx would rewrite, query values that are not text) goes the way of a real request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from mocks._http import Call, VendorApp, _query, to_response

__all__ = ["LocalTransport"]


class LocalTransport(httpx.MockTransport):
    """``httpx.MockTransport(app.handle)`` plus the lean path (see the module docstring)."""

    def __init__(self, app: VendorApp) -> None:
        super().__init__(app.handle)
        self.app = app

    def send_local(
        self,
        host: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
    ) -> httpx.Response:
        """What ``handle_request(httpx.Request(method, f"http://{host}{path}", params=...,
        headers=..., content=...))`` answers, without building that request."""
        if not _PLAIN_PATH.fullmatch(path) or "/." in path or not _text_values(params):
            request = httpx.Request(
                method, f"http://{host}{path}", params=params, headers=headers, content=content
            )
            return self.app.handle(request)
        query = _query(str(httpx.QueryParams(params)) if params else "")
        call = Call(method, path, {}, query, _request_headers(host, method, headers, content),
                    content or b"")  # fmt: skip
        return to_response(self.app.dispatch(call))


# A path httpx leaves as it is: RFC 3986 unreserved characters, sub-delims, ":", "@" and "/"
# (nothing it would percent-encode or decode, no query or fragment); dot segments are ruled out
# apart ("/." anywhere), as httpx would remove them.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")


def _text_values(params: Mapping[str, str] | None) -> bool:
    """True when every query value is text (httpx writes other values its own way)."""
    return params is None or all(type(v) is str and type(k) is str for k, v in params.items())


def _request_headers(
    host: str, method: str, headers: Mapping[str, str] | None, content: bytes | None
) -> httpx.Headers:
    """The headers ``httpx.Request`` would carry: ``Host`` first, the caller's, then the body's
    ``Content-Length`` (``0`` right after ``Host`` for a body-less POST, PUT or PATCH)."""
    given = httpx.Headers(headers)
    head: list[tuple[bytes, bytes]] = [] if "host" in given else [(b"Host", host.encode())]
    tail: list[tuple[bytes, bytes]] = []
    if content and "content-length" not in given:
        tail.append((b"Content-Length", str(len(content)).encode()))
    elif not content and method in ("POST", "PUT", "PATCH") and not _framed(given):
        head.append((b"Content-Length", b"0"))
    return httpx.Headers([*head, *given.raw, *tail])


def _framed(headers: httpx.Headers) -> bool:
    return "content-length" in headers or "transfer-encoding" in headers
