"""Schemathesis hooks our contracts need: form bodies written the way Stripe reads them.

OpenAPI's form encoding has no style for nested arrays and objects that Stripe accepts
(``payment_method_types[0]=card``, ``metadata[order]=42``); the payments contract says
``deepObject`` as Stripe's own spec does, but Schemathesis sends repeated bare keys. This module
registers a serializer for ``application/x-www-form-urlencoded`` that brackets nested values.
``contracts.conformance`` imports it; a hand run loads it with
``SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run URL``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import schemathesis

import contracts.conformance_client  # noqa: F401  (the stateful phase's client-like requests)

__all__ = ["stripe_form"]


def stripe_form(value: Any) -> bytes:
    """``value`` form-encoded with bracketed keys for nested objects and arrays."""
    if not isinstance(value, dict):
        return b"" if value is None else str(value).encode()
    pairs: list[tuple[str, str]] = []
    _walk("", value, pairs)
    return urlencode(pairs).encode()


def _walk(prefix: str, value: Any, pairs: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        if not value and prefix:
            pairs.append((prefix, ""))  # Stripe reads an empty value as "clear this"
        for key, item in value.items():
            _walk(f"{prefix}[{key}]" if prefix else str(key), item, pairs)
    elif isinstance(value, list):
        if not value:
            pairs.append((prefix, ""))
        for index, item in enumerate(value):
            _walk(f"{prefix}[{index}]", item, pairs)
    elif value is None:
        pairs.append((prefix, ""))
    elif isinstance(value, bool):
        pairs.append((prefix, "true" if value else "false"))
    else:
        pairs.append((prefix, str(value)))


@schemathesis.serializer("application/x-www-form-urlencoded")
def _form(ctx: schemathesis.SerializationContext, value: Any) -> bytes:
    return stripe_form(value)
