"""Served traffic held against the vendors' specs: what ``q2c serve``'s clients send and get.

Prism's proxy mode answers "did my integration send anything the vendor would reject?"; this
does the same for the served mocks, with the validator the simulator's consumer checks use
(``contracts.consumer.shared_validator``: one set of compiled schemas for both). Every request
to a vendor mount and every answer is checked; findings are counted per tenant by operation,
side (request or response), rule and a first example, for the admin API's contract report.

Two hooks, both outside the mocks' own code:

- ``watch`` wraps a vendor's ASGI app: it copies the body chunks as the app reads them (it
  never reads ahead, so a size limit inside still applies) and the answer as it is sent, and
  checks both once the exchange is over;
- ``guard`` wraps a mock's OAuth gate (``VendorApp.gate``), which a scoped request passes after
  routing and before its handler: there the tenant of the bearer token is known
  (``Call.granted_tenant``), and a strict server refuses a request that breaks the contract
  before the vendor acts on it. What the vendor refuses first keeps the vendor's answer: an
  unknown path (404), a wrong method (405), no or a bad token (401/403), and, where the
  rule says so (``Violation.status`` is ``None``), an unreadable body. A body in a media type
  the operation does not take is a 415, every other broken rule a 422 naming it; both in the
  vendor's own error dialect (``VendorApp.refine``).

A request the fault layer answers before the gate (an outage, a quota) is still checked; its
tenant is the one its token was last admitted for. This is not simulated code: served traffic
arrives on the wall clock, in whatever order clients send it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from contracts.consumer import ContractValidator, Violation, shared_validator
from contracts.specs import SPEC_PATH
from mocks import Call, Problem, served_path, to_response

__all__ = ["NO_TENANT", "TrafficChecker"]

NO_TENANT = "(no tenant)"  # a request whose token the server never admitted
MAX_FINDINGS = 1000  # distinct findings kept per tenant; more are counted, not kept
MAX_CHECKED_BODY = 8 * 1024 * 1024  # bodies beyond this are not decoded for checking

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class _Exchange:
    """One request in flight through a watched vendor (a context variable carries it to the
    gate)."""

    vendor: str
    query: str
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    complete: bool = False
    tenant: str | None = None
    checked: list[Violation] | None = None  # set where the request was checked (the gate)
    refusal: Problem | None = None  # strict, on a read: sent unless the vendor refuses first
    refused: bool = False  # the answer is strict's, not the vendor's
    replaced: bool = False  # strict's answer was sent in place of the vendor's success


_EXCHANGE: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar(
    "q2c_served_exchange", default=None
)


@dataclass
class _Finding:
    vendor: str
    operation: str
    side: str
    rule: str
    example: str
    count: int = 0


@dataclass
class _TenantReport:
    requests: int = 0
    nonconforming_requests: int = 0
    nonconforming_responses: int = 0
    refused: int = 0  # answered 415/422 by --strict
    dropped: int = 0  # findings past MAX_FINDINGS
    findings: dict[tuple[str, str, str, str], _Finding] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(
            self.findings.values(), key=lambda f: (-f.count, f.vendor, f.operation, f.rule)
        )
        return {
            "requests": self.requests,
            "nonconforming_requests": self.nonconforming_requests,
            "nonconforming_responses": self.nonconforming_responses,
            "refused": self.refused,
            "findings_not_kept": self.dropped,
            "findings": [
                {
                    "vendor": f.vendor,
                    "operation": f.operation,
                    "side": f.side,
                    "rule": f.rule,
                    "example": f.example,
                    "count": f.count,
                }
                for f in ordered
            ],
        }


class TrafficChecker:
    """Checks a server's vendor traffic and keeps the per-tenant contract report."""

    def __init__(self, *, strict: bool = False, validator: ContractValidator | None = None):
        self.strict = strict
        self.validator = validator if validator is not None else shared_validator()
        self._reports: dict[str, _TenantReport] = {}
        self._token_tenants: dict[str, str] = {}

    # -- the report ------------------------------------------------------------------------

    def report(self, tenant: str | None = None) -> dict[str, Any]:
        """``{"strict": ..., "tenants": {name: report}}``, one tenant's if named (empty if it
        sent nothing)."""
        if tenant is not None:
            chosen = {tenant: self._reports.get(tenant, _TenantReport())}
        else:
            chosen = dict(sorted(self._reports.items()))
        return {"strict": self.strict, "tenants": {k: v.as_json() for k, v in chosen.items()}}

    def clear(self, tenant: str | None = None) -> None:
        if tenant is None:
            self._reports.clear()
        else:
            self._reports.pop(tenant, None)

    def _record(
        self,
        tenant: str,
        vendor: str,
        request: list[Violation],
        response: list[Violation],
        refused: bool,
    ) -> None:
        report = self._reports.get(tenant)
        if report is None:
            report = self._reports[tenant] = _TenantReport()
        report.requests += 1
        report.refused += refused
        report.nonconforming_requests += bool(request)
        report.nonconforming_responses += bool(response)
        for found in (*request, *response):
            key = (vendor, found.operation, found.side, found.rule)
            finding = report.findings.get(key)
            if finding is None:
                if len(report.findings) >= MAX_FINDINGS:
                    report.dropped += 1
                    continue
                finding = report.findings[key] = _Finding(
                    vendor, found.operation, found.side, found.rule, found.example
                )
            finding.count += 1

    # -- the gate hook ---------------------------------------------------------------------

    def guard(self, vendor: str, app: Any) -> None:
        """Put the check in front of ``app``'s OAuth gate (a ``VendorApp``, after ``secure``)."""
        if app.gate is not None and not isinstance(app.gate, _Guard):
            app.gate = _Guard(self, vendor, app)

    def _admitted(self, vendor: str, app: Any, call: Call, tenant: str | None) -> None:
        """A scoped call passed the vendor's auth: check it now, and refuse it if strict."""
        exchange = _EXCHANGE.get()
        if exchange is None or exchange.vendor != vendor:
            return  # not served through ``watch`` (an in-process caller)
        resolved = tenant if tenant is not None else call.tenant
        exchange.tenant = resolved
        token = _bearer(call.headers.get("authorization", ""))
        if token and tenant is not None and len(self._token_tenants) < 1_000_000:
            self._token_tenants[token] = tenant
        found = self._checked(
            self.validator.request_violations,
            vendor, call.method, call.path, call.headers, call.content, exchange.query,
        )  # fmt: skip
        exchange.checked = found
        refusing = [v for v in found if v.status is not None]
        if not (self.strict and refusing):
            return
        problem = _refusal(vendor, refusing, self._invalid_status(vendor, call))
        if call.method in ("GET", "HEAD"):
            # a read changes nothing: let the vendor answer first, keep its refusal if it
            # refuses, and put ours in place of its success (``_Watched``)
            exchange.refusal = app.refine(problem)
            return
        exchange.refused = True
        raise problem

    @staticmethod
    def _checked(check: Callable[..., list[Violation]], vendor: str, method: str, path: str,
                 *args: Any) -> list[Violation]:  # fmt: skip
        """``check``'s findings; a check that fails on some input is a finding of its own,
        never a 500 from the vendor it watches."""
        try:
            return check(vendor, method, path, *args)
        except Exception as exc:  # a checker bug must not take the served vendor down
            text = f"{method} {path}: the traffic check failed: {type(exc).__name__}: {exc}"
            return [Violation(f"{method} {path}", "check", f"checker error {type(exc).__name__}",
                              text[:200], text, None, "")]  # fmt: skip

    def _invalid_status(self, vendor: str, call: Call) -> int:
        """422, or 400 for an operation whose vendor answers invalid requests so (Stripe): a
        strict refusal keeps the vendor's own status where its spec says which."""
        op = self.validator.operation(vendor, call.method, call.path)
        declared = {} if op is None else op.spec.get("responses", {})
        return 400 if "422" not in declared and "400" in declared else 422

    # -- the ASGI hook ---------------------------------------------------------------------

    def watch(self, vendor: str, app: Any) -> _Watched:
        """``app`` (anything with an ``asgi`` coroutine) with its traffic checked."""
        return _Watched(self, vendor, app)

    def _finish(
        self,
        exchange: _Exchange,
        scope: Scope,
        status: int,
        headers: dict[str, str],
        body: bytes | None,
    ) -> None:
        """The exchange is over: check what was not checked yet and count it in (``body`` is
        ``None`` when the answer was too big to check)."""
        method, path = scope["method"], _path(scope)
        request_headers = _headers(scope.get("headers", []))
        request = exchange.checked
        if request is None:
            if not exchange.complete or exchange.size > MAX_CHECKED_BODY:
                request = []  # refused before its body was read (a size limit): nothing to check
            else:
                request = self._checked(
                    self.validator.request_violations,
                    exchange.vendor, method, path, request_headers,
                    b"".join(exchange.chunks), exchange.query,
                )  # fmt: skip
        response: list[Violation] = []
        if not exchange.refused and body is not None:  # a strict refusal is ours, not checked
            response = self._checked(
                self.validator.response_violations,
                exchange.vendor, method, path, status, headers, body,
            )  # fmt: skip
        tenant = exchange.tenant
        if tenant is None:
            tenant = self._token_tenants.get(
                _bearer(request_headers.get("authorization", "")), NO_TENANT
            )
        self._record(tenant, exchange.vendor, request, response, exchange.refused)


class _Guard:
    """A vendor's gate with the traffic check behind it."""

    def __init__(self, checker: TrafficChecker, vendor: str, app: Any) -> None:
        self.checker = checker
        self.vendor = vendor
        self.app = app
        self.inner = app.gate
        self.enforce: bool = self.inner.enforce

    def client_of(self, authorization: str) -> str | None:
        return self.inner.client_of(authorization)  # type: ignore[no-any-return]

    def admit(self, call: Call, scope: str) -> str | None:
        tenant: str | None = self.inner.admit(call, scope)
        self.checker._admitted(self.vendor, self.app, call, tenant)
        return tenant


class _Watched:
    """A vendor's ASGI app whose every exchange is checked."""

    def __init__(self, checker: TrafficChecker, vendor: str, app: Any) -> None:
        self.checker = checker
        self.vendor = vendor
        self.app = app

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _path(scope) == SPEC_PATH:
            await self.app.asgi(scope, receive, send)
            return
        exchange = _Exchange(self.vendor, scope.get("query_string", b"").decode("latin-1"))
        answer: dict[str, Any] = {"status": 0, "headers": {}, "chunks": [], "size": 0}

        async def reading() -> MutableMapping[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                exchange.size += len(chunk)
                if exchange.size <= MAX_CHECKED_BODY:
                    exchange.chunks.append(chunk)
                exchange.complete = not message.get("more_body")
            return message

        async def sending(message: MutableMapping[str, Any]) -> None:
            if exchange.replaced:
                return  # strict answered instead of the vendor (below)
            if message["type"] == "http.response.start" and exchange.refusal is not None:
                if message["status"] < 400:
                    exchange.refused = exchange.replaced = True
                    response = to_response(exchange.refusal.reply())
                    await send({"type": "http.response.start", "status": response.status_code,
                                "headers": [(k.encode(), v.encode())
                                            for k, v in response.headers.items()]})  # fmt: skip
                    await send({"type": "http.response.body", "body": response.content})
                    return
                exchange.refusal = None  # the vendor refused it itself: its answer stands
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = _headers(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                answer["size"] += len(chunk)
                if answer["size"] <= MAX_CHECKED_BODY:
                    answer["chunks"].append(chunk)
            await send(message)

        token = _EXCHANGE.set(exchange)
        try:
            await self.app.asgi(scope, reading, sending)
        finally:
            _EXCHANGE.reset(token)
        body = b"".join(answer["chunks"]) if answer["size"] <= MAX_CHECKED_BODY else None
        self.checker._finish(exchange, scope, answer["status"], answer["headers"], body)


_TITLES = {400: "Bad Request", 415: "Unsupported Media Type", 422: "Unprocessable Entity"}


def _refusal(vendor: str, found: list[Violation], invalid: int) -> Problem:
    status = 415 if any(v.status == 415 for v in found) else invalid
    title = _TITLES[status]
    rules = "; ".join(dict.fromkeys(v.rule for v in found))
    return Problem(
        status,
        title,
        f"the request breaks {vendor}'s contract (q2c serve --strict): {rules}",
        errors=[{"field": v.field, "message": f"{v.rule}: {v.example}"} for v in found],
        headers={"x-q2c-contract": "violated"},
    )


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _path(scope: Scope) -> str:
    """The path as the mock routes it: decoded by the server, encoded again as
    ``VendorApp.asgi`` does (RFC 3986 pchar kept as is)."""
    return served_path(str(scope["path"]))


def _headers(pairs: Any) -> dict[str, str]:
    return {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1") for k, v in pairs}
