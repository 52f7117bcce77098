"""The core's request bodies: orjson writes them, byte for byte what simplejson wrote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson
from hypothesis import given
from hypothesis import strategies as st

from orchestrator._wire import VendorError, call, decode, encode

_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.text(),
)
_BODY = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _simplejson(body: Any) -> bytes:
    return simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()


@given(_BODY)
def test_encode_writes_what_simplejson_wrote(body: Any) -> None:
    assert encode(body) == _simplejson(body)


def test_money_keeps_its_digits_both_ways() -> None:
    body = {"amount": Decimal("12.30"), "tax": Decimal("-0.00"), "name": "Zürich\x7f", "n": (1,)}
    assert encode(body) == _simplejson(body)
    assert decode(encode(body))["amount"].as_tuple() == Decimal("12.30").as_tuple()


class _OneAnswer:
    """A runtime whose vendor answers every call with ``status`` and ``content``."""

    def __init__(self, status: int, content: bytes) -> None:
        self.status, self.content = status, content

    def send(self, vendor: str, method: str, path: str, **_: Any) -> Any:
        return httpx.Response(self.status, content=self.content)
        yield  # a flow that never waits


def _run(flow: Any) -> Any:
    try:
        while True:
            next(flow)
    except StopIteration as stop:
        return stop.value


def test_an_answer_not_read_is_not_decoded_but_an_error_still_is() -> None:
    """``read=False`` (AvaTax's commit): a success is not decoded, an error still raises with
    the vendor's problem decoded."""
    amount = b'{"totalTax":12.30}'
    assert _run(call(_OneAnswer(200, amount), "tax", "t", "POST", "/x")) == {  # type: ignore[arg-type]
        "totalTax": Decimal("12.30")
    }
    assert _run(call(_OneAnswer(200, b"not json"), "tax", "t", "POST", "/x", read=False)) is None  # type: ignore[arg-type]
    with pytest.raises(VendorError) as refused:
        _run(call(_OneAnswer(400, b'{"error":{"code":"x"}}'), "tax", "t", "POST", "/x", read=False))  # type: ignore[arg-type]
    assert refused.value.problem == {"error": {"code": "x"}}


_SIMPLEJSON = simplejson.JSONDecoder(parse_float=Decimal)


def _typed(value: Any) -> Any:
    """``value`` with every leaf's type beside it: 1 == 1.0 == Decimal(1), but not here."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, Decimal):
        return ("Decimal", value.as_tuple())
    return (type(value).__name__, value)


@given(_BODY, st.sampled_from(["", " ", "\n", "\t "]))
def test_decode_reads_what_simplejson_reads(body: Any, space: str) -> None:
    """Whichever parser reads an answer, the values and their types are simplejson's with
    ``Decimal`` numbers (orjson reads only answers without fractions or long numbers)."""
    compact = encode(body)
    spaced = simplejson.dumps(body, use_decimal=True, indent=space or None).encode()
    for content in (compact, spaced, space.encode() + compact + space.encode()):
        assert _typed(decode(content)) == _typed(_SIMPLEJSON.decode(content.decode()))


@pytest.mark.parametrize(
    "content",
    [
        b'{"big":18446744073709551616,"small":-9223372036854775809}',  # orjson: floats
        b'\xef\xbb\xbf{"a":1}',  # a BOM: orjson refuses, simplejson reads
        b'["\\ud800"]',  # a lone surrogate, likewise
        b'{"n":[1,2.50],"e":1e5}',
        b'{"note":"ratio:1.5","id":"1234567890123456789012"}',
    ],
)
def test_decode_keeps_simplejsons_reading_where_orjson_differs(content: bytes) -> None:
    assert _typed(decode(content)) == _typed(_SIMPLEJSON.decode(content))
