"""What an ``httpx.Request`` would carry, worked out without building one.

The simulator's lean in-process path (``mocks._http.LocalTransport.send_local``) hands a mock's
handler the path, query, headers and body an ``httpx.Request`` would have, since building one
parses and checks its URL character by character in Python and re-encodes the query, about a
quarter of an in-process call (issue 14's profile). These are the rules it follows to stay
byte for byte what httpx would send (tests/mocks/test_local_transport.py holds the two side by
side); a call they cannot vouch for goes the way of a real request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

__all__ = ["PLAIN_PATH", "request_headers", "text_values"]

# A path httpx leaves as it is: RFC 3986 unreserved characters, sub-delims, ":", "@" and "/"
# (nothing it would percent-encode or decode, no query or fragment); dot segments are ruled out
# apart ("/." anywhere), as httpx would remove them.
PLAIN_PATH = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")


def text_values(params: Mapping[str, str] | None) -> bool:
    """True when every query value is text (httpx writes other values its own way)."""
    return params is None or all(type(v) is str and type(k) is str for k, v in params.items())


def request_headers(
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
