"""A book record's bytes are simplejson's (``use_decimal``, ``ensure_ascii=False``, compact),
whichever encoder made them (``sim.record.book_text``)."""

from __future__ import annotations

from collections import namedtuple
from decimal import Decimal
from typing import Any

import pytest
import simplejson
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.record.book_text import record_bytes


def _simplejson(value: Any) -> bytes:
    text = simplejson.dumps(value, use_decimal=True, ensure_ascii=False, separators=(",", ":"))
    return str(text).encode()


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400)
@given(_values)
def test_any_book_value_is_encoded_as_simplejson_encodes_it(value: Any) -> None:
    assert record_bytes(value) == _simplejson(value)


def test_the_forms_where_orjson_writes_floats_otherwise_are_simplejsons() -> None:
    record = {"tiny": 1.5e-05, "tinier": 1.5994002884711645e-06, "big": 1e16, "list": [2e-7]}
    assert record_bytes(record) == b'{"tiny":1.5e-05,"tinier":1.5994002884711645e-06,' \
        b'"big":1e+16,"list":[2e-07]}'  # fmt: skip
    assert record_bytes(1.5e-05) == b"1.5e-05"


def test_what_orjson_does_not_write_as_simplejson_does_is_left_to_simplejson() -> None:
    Pair = namedtuple("Pair", "a b")  # simplejson writes a named tuple as an object
    record = {
        "pair": Pair(1, 2),
        "big": 2**65,
        "keys": {1: "one", None: "none"},
        "accented": "Müller \u2028",
        "money": Decimal("1E+2"),
    }
    assert record_bytes(record) == _simplejson(record)
    assert b'"pair":{"a":1,"b":2}' in record_bytes(record)
    assert record_bytes({"amount": Decimal("12.50")}) == b'{"amount":12.50}'


def test_a_decimal_nan_is_refused_as_simplejson_refuses_it() -> None:
    with pytest.raises(ValueError, match="nan"):
        record_bytes({"amount": Decimal("NaN")})
