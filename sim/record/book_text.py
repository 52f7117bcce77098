"""One book record as compact JSON bytes, fast, and byte for byte what
``simplejson.dumps(value, use_decimal=True, ensure_ascii=False, separators=(",", ":"))``
writes (the books' format since they were first written).

A run writes its books once, but they are big: the flagship's invoices and tax documents are
13.5 MB of text, which simplejson encoded in ~0.35 s of a ~7 s run; orjson takes a fraction of
that. Exactness first: orjson encodes and, wherever it might write other bytes than simplejson,
simplejson encodes the record as it always did:

- a ``Decimal`` is ``str(value)`` (orjson inserts it as a ready-made fragment), as
  ``use_decimal`` writes it; a non-finite one (simplejson writes ``NaN``) goes to simplejson;
- what orjson refuses or would encode where simplejson does not (non-string keys, integers
  beyond 64 bits, a lone surrogate, subclasses of ``str``/``int``/``dict``/``list``, named
  tuples, dataclasses, datetimes) goes to simplejson, which encodes or refuses it as before;
- a float: orjson writes the same shortest digits as ``repr`` except under 1e-4, where it
  writes ``0.000015`` or ``1.6e-6`` where ``repr`` writes ``1.5e-05`` or ``1.6e-06``; a record
  whose bytes show such a number (``_float_forms``, which may also see one inside a string:
  that record then goes to simplejson too, no harm done) is encoded by simplejson.

One difference is left: a float NaN or infinity, which orjson writes as ``null`` and simplejson
as ``NaN``. No book holds a float (the mocks read bodies with ``use_decimal``), so the bytes of
every run folder are unchanged (``tests/record/test_book_text.py`` compares the two encoders).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson
import simplejson

__all__ = ["record_bytes"]

_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
# orjson's float forms that ``repr`` writes otherwise: a one-digit negative exponent
# (``1.6e-6``) or a leading ``0.0000`` (``0.000015``); either only counts as the whole of a
# number token, first in the record or after ``:``, ``,`` or ``[`` (an id such as
# ``...c4e-5a...`` is no number). Each marker is found at memory speed and only its
# surroundings are looked at: most records hold neither, and scanning 13 MB of books with one
# regular expression took as long as simplejson.
_EXPONENT = re.compile(rb"e-[0-9](?![0-9])")
_MANTISSA_BEFORE = re.compile(rb"(?:^|[:,\[])-?[0-9]+(?:\.[0-9]+)?\Z")  # ends at the ``e``
_SMALL = b"0.0000"
_TOKEN_START = frozenset(b":,[-")


def _float_forms(content: bytes) -> bool:
    """Whether orjson may have written a float as ``repr`` does not (see above). It may answer
    yes for text inside a string: that record then goes to simplejson, which is only slower."""
    start = content.find(_SMALL)
    while start != -1:
        if start == 0 or content[start - 1] in _TOKEN_START:
            return True
        start = content.find(_SMALL, start + 1)
    for found in _EXPONENT.finditer(content):
        at = found.start()
        if _MANTISSA_BEFORE.search(content, max(0, at - 40), at) is not None:
            return True
    return False


def _fragment(value: Any) -> orjson.Fragment:
    """orjson's hook for the types it does not know: a finite ``Decimal`` as its exact text;
    anything else makes orjson give up (``TypeError``) and simplejson take over."""
    if type(value) is Decimal and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is left to simplejson")


def _simplejson(value: Any) -> bytes:
    text = simplejson.dumps(value, use_decimal=True, ensure_ascii=False, separators=(",", ":"))
    return str(text).encode()


def record_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, as simplejson writes it (see the module docstring)."""
    try:
        content = orjson.dumps(value, default=_fragment, option=_OPTIONS)
    except TypeError:
        return _simplejson(value)
    if _float_forms(content):
        return _simplejson(value)
    return content
