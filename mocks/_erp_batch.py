"""OData JSON ``$batch`` for the ERP mock: many operations in one HTTP request, as Business
Central takes them at ``POST /api/v2.0/$batch``.

A batch is a wrapper around the one interface every ERP operation already has: each inner
request becomes a ``Call`` and goes through ``VendorApp.dispatch``, the same routing, OAuth
scopes, validation, OData options and error wording as a request sent on its own (in the way
``httpx.MockTransport`` or a Starlette ``Mount`` composes handlers). Nothing here knows an
ERP resource. The fault layer (``mocks._faults``) wraps ``VendorApp.handle`` outside this, so
a batch is one HTTP request to it: one call against a quota window and one concurrency slot,
one latency draw, one outage or error-burst verdict for the whole batch, and a lost response
loses every inner answer at once (the inner writes are committed).

The format (OData JSON Format 4.01, section 19 "Batch Requests and Responses"; Microsoft
Learn, "Using OData transactional $batch requests", dev-itpro/webservices/use-odata-batch,
ms.date 2023-04-25, consulted 2026-12-07): a body ``{"requests": [{"id", "method", "url",
"headers", "body"}]}`` with ``Content-Type: application/json``; the answer is 200 with
``{"responses": [{"id", "status", "headers", "body"}]}`` in request order, each inner
request answered with its own status and, on failure, Business Central's ``{"error":
{"code", "message"}}`` (one failure does not stop the requests after it). An inner ``url``
is relative to the service root (``companies(...)/customers``), an absolute path under
``/api/v2.0/`` or a full URL; inner headers add to the batch's (the bearer token and tenant
are the batch's).

Limits and refusals:
- at most 100 operations (Microsoft Learn, "Operational limits for Business Central online",
  OData request limits, "Max batch size ... 100", consulted 2026-12-07); past it BC answers
  ``{"error": {"code": "Unknown", "message": "The current batch message contains too many
  parts. A maximum number of '100' query operations and change sets are allowed in a batch
  message."}}`` (as quoted by S. Demiliani, demiliani.com, 2021-01-12): the sandbox sends
  that error with status 400.
- ``atomicityGroup`` (a change set in JSON) with more than one request: Business Central
  refuses change sets of several requests, "Multiple requests within the same change set are
  not supported by Microsoft Dynamics 365 Business Central OData web services."
  (github.com/microsoft/AL issue 5553); BC answers that with a 500, the sandbox with 400
  (a mock never answers bad input with a 500). A group of one request runs as any other.
- ``dependsOn`` must name earlier requests of the batch; a request whose dependency failed is
  answered 424 Failed Dependency (OData 4.01 Part 1, 11.7.7.2) and not run.
- How Business Central counts a batch against its rate limit (6,000 OData requests per user
  in 5 minutes) is not published: the limits pages count "OData V4 requests", and a $batch is
  one; the sandbox counts it once. Real BC runs the inner requests in one session, so a batch
  also holds one of the user's 5 processing slots for its whole run.

Simplified (README, known limitations): no ``Isolation: snapshot`` (BC's transactional
batch, all changes rolled back when one inner request fails): the sandbox refuses the header
with a 400 naming it, rather than run the batch without the rollback BC promises; no
multipart/mixed batches (JSON only, 415 otherwise); no ``$<id>`` references to an earlier
answer's entity in an inner URL; no ``Company`` header (the company is in the inner URL).
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
import simplejson
from pydantic import BaseModel, ConfigDict, Field

from mocks._erp_errors import BAD_REQUEST, BcError
from mocks._http import Call, Query, Reply, VendorApp

__all__ = ["BATCH", "MAX_OPERATIONS", "mount_batch"]

BATCH = "/api/v2.0/$batch"
SERVICE_ROOT = "/api/v2.0/"
MAX_OPERATIONS = 100  # Operational limits for Business Central online, "Max batch size"
_TOO_MANY = (
    "The current batch message contains too many parts. A maximum number of '100' query "
    "operations and change sets are allowed in a batch message."
)
_CHANGE_SET = (
    "Multiple requests within the same change set are not supported by Microsoft Dynamics "
    "365 Business Central OData web services."
)
# the batch's own framing headers, never passed on to an inner request
_FRAMING = frozenset({"content-length", "content-type", "isolation", "transfer-encoding"})


class InnerRequest(BaseModel):
    """One request of a JSON batch (OData JSON Format 4.01, 19.1)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=256)
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"]
    url: str = Field(min_length=1, max_length=4096)
    headers: dict[str, str] = {}
    body: Any = None
    atomicityGroup: str | None = None
    dependsOn: list[str] = []


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requests: list[InnerRequest]


def mount_batch(app: VendorApp) -> None:
    """Register ``POST /api/v2.0/$batch`` on the ERP app: every inner request goes through
    ``app.dispatch``, as if sent on its own."""
    app.route("POST", BATCH)(lambda call: _batch(app, call))


def _batch(app: VendorApp, call: Call) -> Reply:
    _authenticated(app, call)
    if call.headers.get("isolation") is not None:
        raise BcError(
            400,
            BAD_REQUEST,
            "The Isolation header (transactional $batch) is not supported by the sandbox: "
            "send the batch without it.",
        )
    raw = call.json()
    listed = raw.get("requests") if isinstance(raw, dict) else None
    if isinstance(listed, list) and len(listed) > MAX_OPERATIONS:
        raise BcError(400, "Unknown", _TOO_MANY)
    batch = call.parse(BatchIn)
    _check_groups(batch.requests)
    responses: list[dict[str, Any]] = []
    status_of: dict[str, int] = {}
    for request in batch.requests:
        failed = [d for d in request.dependsOn if status_of.get(d, 0) >= 400]
        try:
            inner = _inner_call(call, request)
        except (httpx.InvalidURL, UnicodeError) as exc:  # a URL or header no server could read
            refusal = BcError(400, BAD_REQUEST, f"The request cannot be read: {exc}.")
            responses.append(_answer(request.id, refusal.reply()))
            continue
        if failed:
            reply = BcError(
                424, "Unknown", f"The request depends on the failed request '{failed[0]}'."
            ).reply()
        elif inner.path.rstrip("/").endswith("$batch"):
            reply = BcError(400, BAD_REQUEST, "A $batch request cannot hold another.").reply()
        else:
            reply = app.dispatch(inner)
        if request.id is not None:
            status_of[request.id] = reply.status
        responses.append(_answer(request.id, reply))
    return Reply(200, {"responses": responses})


def _authenticated(app: VendorApp, call: Call) -> None:
    """A batch without a valid bearer token is refused whole (401), as any request to BC;
    with one, each inner request still needs its own operation's scope."""
    gate = app.gate
    if gate is not None and gate.client_of(call.headers.get("authorization", "")) is None:
        gate.admit(call, "")  # raises the 401 naming what is missing (when enforcing)


def _check_groups(requests: list[InnerRequest]) -> None:
    """Ids unique, ``dependsOn`` naming earlier requests, and no change set of several."""
    seen: set[str] = set()
    groups: dict[str, int] = {}
    for k, request in enumerate(requests):
        for name in request.dependsOn:
            if name not in seen:
                raise BcError(
                    400,
                    BAD_REQUEST,
                    f"requests[{k}].dependsOn: '{name}' is not the id of an earlier request "
                    "of the batch.",
                )
        if request.id is not None:
            if request.id in seen:
                raise BcError(400, BAD_REQUEST, f"requests[{k}].id: '{request.id}' is used twice.")
            seen.add(request.id)
        if request.atomicityGroup is not None:
            groups[request.atomicityGroup] = groups.get(request.atomicityGroup, 0) + 1
            if groups[request.atomicityGroup] > 1:
                raise BcError(400, BAD_REQUEST, _CHANGE_SET)


def _inner_call(outer: Call, request: InnerRequest) -> Call:
    """The inner request as a call of its own: its path under the service root, the batch's
    headers with its own over them, its body as JSON."""
    url = httpx.URL(request.url)
    path = url.path
    if not url.is_absolute_url and not path.startswith("/"):
        path = SERVICE_ROOT + path
    elif SERVICE_ROOT in path:
        path = path[path.index(SERVICE_ROOT) :]
    headers = httpx.Headers([(k, v) for k, v in outer.headers.items() if k not in _FRAMING])
    for name, value in request.headers.items():
        headers[name] = value
    content = b""
    if request.body is not None:
        content = simplejson.dumps(request.body, use_decimal=True).encode()
        headers.setdefault("content-type", "application/json")
    return Call(
        method=request.method,
        path=path,
        params={},
        query=Query(httpx.QueryParams(url.query.decode("ascii"))),
        headers=headers,
        content=content,
        root_path=outer.root_path,
    )


def _answer(request_id: str | None, reply: Reply) -> dict[str, Any]:
    """One entry of ``responses``: the inner request's status, headers and JSON body."""
    headers = {k.lower(): v for k, v in reply.headers.items()}
    answer: dict[str, Any] = {"id": request_id, "status": reply.status, "headers": headers}
    if reply.body is not None:
        headers.setdefault("content-type", "application/json")
        answer["body"] = reply.body
    return answer
