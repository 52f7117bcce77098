"""Consumer-side contract checks: every request the core sends and every answer it gets, held
against the vendor's published contract (``contracts/<vendor>.yaml``) while a run goes on.

A provider test (Schemathesis against a mock) proves the vendor keeps its contract; this proves
the consumer does: a misspelt field in an adapter, an operation the spec does not have, or a
vendor answering in a shape its spec does not allow (schema drift) is counted per vendor in
``metrics.json`` as ``contract_violations`` and traced, not waved through.

Schemas are compiled once per operation and status (``jsonschema_rs``: the checks are on the
hot path of every simulated call); paths are matched against the spec's templates through a
cache keyed by the concrete path's shape.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
import simplejson

from contracts.specs import VENDORS, load

__all__ = ["VENDORS", "ContractValidator", "shared_validator"]  # VENDORS: contracts.specs'
_METHODS = ("get", "post", "put", "patch", "delete")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}")


@dataclass
class _Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    spec: dict[str, Any]
    components: dict[str, Any]
    checks: dict[str, Callable[[Any], list[str]] | None] = field(default_factory=dict)

    def check(self, slot: str, schema: dict[str, Any] | None, instance: Any) -> list[str]:
        compiled = self.checks.get(slot, ...)
        if compiled is ...:
            compiled = self.checks[slot] = None if schema is None else _compile(schema, self)
        return [] if compiled is None else compiled(instance)


def _compile(schema: dict[str, Any], op: _Operation) -> Callable[[Any], list[str]]:
    root = {**schema, "components": op.components}
    validator = jsonschema_rs.validator_for(root)

    def errors(instance: Any) -> list[str]:
        return [
            f"{'/'.join(str(p) for p in e.instance_path) or '(body)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ][:5]

    return errors


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    body = "".join("[^/()]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


class ContractValidator:
    """The contracts of ``vendors``, ready to check traffic against."""

    def __init__(self, vendors: Iterable[str] = VENDORS) -> None:
        self._ops: dict[str, list[_Operation]] = {}
        for vendor in vendors:
            spec = load(vendor)
            components = spec.get("components", {})
            ops = []
            for template, item in spec.get("paths", {}).items():
                for method in _METHODS:
                    if method in item:
                        ops.append(_Operation(method.upper(), template,
                                              _template_regex(template), item[method],
                                              components))  # fmt: skip
            self._ops[vendor] = ops
        self._routes: dict[tuple[str, str, str], _Operation | None] = {}

    def operation(self, vendor: str, method: str, path: str) -> _Operation | None:
        """The spec operation ``path`` belongs to; paths of one shape (ids aside) share one
        lookup."""
        key = (vendor, method, _GUID.sub("{}", path))
        found = self._routes.get(key)
        if found is None or found.regex.match(path) is None:
            found = self._routes[key] = self._search(vendor, method, path)
        return found

    def _search(self, vendor: str, method: str, path: str) -> _Operation | None:
        for op in self._ops.get(vendor, []):
            if op.method == method and op.regex.match(path):
                return op
        return None

    def check_request(
        self, vendor: str, method: str, path: str, headers: Mapping[str, str], content: bytes | None
    ) -> list[str]:
        op = self.operation(vendor, method, path)
        if op is None:
            return [f"{method} {path}: no such operation in contracts/{vendor}.yaml"]
        body_spec = op.spec.get("requestBody")
        if not content:
            if body_spec is not None and body_spec.get("required"):
                return [f"{method} {op.template}: a request body is required"]
            return []
        kind = headers.get("content-type", "").split(";")[0].strip()
        media = (body_spec or {}).get("content", {}).get(kind)
        if media is None:
            return [f"{method} {op.template}: the contract takes no {kind or 'untyped'} body"]
        body = _decode(kind, content)
        if body is _UNREADABLE:
            return [f"{method} {op.template}: the body is not {kind}"]
        schema = media.get("schema")
        if kind == "application/x-www-form-urlencoded" and schema is not None:
            body = _coerce_form(body, schema, op.components)
        return [f"{method} {op.template} request {e}" for e in
                op.check(f"request:{kind}", schema, body)]  # fmt: skip

    def check_response(
        self,
        vendor: str,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
    ) -> list[str]:
        op = self.operation(vendor, method, path)
        if op is None:
            return []  # already reported on the request
        responses = op.spec.get("responses", {})
        answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        answer = answer or responses.get("default")
        if answer is None:
            return [f"{method} {op.template}: status {status} is not in the contract"]
        ref = answer.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/responses/"):
            answer = op.components.get("responses", {}).get(ref.rsplit("/", 1)[1], answer)
        if not content:
            return []
        kind = headers.get("content-type", "").split(";")[0].strip()
        media = answer.get("content", {}).get(kind)
        if media is None:
            return [f"{method} {op.template}: {status} with an undeclared {kind} body"]
        body = _decode(kind, content)
        if body is _UNREADABLE:
            return [f"{method} {op.template}: the {status} body is not {kind}"]
        return [f"{method} {op.template} {status} {e}" for e in
                op.check(f"response:{status}:{kind}", media.get("schema"), body)]  # fmt: skip


@functools.cache
def shared_validator() -> ContractValidator:
    """One validator per process: compiled schemas are reused by every run (a swarm's too)."""
    return ContractValidator()


_UNREADABLE = object()


def _decode(kind: str, content: bytes) -> Any:
    try:
        if kind == "application/x-www-form-urlencoded":
            return _form(content.decode())
        # floats for numbers: the schema checks types and bounds, never money arithmetic
        return simplejson.loads(content)
    except (ValueError, UnicodeDecodeError):
        return _UNREADABLE


def _form(text: str) -> dict[str, Any]:
    """Stripe's form encoding: ``a[b]=v`` nests, ``a[]=v`` appends."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, _, rest = key.partition("[")
        if not rest:
            out[key] = value
        elif rest == "]":
            out.setdefault(head, []).append(value)
        else:
            out.setdefault(head, {})[rest.rstrip("]")] = value
    return out


def _coerce_form(body: dict[str, Any], schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Form values arrive as text; turn those the schema says are integers into integers."""
    while "$ref" in schema:
        schema = components.get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[-1], {})
    props = schema.get("properties", {})
    coerced = dict(body)
    for name, value in body.items():
        wanted = props.get(name, {}).get("type")
        if wanted == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
            coerced[name] = int(value)
        elif wanted == "boolean" and value in ("true", "false"):
            coerced[name] = value == "true"
    return coerced
