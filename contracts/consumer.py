"""Consumer-side contract checks: every request a client sends and every answer it gets, held
against the vendor's published contract (``contracts/<vendor>.yaml``).

One validator for two kinds of traffic: the simulated core's calls during a run (the world
checks each one; what breaks the contract is counted per vendor in ``metrics.json`` as
``contract_violations`` and traced) and anyone's calls to ``q2c serve`` (``contracts.traffic``
keeps a per-tenant contract report and, with ``--strict``, refuses a non-conforming request).
A provider test (Schemathesis against a mock) proves the vendor keeps its contract; this proves
the consumer does: a misspelt field in an adapter, an operation the spec does not have, a body
in a media type the operation does not take, or a vendor answering in a shape its spec does not
allow (schema drift).

Each finding is a ``Violation``: the operation, the rule of the contract it breaks (stable, so
that findings count up: a schema keyword's location, never the offending value) and an example
(this instance's message). ``check_request``/``check_response`` give the one-line texts the
simulator traces. Query and header parameters are checked when the caller passes the query
(``q2c serve`` does; the simulator's calls build theirs from typed code).

Schemas are compiled once per operation and slot (``jsonschema_rs``: the checks are on the
hot path of every simulated call); paths are matched against the spec's templates through a
cache keyed by the concrete path's shape; responses, parameters and bodies given as ``$ref``
are resolved once.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
import orjson
import simplejson

from contracts.specs import VENDORS, load

__all__ = ["VENDORS", "ContractValidator", "Violation", "shared_validator"]  # VENDORS: specs'
_METHODS = ("get", "post", "put", "patch", "delete")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}")
_MAX_ERRORS = 5  # per checked slot: enough to act on, bounded for a garbage body
_EXAMPLE_CHARS = 200


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request or an answer breaks its vendor's contract.

    ``rule`` names what the contract says and is the same for every instance of one mistake;
    ``example`` is this instance. ``status`` is what a strict server answers a request that
    breaks the rule with (415 for a media type the operation does not take, else 422), or
    ``None`` where the vendor refuses the request itself (no such operation, an unreadable
    body): then the vendor's own answer stands.
    """

    operation: str  # "POST /v1/customers" (the spec's template; the path itself if none)
    side: str  # "request", or "response <status>"
    rule: str
    example: str
    text: str  # the one-line form the simulator traces
    status: int | None = 422
    field: str = "body"  # where in the request or answer: a body path, a parameter's name


@dataclass
class _Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    spec: dict[str, Any]
    components: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)  # path's and operation's
    checks: dict[str, Callable[[Any], list[Any]] | None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"

    def check(self, slot: str, schema: dict[str, Any] | None, instance: Any) -> list[Any]:
        """The schema errors of ``instance`` (``jsonschema_rs.ValidationError``), at most five."""
        compiled = self.checks.get(slot, ...)
        if compiled is ...:
            compiled = self.checks[slot] = None if schema is None else _compile(schema, self)
        return [] if compiled is None else compiled(instance)


def _compile(schema: dict[str, Any], op: _Operation) -> Callable[[Any], list[Any]]:
    root = {**schema, "components": _referenced(schema, op.components)}
    validator = jsonschema_rs.validator_for(root)

    def errors(instance: Any) -> list[Any]:
        if validator.is_valid(instance):  # the common case, without building error objects
            return []
        return list(itertools.islice(validator.iter_errors(instance), _MAX_ERRORS))

    return errors


def _referenced(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The components ``schema`` reaches through ``#/components/<kind>/<name>`` references,
    directly or through each other: a validator compiles every schema under its root, so
    rooting each slot's schema among all of a spec's components cost ~1.2 ms a slot (787
    slots, ~0.9 s for every answer of every spec; 71 slots in a flagship run), the reachable
    few ~0.1 ms. Any other kind of reference (another document, a JSON pointer not into
    ``components``) keeps them all, as before."""
    kept: dict[str, dict[str, Any]] = {}
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str):
            parts = ref.split("/")
            if len(parts) < 4 or parts[:2] != ["#", "components"] or "~" in ref:
                return components
            kind, name = parts[2], parts[3]
            if name not in components.get(kind, {}):
                return components  # a dangling reference: the validator reports it as before
            if name not in kept.setdefault(kind, {}):
                kept[kind][name] = components[kind][name]
                pending.append(components[kind][name])
        pending.extend(node.values())
    return kept


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    body = "".join("[^/()]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


def _deref(node: Any, components: Mapping[str, Any]) -> Any:
    """A ``#/components/<kind>/<name>`` reference followed to what it names (chains too)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 16:
        _, _, kind, name = str(node["$ref"]).split("/", 3)
        node = components.get(kind, {}).get(name, {})
        seen += 1
    return node


def _where(error: Any) -> str:
    return "/".join(str(p) for p in error.instance_path) or "(body)"


def _field(error: Any) -> str:
    return ".".join(str(p) for p in error.instance_path) or "body"


def _rule(error: Any) -> str:
    """The schema keyword an error breaks, by its place in the schema (never the value)."""
    kind = error.kind
    rule = "/".join(str(p) for p in error.schema_path) or "schema"
    if type(kind).__name__ == "Required":
        rule += f" {kind.property}"
    elif type(kind).__name__ == "AdditionalProperties":
        rule += " " + ", ".join(str(u) for u in kind.unexpected)
    return rule


class ContractValidator:
    """The contracts of ``vendors``, ready to check traffic against."""

    def __init__(self, vendors: Iterable[str] = VENDORS) -> None:
        self._ops: dict[str, list[_Operation]] = {}
        for vendor in vendors:
            spec = load(vendor)
            components = spec.get("components", {})
            ops = []
            for template, item in spec.get("paths", {}).items():
                shared = [_deref(p, components) for p in item.get("parameters", [])]
                for method in _METHODS:
                    if method in item:
                        own = [_deref(p, components) for p in item[method].get("parameters", [])]
                        names = {(p.get("in"), p.get("name")) for p in own}
                        params = own + [
                            p for p in shared if (p.get("in"), p.get("name")) not in names
                        ]
                        ops.append(_Operation(method.upper(), template,
                                              _template_regex(template), item[method],
                                              components, params))  # fmt: skip
            self._ops[vendor] = ops
        self._routes: dict[tuple[str, str, str], _Operation | None] = {}

    def operation(self, vendor: str, method: str, path: str) -> _Operation | None:
        """The spec operation ``path`` belongs to; paths of one shape (ids aside) share one
        lookup."""
        key = (vendor, method, _GUID.sub("{}", path))
        found = self._routes.get(key)
        if found is None or found.regex.match(path) is None:
            found = self._search(vendor, method, path)
            if len(self._routes) < 100_000:  # a client probing random paths cannot grow it
                self._routes[key] = found
        return found

    def _search(self, vendor: str, method: str, path: str) -> _Operation | None:
        for op in self._ops.get(vendor, []):
            if op.method == method and op.regex.match(path):
                return op
        return None

    # -- requests ------------------------------------------------------------------------

    def request_violations(
        self,
        vendor: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        content: bytes | None,
        query: str | None = None,
    ) -> list[Violation]:
        """What the request breaks; its parameters are checked too when ``query`` (the raw
        query string, ``""`` for none) is given."""
        op = self.operation(vendor, method, path)
        if op is None:
            text = f"{method} {path}: no such operation in contracts/{vendor}.yaml"
            return [Violation(f"{method} {path}", "request", "operation not in the contract",
                              text, text, None, "path")]  # fmt: skip
        found = [] if query is None else self._parameters(op, headers, query)
        return found + self._body(op, headers, content)

    def _body(
        self, op: _Operation, headers: Mapping[str, str], content: bytes | None
    ) -> list[Violation]:
        body_spec = _deref(op.spec.get("requestBody"), op.components)
        if not content:
            if body_spec is not None and body_spec.get("required"):
                text = f"{op.label}: a request body is required"
                return [Violation(op.label, "request", "requestBody required", text, text)]
            return []
        kind = headers.get("content-type", "").split(";")[0].strip()
        media = (body_spec or {}).get("content", {}).get(kind)
        if media is None:
            text = f"{op.label}: the contract takes no {kind or 'untyped'} body"
            takes = ", ".join((body_spec or {}).get("content", {})) or "no body"
            return [Violation(op.label, "request", f"requestBody media type: {takes}",
                              text, text, 415, "content-type")]  # fmt: skip
        body = _decode(kind, content)
        if body is _UNREADABLE:
            text = f"{op.label}: the body is not {kind}"
            return [Violation(op.label, "request", f"requestBody {kind}: readable", text, text,
                              None)]  # fmt: skip
        schema = media.get("schema")
        if kind == "application/x-www-form-urlencoded" and schema is not None:
            body = _coerce_form(body, schema, op.components)
        found = []
        for error in op.check(f"request:{kind}", schema, body):
            example = f"{_where(error)}: {error.message}"
            found.append(Violation(op.label, "request", f"requestBody {kind}: {_rule(error)}",
                                   example[:_EXAMPLE_CHARS],
                                   f"{op.label} request {example}", 422,
                                   _field(error)))  # fmt: skip
        return found

    def _parameters(
        self, op: _Operation, headers: Mapping[str, str], query: str
    ) -> list[Violation]:
        given: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            given.setdefault(name, []).append(value)
        found = []
        for param in op.parameters:
            where, name = param.get("in"), str(param.get("name"))
            values: list[str] | None
            if where == "query":
                values = given.get(name)
            elif where == "header":
                header = headers.get(name.lower())
                values = None if header is None else [header]
            else:
                continue  # path parameters: the route matched, and ours are all text
            label = f"{where} parameter {name}"
            if values is None:
                if param.get("required"):
                    text = f"{op.label}: {label} is required"
                    found.append(Violation(op.label, "request", f"{label}: required", text, text,
                                           422, name))  # fmt: skip
                continue
            schema = param.get("schema") or {}
            if len(values) > 1 and schema.get("type") != "array":
                text = f"{op.label}: {label} is given {len(values)} times"
                found.append(Violation(op.label, "request", f"{label}: given once", text, text,
                                       422, name))  # fmt: skip
                continue
            instance = _coerce_param(values, schema, op.components)
            for error in op.check(f"param:{where}:{name}", schema, instance):
                example = f"{name}={values[0]!r}: {error.message}"[:_EXAMPLE_CHARS]
                text = f"{op.label} request {example}"
                found.append(Violation(op.label, "request", f"{label}: {_rule(error)}",
                                       example, text, 422, name))  # fmt: skip
        return found

    def check_request(
        self, vendor: str, method: str, path: str, headers: Mapping[str, str], content: bytes | None
    ) -> list[str]:
        """The request's violations as the simulator traces them (body and operation)."""
        return [v.text for v in self.request_violations(vendor, method, path, headers, content)]

    # -- answers -------------------------------------------------------------------------

    def response_violations(
        self,
        vendor: str,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
    ) -> list[Violation]:
        op = self.operation(vendor, method, path)
        if op is None:
            return []  # already reported on the request
        side = f"response {status}"
        responses = op.spec.get("responses", {})
        answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        answer = _deref(answer or responses.get("default"), op.components)
        if answer is None:
            text = f"{op.label}: status {status} is not in the contract"
            return [Violation(op.label, side, "responses: status declared", text, text)]
        if not content:
            return []
        kind = headers.get("content-type", "").split(";")[0].strip()
        media = answer.get("content", {}).get(kind)
        if media is None:
            text = f"{op.label}: {status} with an undeclared {kind} body"
            return [Violation(op.label, side, "response media type", text, text)]
        body = _decode(kind, content)
        if body is _UNREADABLE:
            text = f"{op.label}: the {status} body is not {kind}"
            return [Violation(op.label, side, f"response {kind}: readable", text, text)]
        found = []
        for error in op.check(f"response:{status}:{kind}", media.get("schema"), body):
            example = f"{_where(error)}: {error.message}"
            found.append(Violation(op.label, side, f"response {kind}: {_rule(error)}",
                                   example[:_EXAMPLE_CHARS],
                                   f"{op.label} {status} {example}"))  # fmt: skip
        return found

    def check_response(
        self,
        vendor: str,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
    ) -> list[str]:
        """The answer's violations as the simulator traces them."""
        found = self.response_violations(vendor, method, path, status, headers, content)
        return [v.text for v in found]


@functools.cache
def shared_validator() -> ContractValidator:
    """One validator per process: compiled schemas are reused by every run (a swarm's too) and
    by every served request."""
    return ContractValidator()


_UNREADABLE = object()
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")  # one [name] of a form key


# 19 digits in a row: a number orjson might read as a float where simplejson keeps an integer
# (below -2**63 or from 2**64); such a body (or one with a long digit string anywhere) is left
# to simplejson. Found by turning every digit into "0" and looking for 19 zeros in a row: two
# passes in C at memory speed, where the regex ``[0-9]{19}`` took ten times as long (0.6 s of
# the flagship run's 23 MB of checked bodies; it restarts at every digit of every number).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGITS = b"0" * 19


def _long_digits(content: bytes) -> bool:
    return _LONG_DIGITS in content.translate(_DIGITS_AS_ZERO)


def _decode(kind: str, content: bytes) -> Any:
    """The body as the schema sees it, floats for numbers (the schema checks types and bounds,
    never money arithmetic). Hot path: orjson reads most bodies several times faster than
    simplejson and to the same values; what it refuses (NaN, Infinity, an overflowing number,
    a lone surrogate: simplejson reads them) or might read otherwise (long integers) goes to
    simplejson, which decides as it always did."""
    try:
        if kind == "application/x-www-form-urlencoded":
            return _form(content.decode())
        if isinstance(content, bytes) and not _long_digits(content):
            try:
                return orjson.loads(content)
            except orjson.JSONDecodeError:
                pass
        return simplejson.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _UNREADABLE


def _form(text: str) -> dict[str, Any]:
    """Stripe's form encoding: ``a[b][c]=v`` nests (to any depth), ``a[]=v`` appends; a key used
    both ways (``a=1&a[b]=2``) is unreadable, as Stripe refuses it (``ValueError``)."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        head, bracket, rest = key.partition("[")
        path = [head, *_SEGMENT.findall(bracket + rest)]
        node = out
        for depth, name in enumerate(path[:-1]):
            if depth == len(path) - 2 and path[-1] == "":
                items = node.setdefault(name, [])
                if not isinstance(items, list):
                    raise ValueError(f"{name} is given as a list and as a value or hash")
                items.append(value)
                break
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise ValueError(f"{name} is given as a hash and as a value or list")
            node = child
        else:
            if isinstance(node.get(path[-1]), list | dict):
                raise ValueError(f"{path[-1]} is given as a value and as a list or hash")
            node[path[-1]] = value
    return out


def _coerce_form(body: dict[str, Any], schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Form values arrive as text; turn those the schema says are integers into integers."""
    schema = _deref(schema, components)
    props = schema.get("properties", {})
    coerced = dict(body)
    for name, value in body.items():
        wanted = props.get(name, {}).get("type")
        if wanted == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
            coerced[name] = int(value)
        elif wanted == "boolean" and value in ("true", "false"):
            coerced[name] = value == "true"
    return coerced


def _coerce_param(values: list[str], schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A parameter's text as the JSON value its schema describes (form style, exploded);
    text that is not one stays text, for the schema to refuse by its type."""
    schema = _deref(schema, components)
    if schema.get("type") == "array":
        items = _deref(schema.get("items", {}), components)
        return [_scalar(v, items.get("type")) for v in values]
    return _scalar(values[0], schema.get("type"))


def _scalar(text: str, wanted: Any) -> Any:
    if wanted == "integer" and re.fullmatch(r"-?[0-9]{1,30}", text):
        return int(text)
    if wanted == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if number == number and abs(number) != float("inf") else text
    if wanted == "boolean" and text in ("true", "false"):
        return text == "true"
    return text
