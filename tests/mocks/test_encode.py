"""The fast reply encoding (mocks/_encode.py, reached through ``mocks.to_response``) writes
what simplejson wrote, byte for byte, and builds the httpx.Response the plain constructor
builds."""

from __future__ import annotations

import collections
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson

from mocks import Reply, to_response


def json_bytes(body: Any) -> bytes:
    return to_response(Reply(200, body)).content


def _simplejson(body: Any) -> bytes:
    return simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()


@dataclasses.dataclass
class _Point:
    x: int


SAME = [
    {"amount": Decimal("1234.50"), "rate": Decimal("0.0000001"), "big": Decimal("1E+2")},
    {"neg": Decimal("-0.00"), "long": Decimal("12345678901234567890.123456789")},
    {"text": "".join(chr(i) for i in range(128)), "none": None, "flags": [True, False]},
    {"accented": "Müller & Søn — 東京", "emoji": "\U0001f4b6"},
    {"Zoë\x7f": ["\U0001f4b6é\x7f\u2028", Decimal("1.10"), "ascii"], "lone": "\ud800"},
    {"ints": [0, -1, 2**63 - 1, 2**70], "tuple": (1, 2), "float": 1.5},
    {1: "int key"},
    collections.namedtuple("Pair", "a b")(1, 2),
    {"nested": [{"value": [{"id": "x", "amount": Decimal("0.10")}]}], "empty": {}},
]


@pytest.mark.parametrize("body", SAME)
def test_json_bytes_equal_simplejson(body: Any) -> None:
    assert json_bytes(body) == _simplejson(body)


@pytest.mark.parametrize(
    "body",
    [
        {"d": Decimal("NaN")},
        {"d": Decimal("Infinity")},
        {"when": datetime(2026, 1, 1, tzinfo=UTC)},
        _Point(1),
    ],
)
def test_what_simplejson_refuses_is_still_refused(body: Any) -> None:
    """Non-finite Decimals, datetimes and dataclasses were errors before; they stay errors."""
    with pytest.raises((TypeError, ValueError)):
        _simplejson(body)
    with pytest.raises((TypeError, ValueError)):
        json_bytes(body)


def test_decimal_money_is_exact() -> None:
    money = Decimal("100000000000000000.015")
    assert json_bytes({"amount": money}) == b'{"amount":100000000000000000.015}'
    assert simplejson.loads(json_bytes({"amount": money}), use_decimal=True)["amount"] == money


def test_the_response_is_the_plain_one() -> None:
    """Field by field what httpx.Response(content=...) makes; this fails first if an httpx
    upgrade changes what Response.read() leaves behind."""
    headers = {"content-type": "application/json", "x-request": "1"}
    plain = httpx.Response(201, headers=headers, content=b'{"a":1}')
    fast = to_response(Reply(201, {"a": 1}, headers))
    assert fast.headers.raw == plain.headers.raw
    assert (fast.status_code, fast.content, fast.json()) == (201, b'{"a":1}', {"a": 1})
    assert fast.is_stream_consumed and fast.is_closed
    mine, theirs = vars(fast), vars(plain)
    assert set(theirs) - set(mine) <= {"_decoder"}  # made on demand by iter_bytes
    for name in set(mine) - {"stream", "headers"}:
        assert mine[name] == theirs[name], name
    assert headers == {"content-type": "application/json", "x-request": "1"}  # not changed


def test_the_response_through_a_client() -> None:
    """An httpx client reads it as it read the plain one (the simulator's in-process path)."""
    transport = httpx.MockTransport(lambda request: to_response(Reply(200, {"ok": True})))
    with httpx.Client(transport=transport) as client:
        answer = client.get("http://mock/x")
    assert answer.json() == {"ok": True}
    assert answer.headers["content-length"] == "11"
