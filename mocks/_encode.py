"""A reply as bytes, fast: the JSON body (orjson, byte for byte what simplejson wrote before)
and the ``httpx.Response`` that carries it.

Every answer a mock gives goes through here (in process for the simulator, over HTTP for
``q2c serve``), so the encoder is on the hot path: orjson encodes a customer in about 1 us where
simplejson took about 17 us, and a 100-row page in about 90 us instead of 630 us (measured on
the development machine; ``make bench-serve`` measures the served stack).

The bytes do not change. Money stays exact: a ``Decimal`` is written as ``str(value)``, the very
text simplejson's ``use_decimal`` writes (orjson inserts it as a ready-made JSON fragment).
Non-ASCII text and DEL, which orjson writes raw, are escaped afterwards as simplejson's
``ensure_ascii`` escapes them (``\\u00fc``, a surrogate pair beyond the BMP): such bytes occur
only inside JSON strings, so escaping them in the finished document is the same as escaping
them in each string. A PSA page or an ERP invoice with a consultant's accented name used to go
to simplejson whole (18 documents of 300-500 KB in the flagship run, ~0.25 s). Whatever else
orjson would write differently goes to simplejson, which then answers as it always did: a
non-finite Decimal (simplejson refuses it), a lone surrogate, non-string keys, integers beyond
64 bits, named tuples, dataclasses and datetimes (orjson would encode the last two itself;
simplejson refuses them). One difference is
left, on purpose: a float (no mock keeps one: request bodies are parsed with ``use_decimal``)
under 1e-4 or from 1e16 up is written in the same digits with orjson's exponent form (``1e-7``,
not ``1e-07``), the same number to any JSON reader; a float NaN or infinity, which simplejson
refuses, is ``null``.

``loaded_response`` builds the same ``httpx.Response`` as ``httpx.Response(status,
headers=..., content=body)`` without its read pass (a decoder, a chunker and three context
managers over bytes we have just made: about 40 of the 50 us the constructor takes). It sets
what ``Response.read()`` leaves behind, which is private to httpx: pinned (==) in pyproject,
and tests/mocks/test_encode.py compares the two responses field by field, so an httpx
upgrade that changes them fails there, not in a run.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import orjson
import simplejson

__all__ = ["json_bytes", "loaded_response"]

_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _fragment(value: Any) -> orjson.Fragment:
    """orjson's hook for types it does not know: a finite Decimal as its exact text; anything
    else makes orjson give up (``TypeError``) and simplejson take over."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is left to simplejson")


_RAW = re.compile(rb"[\x7f-\xff]+")  # DEL and UTF-8 beyond ASCII, as orjson writes them


def _escaped(run: re.Match[bytes]) -> bytes:
    """A run of raw characters as ``\\uXXXX`` escapes (lower-case hex, a surrogate pair for a
    character beyond U+FFFF), as simplejson's ``ensure_ascii`` writes them."""
    out = []
    for char in run.group().decode():
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out).encode()


def json_bytes(body: Any) -> bytes:
    """``body`` as compact JSON, exactly as ``simplejson.dumps(body, use_decimal=True,
    separators=(",", ":"))`` encodes it (see the module docstring for the one exception)."""
    try:
        content = orjson.dumps(body, default=_fragment, option=_OPTIONS)
    except TypeError:
        return simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()
    if content.isascii() and b"\x7f" not in content:
        return content
    return _RAW.sub(_escaped, content)


def loaded_response(status: int, headers: dict[str, str], content: bytes) -> httpx.Response:
    """``httpx.Response(status, headers=headers, content=content)``, already read, made
    without re-reading ``content`` (see the module docstring)."""
    response = httpx.Response(
        status,
        headers={**headers, "Content-Length": str(len(content))},  # as httpx adds it, last
        stream=httpx.ByteStream(content),
    )
    response._content = content  # what Response.read() leaves behind
    response.is_stream_consumed = True
    response.is_closed = True
    return response
