"""Business Central's error answers for the ERP mock: ``{"error": {"code", "message"}}``.

Every error of the ERP mock, its own and those raised by shared code (routing, query parsing,
auth, the fault layer), is worded here as Business Central words it: an OData error object
with one of BC's codes, as ``application/json``, never a problem document and never a 422.

Sources (consulted 2026-12-07):
- The codes and their categories: Microsoft Learn, "Error Codes" of the Business Central API
  (learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v1.0/
  dynamics_error_codes; MicrosoftDocs/dynamics365smb-devitpro-pb, same path): ``BadRequest``
  ("Invalid Request Body", "Unable to convert value to Date"), ``BadRequest_ResourceNotFound``
  (no such segment), ``BadRequest_MethodNotAllowed``, ``BadRequest_InvalidToken`` (no usable
  concurrency token), ``BadRequest_RequiredParamNotProvided``, ``Request_EntityChanged``
  ("Another user has already changed the record."), ``Internal_RecordNotFound``,
  ``Internal_ServerError``, ``Internal_TenantUnavailable``, ``Application_DialogException``
  (a business rule refused the write), ``Application_StringExceededLength``,
  ``Authentication_InvalidCredentials`` (the page spells it "Authenciation_"), and
  ``Authorization_InsufficientPermissions``; "Unknown" otherwise.
- The statuses: BC answers every validation and business-rule refusal 400 (no 422); a missing
  record or segment 404; a stale ``If-Match`` 409 Conflict with ``Request_EntityChanged``
  (BC's exception mapping sends ``NavODataConflictException`` to 409, per a review of the
  BC 28 server code published with an open-source BC client; the error-code page lists the
  code, not the status); throttling 429 ``Application_TooManyRequests`` ("Too many requests
  reached. Actual (101). Maximum (100)."; Microsoft Learn, "Working with API limits in
  Dynamics 365 Business Central", and the code as clients meet it).
- The body: ``{"error": {"code": ..., "message": ...}}``, OData JSON's error format (OData
  JSON Format 4.01, section 21 "Error Response").

Simplified: BC appends "CorrelationId: <guid>." to each message; the sandbox does not (a
random id would break byte-identical traces). The token endpoint (Entra ID's, not BC's)
keeps its RFC 6749 errors, and HTTP-level refusals of ``q2c serve`` (413, 414, 431 from
``sim/app/_limits.py``) stay generic problem documents: both are listed in erp.yaml.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mocks._http import Problem, Reply

__all__ = [
    "BAD_REQUEST",
    "DIALOG",
    "ENTITY_CHANGED",
    "INVALID_TOKEN",
    "BcError",
    "as_bc",
    "business_rule",
    "refused",
]

BAD_REQUEST = "BadRequest"
DIALOG = "Application_DialogException"
ENTITY_CHANGED = "Request_EntityChanged"
INVALID_TOKEN = "BadRequest_InvalidToken"
RECORD_NOT_FOUND = "Internal_RecordNotFound"
# the RFC 6749 errors of the token endpoint (mocks._auth): Entra ID's, left as they are
_OAUTH = frozenset({"invalid_request", "unsupported_grant_type", "invalid_client", "invalid_scope"})
_BY_STATUS = {
    400: BAD_REQUEST,
    401: "Authentication_InvalidCredentials",
    403: "Authorization_InsufficientPermissions",
    404: RECORD_NOT_FOUND,
    405: "BadRequest_MethodNotAllowed",
    409: ENTITY_CHANGED,
    415: BAD_REQUEST,
    429: "Application_TooManyRequests",
    500: "Internal_ServerError",
    502: "Internal_ServerError",
    503: "Internal_TenantUnavailable",
    504: "Internal_ServerError",
}
# pydantic's messages for a body field -> the code BC gives the same refusal
_BY_MESSAGE = (
    ("Extra inputs are not permitted", BAD_REQUEST),  # "The property 'x' does not exist ..."
    ("Field required", "BadRequest_RequiredParamNotProvided"),
    ("String should have at most", "Application_StringExceededLength"),
    ("Input should be a valid", BAD_REQUEST),  # "Unable to convert value ..."
    ("must be a date", BAD_REQUEST),
)


class BcError(Problem):
    """An error answered as Business Central answers it (see the module docstring)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, HTTPStatus(status).phrase, message, headers=headers)
        self.code = code

    def reply(self) -> Reply:
        body = {"error": {"code": self.code, "message": self.detail or self.title}}
        return Reply(self.status, body, {**self.headers, "content-type": "application/json"})


def business_rule(message: str) -> BcError:
    """A write BC's business logic refuses (another company's customer, a draft sent, a
    payment larger than what the invoice owes): 400 ``Application_DialogException``, the
    message naming the field."""
    return BcError(400, DIALOG, message)


def refused(detail: str, field: str, message: str) -> BcError:
    """A business-rule refusal (``business_rule``) whose message ends naming the field and
    why: ``"<detail> (<field>: <message>)"``."""
    return business_rule(f"{detail} ({field}: {message})")


def as_bc(problem: Problem) -> Problem:
    """``problem`` raised by shared code, in Business Central's words (the ERP app's
    ``VendorApp.refine``)."""
    if isinstance(problem, BcError) or _is_oauth(problem):
        return problem
    status = 400 if problem.status == 422 else problem.status
    code = _BY_STATUS.get(status, "Unknown")
    if status == 404 and problem.detail.startswith(("no route for", "no vendor mounted")):
        code = "BadRequest_ResourceNotFound"
    elif problem.status == 422 and problem.errors:
        code = _code_of(str(problem.errors[0].get("message", "")))
    return BcError(status, code, _message(problem), headers=dict(problem.headers))


def _is_oauth(problem: Problem) -> bool:
    first: dict[str, Any] = dict(problem.errors[0]) if problem.errors else {}
    return first.get("message") in _OAUTH and problem.detail.startswith(f"{first['message']}:")


def _code_of(message: str) -> str:
    for start, code in _BY_MESSAGE:
        if message.startswith(start):
            return code
    return DIALOG


def _message(problem: Problem) -> str:
    """One sentence naming every offending field, as BC's messages do."""
    if problem.status == 422 and problem.errors:
        return "; ".join(f"{e.get('field')}: {e.get('message')}" for e in problem.errors)
    if problem.errors and problem.detail:
        named = ", ".join(str(e.get("field")) for e in problem.errors)
        return f"{problem.detail} ({named})"
    return problem.detail or problem.title
