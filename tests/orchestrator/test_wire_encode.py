"""The core's request bodies: orjson writes them, byte for byte what simplejson wrote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import simplejson
from hypothesis import given
from hypothesis import strategies as st

from orchestrator._wire import decode, encode

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
