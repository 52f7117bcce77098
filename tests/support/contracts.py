"""Check live mock traffic against our OpenAPI contracts in ``contracts/``.

A ``Contract`` loads one vendor's spec, finds the operation a request hit, and validates the
response body (and, for accepted requests, the request body) against the schema the spec
declares for that path, method, status and media type. ``$ref``s resolve inside the spec
document through a ``referencing`` registry: each check is the Draft 2020-12 schema
``{"$ref": "<spec uri>#<json pointer>"}``.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from contracts import VENDORS

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# Every vendor with a spec in contracts/ (the registry).
CONTRACTED = VENDORS
# The vendors tests/mocks/test_conform.py checks route by route. The tax and payments mocks'
# conformance (routes equal the spec's operations, every response validated) is in
# tests/mocks/test_tax_documents.py and tests/mocks/test_payments_objects.py; fold them in once
# tests/mocks/test_conform.py builds a TaxMock and a PaymentsMock too.
CONFORMED = tuple(v for v in VENDORS if v not in ("tax", "payments"))
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@functools.cache
def load_spec(vendor: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CONTRACTS / f"{vendor}.yaml").read_text())
    return data


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def pointer(*segments: str) -> str:
    """A JSON pointer to the given segments."""
    return "".join("/" + _escape(s) for s in segments)


def decode_form(content: bytes) -> dict[str, Any]:
    """A form body with bracket notation as nested dicts of text (``a[b]=c``, ``a[]=x``).

    Written independently of the payments mock's own decoder: the contract check must not
    reuse the code it checks. ``a[]`` appends under the next index ("0", "1", ...).
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(content.decode("utf-8"), keep_blank_values=True):
        head, _, rest = key.partition("[")
        segments = [head, *rest.rstrip("]").split("][")] if rest else [head]
        node = root
        for segment in segments[:-1]:
            node = node.setdefault(segment, {})
        last = segments[-1] or str(len(node))
        node[last] = value
    return root


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join("[^/()]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


class Contract:
    """One vendor's spec, plus a log of the (method, path template, status) triples checked."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.spec = load_spec(vendor)
        self.uri = f"urn:q2c:contracts:{vendor}"
        self.registry: Registry[Any] = Registry().with_resource(
            self.uri, DRAFT202012.create_resource(self.spec)
        )
        self._templates: list[tuple[str, re.Pattern[str]]] = [
            (t, _template_regex(t)) for t in self.spec["paths"]
        ]
        self.seen: list[tuple[str, str, int]] = []

    # -- lookups --------------------------------------------------------------------------

    def operations(self, public: bool = True) -> set[tuple[str, str]]:
        """Every (METHOD, path template) the spec declares; without the public ones (the OAuth
        token endpoint, ``security: []``) when ``public`` is false."""
        return {
            (method.upper(), template)
            for template, item in self.spec["paths"].items()
            for method, operation in item.items()
            if method in METHODS and (public or operation.get("security") != [])
        }

    def template(self, path: str) -> str:
        matches = [t for t, regex in self._templates if regex.match(path)]
        assert len(matches) == 1, f"{self.vendor}: {path} matches spec paths {matches}"
        return matches[0]

    def validator(self, ptr: str) -> Draft202012Validator:
        ref = f"{self.uri}#{quote(ptr, safe='/~')}"
        return Draft202012Validator(
            {"$ref": ref},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def errors(self, ptr: str, instance: Any) -> list[str]:
        """Validation messages for ``instance`` against the schema at ``ptr`` (empty = valid)."""
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in self.validator(ptr).iter_errors(instance)
        ]

    def request_schema(self, method: str, template: str, media: str = JSON) -> str:
        operation = self.spec["paths"][template][method.lower()]
        assert "requestBody" in operation, f"{method} {template} declares no request body"
        return pointer("paths", template, method.lower(), "requestBody", "content", media, "schema")

    def sent(self, request: httpx.Request, template: str) -> tuple[str, Any]:
        """The request body as the spec describes it: (media type, decoded value).

        Form fields arrive as text; each is read as the type its schema declares (an integer
        field's digits as an integer, an array's indexed fields as a list).
        """
        media = request.headers.get("content-type", JSON).split(";")[0].strip()
        if media != FORM:
            return JSON, json.loads(request.content)
        operation = self.spec["paths"][template][request.method.lower()]
        schema = operation["requestBody"]["content"][FORM]["schema"]
        return FORM, self._typed(schema, decode_form(request.content))

    def _typed(self, schema: dict[str, Any], value: Any) -> Any:
        while "$ref" in schema:
            target: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = target
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        for branch in schema.get("oneOf", []) + schema.get("anyOf", []):
            wanted = ("object", "array") if isinstance(value, dict) else ("string", "integer")
            if branch.get("type") in wanted:
                return self._typed(branch, value)
        if isinstance(value, dict) and "array" in kinds:
            indices = [str(n) for n in range(len(value))]
            if sorted(value) == sorted(indices):
                return [self._typed(schema.get("items", {}), value[i]) for i in indices]
        if isinstance(value, dict) and "object" in kinds:
            extra = schema.get("additionalProperties")
            fallback = extra if isinstance(extra, dict) else {}
            props = schema.get("properties", {})
            return {k: self._typed(props.get(k, fallback), v) for k, v in value.items()}
        if isinstance(value, str) and "integer" in kinds and re.fullmatch(r"-?[0-9]+", value):
            return int(value)
        if value in ("true", "false") and "boolean" in kinds:
            return value == "true"
        return value

    def webhook_schema(self, event: str) -> str:
        return pointer("webhooks", event, "post", "requestBody", "content") + (
            "/application~1json/schema"
        )

    # -- checks ---------------------------------------------------------------------------

    def check(self, response: httpx.Response) -> None:
        """Assert that the spec declares this response and that its body matches."""
        request = response.request
        method = request.method
        template = self.template(request.url.path)
        operation = self.spec["paths"][template].get(method.lower())
        assert operation is not None, f"{method} {template} is not in {self.vendor}.yaml"
        status = response.status_code
        key = next(
            (
                k
                for k in (str(status), f"{status // 100}XX", "default")
                if k in operation["responses"]
            ),
            None,
        )
        assert key is not None, (
            f"{method} {template} answered {status}, which {self.vendor}.yaml does not declare: "
            f"{response.text[:300]}"
        )
        self.seen.append((method, template, status))
        declared = operation["responses"][key]
        if "$ref" in declared:
            declared = self.spec["components"]["responses"][declared["$ref"].rsplit("/", 1)[1]]
        content = declared.get("content", {})
        if not response.content:
            assert not content, f"{method} {template} {status}: spec declares a body, got none"
            return
        media = response.headers["content-type"].split(";")[0].strip()
        assert media in content, f"{method} {template} {status}: {media} not in {list(content)}"
        # the pointer goes through the operation so that a $ref'd response resolves in place
        ptr = pointer("paths", template, method.lower(), "responses", key)
        if "$ref" in operation["responses"][key]:
            ptr = operation["responses"][key]["$ref"].removeprefix("#")
        ptr += pointer("content", media, "schema")
        problems = self.errors(ptr, response.json())
        assert not problems, f"{method} {template} {status} body breaks the spec: {problems}"
        if 200 <= status < 300 and request.content:
            media, sent = self.sent(request, template)
            problems = self.errors(self.request_schema(method, template, media), sent)
            assert not problems, (
                f"{method} {template}: the mock accepted a body the spec rejects: {problems}"
            )

    def rejects(self, method: str, template: str, body: Any, media: str = JSON) -> bool:
        """True when the spec's request schema refuses ``body`` (as the mock should too)."""
        return bool(self.errors(self.request_schema(method, template, media), body))

    def client(self, app: Any, tenant: str | None = None) -> httpx.Client:
        """An httpx client on the mock's in-process transport that checks every response."""

        def hook(response: httpx.Response) -> None:
            response.read()
            self.check(response)

        headers = {"X-Tenant": tenant} if tenant is not None else {}
        return httpx.Client(
            transport=app.transport(),
            base_url="http://x",
            headers=headers,
            event_hooks={"response": [hook]},
        )

    def covered(self) -> set[tuple[str, str]]:
        return {(method, template) for method, template, _ in self.seen}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error response, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields(response: httpx.Response, status: int = 422) -> list[str]:
    """The fields a problem+json error, or Kantata's ``{"errors": [...]}``, names."""
    if response.headers.get("content-type") == "application/json":
        return [e["field"] for e in kantata_errors(response, status) if "field" in e]
    return [e["field"] for e in problem(response, status)["errors"]]


def kantata_errors(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    """Kantata OX's ``{"errors": [{type, message, field}]}`` answer, after checking its
    status, media type and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert set(body) == {"errors"} and body["errors"], body
    assert all(e["type"] in ("validation", "oauth", "system") for e in body["errors"]), body
    return list(body["errors"])


def bc_error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """The message of Business Central's ``{"error": {"code", "message"}}`` answer, after
    checking its status, media type and (when given) code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    return message


def avatax_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The ``error`` of AvaTax's ``{"error": {code, message, target, details}}`` answer, after
    checking its status, media type, shape and (when given) code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "target", "details"} <= set(error), body
    assert all(d["code"] and d["number"] >= 0 and d["helpLink"] for d in error["details"]), body
    if code is not None:
        assert error["code"] == code, body
    return error


def avatax_fields(response: httpx.Response, status: int = 400) -> list[str]:
    """The fields an AvaTax error refers to (``details[].refersTo``)."""
    return [d["refersTo"] for d in avatax_error(response, status)["details"] if "refersTo" in d]


def salesforce_errors(
    response: httpx.Response, status: int, code: str | None = None
) -> list[dict[str, Any]]:
    """Salesforce's ``[{message, errorCode, fields}]`` answer, after checking its status,
    media type, shape and (when given) the first error's code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert isinstance(body, list) and body, body
    assert all(set(e) == {"message", "errorCode", "fields"} for e in body), body
    if code is not None:
        assert body[0]["errorCode"] == code, body
    return body


def salesforce_fields(response: httpx.Response, status: int = 400) -> list[str]:
    """The fields a Salesforce error names."""
    return [f for e in salesforce_errors(response, status) for f in e["fields"]]


def error_message(response: httpx.Response, status: int) -> str:
    """The message of any mock's error answer, in whichever vendor's shape it comes (Salesforce's
    list, Kantata's ``errors``, the ``error`` object of BC, AvaTax and Stripe, Ironclad's
    ``{code, message}``, or a problem document), after checking its status."""
    assert response.status_code == status, response.text
    body = response.json()
    if isinstance(body, list):
        return str(salesforce_errors(response, status)[0]["message"])
    if "errors" in body and "status" not in body:  # Kantata's {"errors": [{type, message}]}
        return str(body["errors"][0]["message"])
    if "error" in body and isinstance(body["error"], dict):
        return str(body["error"]["message"])
    if "code" in body and "status" not in body:  # Ironclad's {code, message, param}
        assert response.headers["content-type"] == "application/json", response.headers
        return str(body["message"])
    return str(problem(response, status).get("detail", ""))
