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
