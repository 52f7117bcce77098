"""What a request served over HTTP becomes for a mock, and what its answer becomes for the
server, worked out without an ``httpx.Request`` or ``httpx.Response`` where that changes
nothing.

``q2c serve`` answers anyone's integration and ``make bench-serve`` holds it to twice Prism's
requests per second (issue 12). Building an ``httpx.Request`` for every served call (its URL
checked character by character, its headers normalised) and an ``httpx.Response`` for every
answer, only to read them back at once, was about a quarter of a served call's time in the
app. ``VendorApp.asgi`` uses these rules when nothing between the server and the mock needs
httpx objects (no fault rule installed: ``FaultyVendor.served``), and the httpx round trip
otherwise; tests/mocks/test_served_head.py serves the same requests both ways and compares
the answers byte for byte.

- The path: the server decoded it, so what a client percent-encoded is encoded again (RFC 3986
  pchar kept as is), as the mocks route it (the traffic check routes it the same way).
- The target: path and query exactly as ``httpx.URL`` normalises them (it is asked once per
  distinct target: clients repeat theirs).
- The headers: what ``httpx.Headers`` answers to ``get``, for the ASCII headers every client
  sends (lower-case names, a repeated header's values joined with ", "); other octets go the
  httpx way, which picks their encoding from all the headers.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

import httpx

__all__ = ["answer_headers", "served_headers", "served_path", "served_target", "served_url"]

_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar without percent-encoding
_CACHED = 2048  # longer paths and targets are worked out each time (the caches stay small)


def served_path(path: str) -> str:
    """A served request's path as the mocks route it (see the module docstring)."""
    if len(path) > _CACHED:
        return quote(path, safe=_PATH_SAFE)
    return _encoded_path(path)


@functools.lru_cache(maxsize=4096)
def _encoded_path(path: str) -> str:
    return quote(path, safe=_PATH_SAFE)


def served_url(path: str, query: str) -> httpx.URL:
    """A served request's URL. httpx checks a URL character by character in Python, so the
    URLs clients repeat (a collection they post to, a record they poll) are parsed once;
    httpx.URL is immutable, so sharing one is safe."""
    if len(path) + len(query) > _CACHED:
        return httpx.URL(f"http://mock{path}?{query}")
    return _parsed_url(path, query)


@functools.lru_cache(maxsize=1024)
def _parsed_url(path: str, query: str) -> httpx.URL:
    return httpx.URL(f"http://mock{path}?{query}")


def served_target(path: str, query: str) -> tuple[str, str]:
    """The path and the raw query a mock's ``handle`` reads from the request's URL."""
    if len(path) + len(query) > _CACHED:
        return _target(path, query)
    return _cached_target(path, query)


def _target(path: str, query: str) -> tuple[str, str]:
    url = served_url(path, query)
    return url.path, url.query.decode("ascii")


_cached_target = functools.lru_cache(maxsize=1024)(_target)


def served_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str] | None:
    """The request's headers as ``httpx.Headers(raw)`` reads them with ``get`` (lower-case
    names); None when an octet is not ASCII (httpx then decides how to read them)."""
    headers: dict[str, str] = {}
    for name, value in raw:
        if not (name.isascii() and value.isascii()):
            return None
        key = name.decode("ascii").lower()
        text = value.decode("ascii")
        headers[key] = text if key not in headers else f"{headers[key]}, {text}"
    return headers


def answer_headers(headers: dict[str, str], content: bytes | None) -> list[tuple[bytes, bytes]]:
    """The header lines ``httpx.Response(status, headers=headers, content=content)`` would
    hand the server (names lower-cased, as ``VendorApp.asgi`` sends them): a body's
    ``Content-Length`` last, as httpx adds it; no body, no length."""
    if content is not None:
        headers = {**headers, "Content-Length": str(len(content))}
    return [(k.encode("ascii").lower(), v.encode("ascii")) for k, v in headers.items()]
