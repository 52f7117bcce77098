"""One request handler, two ways to serve it: an httpx transport and an ASGI app.

The simulator calls a mock in-process through ``app.transport()`` (an ``httpx.MockTransport``
over ``app.handle``): no event loop, no thread hop, the hot path stays a function call.
``uvicorn`` serves the very same handler through ``app.asgi`` (straight from the ASGI scope to
``dispatch`` where nothing in front needs httpx objects, by the rules of ``mocks._served_head``;
through ``handle`` otherwise). Errors are RFC 9457 problem documents, never a 500 for a bad
request.

The transport also takes a call without an ``httpx.Request`` (``LocalTransport.send_local``,
the simulator's lean path, by the rules of ``mocks._request_head``). ``mocks._mount`` serves
several apps behind one ASGI server.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote

import httpx
import simplejson
from pydantic import BaseModel, ValidationError

from contracts.specs import SPEC_PATH, rendered
from mocks._encode import json_bytes, loaded_response
from mocks._fields import IsoDate, WholeNumber, not_null
from mocks._request_head import PLAIN_PATH, request_headers, text_values
from mocks._served_head import (
    answer_headers,
    served_headers,
    served_path,
    served_target,
    served_url,
)

__all__ = [
    "Call",
    "IsoDate",
    "LocalTransport",
    "Problem",
    "Reply",
    "VendorApp",
    "WholeNumber",
    "invalid",
    "not_null",
    "to_response",
]

M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
# simplejson.loads(..., use_decimal=True) builds a decoder per call; one does (hot path)
_DECODER = simplejson.JSONDecoder(parse_float=Decimal)


class Problem(Exception):
    """An HTTP error the caller can act on, rendered as ``application/problem+json``."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        errors: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return Reply(
            self.status, body, {"content-type": "application/problem+json", **self.headers}
        )


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class Query(Mapping[str, str]):
    """A request's query parameters. No parameter of ours is a list, so reading one that was
    given more than once is a 400 naming it; repeated parameters nobody reads are ignored, as
    unknown ones are."""

    __slots__ = ("_params",)

    def __init__(self, params: httpx.QueryParams) -> None:
        self._params = params

    def __getitem__(self, name: str) -> str:
        values = self._params.get_list(name)
        if not values:
            raise KeyError(name)
        if len(values) > 1:
            raise Problem(
                400,
                "Bad Request",
                f"query parameter {name!r} is given more than once",
                errors=[{"field": name, "message": "given more than once"}],
            )
        return values[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params.keys())

    def __len__(self) -> int:
        return len(self._params)


@functools.lru_cache(maxsize=1024)
def _parsed_query(raw: str) -> Query:
    return Query(httpx.QueryParams(raw))


def _query(raw: str) -> Query:
    """A call's query parameters. Hot path (make bench-serve): the query strings clients
    repeat (none at all, a page size) are parsed once; a Query cannot be changed, so calls
    share it. Long ones are not kept."""
    return _parsed_query(raw) if len(raw) <= 1024 else Query(httpx.QueryParams(raw))


@dataclass(slots=True)
class Call:
    """What a route handler sees of a request."""

    method: str
    path: str
    params: dict[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    content: bytes
    root_path: str = ""  # the prefix the app is mounted under when served (``/erp``)
    granted_tenant: str | None = None  # the bearer token's tenant, when auth is enforced
    granted_client: str | None = None  # the token's OAuth client id (set by the gate with it)

    @property
    def tenant(self) -> str:
        if self.granted_tenant is not None:
            return self.granted_tenant
        return self.headers.get("x-tenant", "default")

    def json(self) -> Any:
        if not self.content:
            raise Problem(400, "Bad Request", "a JSON body is required")
        media = self.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != JSON:  # every JSON vendor answers 415 (Stripe's form API never asks here)
            raise Problem(
                415,
                "Unsupported Media Type",
                f"send the body as {JSON} (got {media or 'no Content-Type'})",
                errors=[{"field": "content-type", "message": f"expected {JSON}"}],
                # RFC 5789 §3.1 (Accept-Patch), W3C LDP §7.1 (Accept-Post): what is taken
                headers={f"accept-{self.method.lower()}": JSON}
                if self.method in ("POST", "PATCH")
                else {},
            )
        try:
            return _DECODER.decode(self.content)  # type: ignore[arg-type]
        except ValueError as exc:
            raise Problem(400, "Bad Request", f"body is not valid JSON: {exc}") from None
        except RecursionError:
            raise Problem(400, "Bad Request", "body is nested too deeply") from None

    def parse(self, model: type[M], envelope: str | None = None) -> M:
        """Validate the JSON body (optionally wrapped as ``{envelope: {...}}``) into ``model``."""
        data = self.json()
        prefix: tuple[str, ...] = ()
        if envelope is not None:
            if not isinstance(data, dict) or envelope not in data:
                raise Problem(
                    400,
                    "Bad Request",
                    f"body must be an object with a {envelope!r} member",
                    errors=[{"field": envelope, "message": "required"}],
                )
            data, prefix = data[envelope], (envelope,)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise invalid(exc, prefix) from None

    def int_query(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        raw = self.query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise Problem(
                400,
                "Bad Request",
                f"query parameter {name!r} must be an integer",
                errors=[{"field": name, "message": "expected an integer"}],
            ) from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise Problem(
                400,
                "Bad Request",
                f"query parameter {name!r} must be {bound}",
                errors=[{"field": name, "message": f"expected {bound}"}],
            )
        return value


def invalid(exc: ValidationError, prefix: tuple[str, ...] = ()) -> Problem:
    """A 422 naming every offending field of a pydantic validation error."""
    errors = [
        {"field": ".".join(str(p) for p in (*prefix, *err["loc"])), "message": err["msg"]}
        for err in exc.errors(include_url=False)
    ]
    fields = ", ".join(e["field"] for e in errors)
    return Problem(422, "Unprocessable Entity", f"invalid fields: {fields}", errors=errors)


Handler = Callable[[Call], Reply]


class Gate(Protocol):
    """Decides whether a call may use a scoped operation (``mocks._auth.Authority``)."""

    enforce: bool  # tokens are asked for (else a call acts in its ``X-Tenant`` header's tenant)

    def admit(self, call: Call, scope: str) -> str | None:
        """The tenant the call acts in (``None``: the ``X-Tenant`` header's), or raise a
        401/403 ``Problem``."""
        ...

    def client_of(self, authorization: str) -> str | None:
        """The OAuth client a valid bearer token was issued to (a fault layer in front of the
        gate keys its quotas on it), else None."""
        ...


def _compile(pattern: str) -> re.Pattern[str]:
    """A path template as a regex matched whole: a parameter is anything within its segment
    (an OData key such as ``companies({id})`` takes all up to the segment's last ``)``)."""
    regex = re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(pattern).replace(r"\{", "{").replace(r"\}", "}")
    )
    return re.compile(regex, re.DOTALL)


class VendorApp:
    """A route table plus the two ways of serving it."""

    def __init__(self, name: str, prefix: str = "", spec: str | None = None) -> None:
        self.name = name
        self.prefix = prefix
        # contracts/<spec>.yaml, served at /openapi.json ("": none, as for the admin API)
        self.spec = spec if spec is not None else name
        # how this vendor words a problem raised by shared code (Stripe adds its error object)
        self.refine: Callable[[Problem], Problem] = lambda problem: problem
        self._routes: list[tuple[str, re.Pattern[str], Handler, str | None]] = []
        self._patterns: list[tuple[str, str]] = []
        self._scopes: dict[tuple[str, str], str | None] = {}
        self.gate: Gate | None = None  # the OAuth check of scoped routes (mocks._auth)

    def route(
        self, method: str, pattern: str, scope: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Register a handler; ``scope`` is the OAuth scope the operation needs (``None``:
        public, as the token endpoint is)."""

        def register(handler: Handler) -> Handler:
            self._routes.append((method, _compile(self.prefix + pattern), handler, scope))
            self._patterns.append((method, self.prefix + pattern))
            self._scopes[(method, self.prefix + pattern)] = scope
            return handler

        return register

    def routes(self) -> list[tuple[str, str]]:
        """Every registered (method, path template) pair, in registration order."""
        return list(self._patterns)

    def template(self, method: str, path: str) -> str:
        """``"METHOD /path/{template}"`` of the route ``path`` matches (the path itself when
        none does): what a vendor counts as one endpoint."""
        for (route_method, pattern), (_, regex, _, _) in zip(
            self._patterns, self._routes, strict=True
        ):
            if route_method == method and regex.fullmatch(path):
                return f"{method} {pattern}"
        return f"{method} {path}"

    def scopes(self) -> dict[tuple[str, str], str | None]:
        """The scope each (method, path template) needs (``None``: public)."""
        return dict(self._scopes)

    def precheck(self, method: str, path: str, headers: Mapping[str, str]) -> Problem | None:
        """The 401/403 a request would get, decided from its head alone: a server asks before
        it reads a body, so an unauthenticated upload is refused unread."""
        if self.gate is None:
            return None
        for route_method, regex, _, scope in self._routes:
            if route_method == method and regex.fullmatch(path):
                if scope is None:
                    return None
                try:
                    self.gate.admit(Call(method, path, {}, {}, headers, b""), scope)
                except Problem as problem:
                    return self.refine(problem)
                return None
        return None

    def dispatch(self, call: Call) -> Reply:
        if self.spec and call.path == self.prefix + SPEC_PATH and call.method in ("GET", "HEAD"):
            return Reply(200, _Raw(rendered(self.spec, call.root_path)))
        allowed: list[str] = []
        for method, regex, handler, scope in self._routes:
            match = regex.fullmatch(call.path)
            if match is None:
                continue
            if method != call.method:
                allowed.append(method)
                continue
            call.params = {k: unquote(v) for k, v in match.groupdict().items()}
            try:
                if scope is not None and self.gate is not None:
                    call.granted_tenant = self.gate.admit(call, scope)
                return handler(call)
            except Problem as problem:
                return self.refine(problem).reply()
        if allowed:
            return self.refine(
                Problem(
                    405,
                    "Method Not Allowed",
                    f"{call.method} {call.path}",
                    headers={"allow": ", ".join(sorted(set(allowed)))},
                )
            ).reply()
        missing = Problem(404, "Not Found", f"no route for {call.method} {call.path}")
        return self.refine(missing).reply()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The in-process entry point (use with ``httpx.MockTransport``)."""
        call = Call(
            method=request.method,
            path=request.url.path,
            params={},
            query=_query(request.url.query.decode("ascii")),
            headers=request.headers,
            content=request.content,
            root_path=request.extensions.get("root_path", ""),
        )
        reply = self.dispatch(call)
        return to_response(reply)

    def transport(self) -> LocalTransport:
        return LocalTransport(self)

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The same handler as an ASGI application (for uvicorn)."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        query = scope.get("query_string", b"").decode("latin-1")
        path = served_path(scope["path"])
        app = self.served()
        headers = None if app is None else served_headers(scope["headers"])
        if app is not None and headers is not None:
            # hot path (make bench-serve): no httpx objects (mocks._served_head)
            target, raw_query = served_target(path, query)
            call = Call(scope["method"], target, {}, _query(raw_query), headers, body,
                        scope.get("root_path", ""))  # fmt: skip
            status, lines, content = _answer(app.dispatch(call))
        else:
            request = httpx.Request(
                scope["method"],
                served_url(path, query),
                headers=list(scope["headers"]),  # bytes as they came: any octet a client sent
                # the body as a stream skips httpx's client-side encoding (a Host and a
                # Content-Length the client already sent); read() keeps it
                stream=httpx.ByteStream(body),
                extensions={"root_path": scope.get("root_path", "")},
            )
            request.read()
            response = self.handle(request)
            # raw: bytes already; a Reply's headers are a dict, so no name comes twice
            status, content = response.status_code, response.content
            lines = [(k.lower(), v) for k, v in response.headers.raw]
        await send({"type": "http.response.start", "status": status, "headers": lines})
        await send({"type": "http.response.body", "body": content})

    def served(self) -> VendorApp | None:
        """Who answers a served request from its ASGI scope, without the httpx round trip
        (``asgi``): this app itself. A layer in front that must see an ``httpx.Request``
        answers None (``FaultyVendor.served``)."""
        return self


class LocalTransport(httpx.MockTransport):
    """``httpx.MockTransport(app.handle)`` plus the lean path (see the module docstring and
    ``mocks._request_head``)."""

    def __init__(self, app: VendorApp) -> None:
        super().__init__(app.handle)
        self.app = app

    def send_local(
        self,
        host: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
    ) -> httpx.Response:
        """What ``handle_request(httpx.Request(method, f"http://{host}{path}", params=...,
        headers=..., content=...))`` answers, without building that request."""
        if not PLAIN_PATH.fullmatch(path) or "/." in path or not text_values(params):
            request = httpx.Request(
                method, f"http://{host}{path}", params=params, headers=headers, content=content
            )
            return self.app.handle(request)
        query = _query(str(httpx.QueryParams(params)) if params else "")
        call = Call(method, path, {}, query, request_headers(host, method, headers, content),
                    content or b"")  # fmt: skip
        return to_response(self.app.dispatch(call))


@dataclass(frozen=True, slots=True)
class _Raw:
    """A JSON body already encoded (the published spec), sent as is."""

    content: bytes


def _answer(reply: Reply) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """What ``to_response(reply)`` hands a server (status, header lines, body), without the
    ``httpx.Response`` (``mocks._served_head``)."""
    headers = dict(reply.headers)
    if reply.body is None:
        return reply.status, answer_headers(headers, None), b""
    headers.setdefault("content-type", "application/json")
    content = reply.body.content if isinstance(reply.body, _Raw) else json_bytes(reply.body)
    return reply.status, answer_headers(headers, content), content


def to_response(reply: Reply) -> httpx.Response:
    """A reply as the ``httpx.Response`` a client would read (JSON bodies encoded as a vendor
    sends them, Decimals as numbers); also how a server beside the mocks answers in kind."""
    headers = dict(reply.headers)
    if reply.body is None:
        return httpx.Response(reply.status, headers=headers)
    headers.setdefault("content-type", "application/json")
    content = reply.body.content if isinstance(reply.body, _Raw) else json_bytes(reply.body)
    return loaded_response(reply.status, headers, content)  # hot path: see mocks/_encode.py
