"""JSON over the runtime: encode with exact decimals, send, check the status, decode.

Money crosses the wire as JSON numbers parsed straight into ``Decimal``; a float never holds
an amount, not even for a moment.

Requests are encoded by orjson, with a ``Decimal`` inserted as its exact text (``str``, what
simplejson's ``use_decimal`` writes): the same bytes as simplejson, in a tenth of the time. What
orjson would write differently (non-ASCII text or DEL, which simplejson escapes; types orjson
does not know, or encodes where simplejson refuses: dataclasses, datetimes) goes to simplejson
as before. Answers are still decoded by simplejson: orjson reads a number into a float, and
``12.30`` read back must stay ``Decimal("12.30")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson
import simplejson

from orchestrator.runtime import Flow, Runtime

__all__ = ["ContractViolation", "VendorError", "call"]


class VendorError(Exception):
    """A vendor answered with an error status; ``problem`` is its decoded body."""

    def __init__(self, vendor: str, method: str, path: str, status: int, problem: Any) -> None:
        super().__init__(f"{vendor} {method} {path} -> {status}: {problem}")
        self.vendor = vendor
        self.status = status
        self.problem = problem


class ContractViolation(VendorError):
    """A vendor answered in a shape its contract does not allow (a renamed field, a total that
    does not add up): the core stops rather than bill from a misread answer."""

    def __init__(self, vendor: str, method: str, path: str, problem: str) -> None:
        super().__init__(vendor, method, path, 502, f"contract violation: {problem}")


_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _fragment(value: Any) -> orjson.Fragment:
    """A finite Decimal as its exact text; anything else is left to simplejson."""
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is left to simplejson")


def encode(body: Any) -> bytes:
    """``body`` as compact JSON, byte for byte what ``simplejson.dumps(body,
    use_decimal=True, separators=(",", ":"))`` writes (floats aside: the core sends none)."""
    try:
        content = orjson.dumps(body, default=_fragment, option=_OPTIONS)
    except TypeError:
        pass
    else:
        if content.isascii() and b"\x7f" not in content:
            return content
    return simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()


# what ``simplejson.loads(content, use_decimal=True)`` builds on every call, built once (a
# decoder keeps no state between documents)
_DECODER = simplejson.JSONDecoder(parse_float=Decimal)


def decode(content: bytes) -> Any:
    return _DECODER.decode(content) if content else None  # type: ignore[arg-type]


def call(
    runtime: Runtime,
    vendor: str,
    tenant: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    form: list[tuple[str, str]] | None = None,
    read: bool = True,
) -> Flow[Any]:
    """One request with a JSON body (or a form, for vendors that take one); returns the
    decoded JSON answer or raises ``VendorError``. With ``read=False`` a successful answer is
    not decoded (``None``): for a caller that uses nothing of it, such as AvaTax's commit
    (asked for its summary only; without ``$include`` it echoes the whole transaction, 5.6 MB
    over the flagship run's 32 invoices). An error answer is still decoded into
    ``VendorError``."""
    all_headers = {"x-tenant": tenant, "accept": "application/json", **(headers or {})}
    content = None
    if body is not None:
        content = encode(body)
        all_headers["content-type"] = "application/json"
    elif form is not None:
        content = urlencode(form).encode()
        all_headers["content-type"] = "application/x-www-form-urlencoded"
    response = yield from runtime.send(
        vendor, method, path, content=content, params=params, headers=all_headers
    )
    if response.status_code >= 400:
        raise VendorError(vendor, method, path, response.status_code, decode(response.content))
    return decode(response.content) if read else None
