"""JSON over the runtime: encode with exact decimals, send, check the status, decode.

Money crosses the wire as JSON numbers parsed straight into ``Decimal``; a float never holds
an amount, not even for a moment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

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


def encode(body: Any) -> bytes:
    return simplejson.dumps(body, use_decimal=True, separators=(",", ":")).encode()


def decode(content: bytes) -> Any:
    return simplejson.loads(content, use_decimal=True) if content else None


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
) -> Flow[Any]:
    """One request with a JSON body (or a form, for vendors that take one); returns the
    decoded JSON answer or raises ``VendorError``."""
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
    return decode(response.content)
