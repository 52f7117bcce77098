"""Salesforce's error answers for the CRM mock: ``[{"message", "errorCode", "fields"}]``.

Every error of the CRM mock, its own and those raised by shared code (routing, body parsing,
validation, auth, the fault layer), is worded as Salesforce's REST API words it: a JSON array
of error objects, ``application/json``, never a problem document and never a 422.

Sources (consulted 2026-12-07):
- The body and the statuses: REST API Developer Guide, "Status Codes and Error Responses"
  (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm): 400 when
  the JSON body has an error, 401 "The session ID or OAuth token used has expired or is
  invalid. The response body contains the message and errorCode", 403 "If the error code is
  REQUEST_LIMIT_EXCEEDED, you've exceeded API request limits in your org", 404 "The requested
  resource couldn't be found", 405 method not allowed, 415 unsupported content type, 500 an
  error within Salesforce, 503 the server is unavailable; the page's example body is
  ``[{"fields": ["Id"], "message": "Account ID: id value of incorrect type: ...", "errorCode":
  "MALFORMED_ID"}]``.
- The codes: the StatusCode values of the SOAP API Developer Guide, "Core Data Types Used in
  API Calls" > StatusCode (the REST API sends the same codes): ``REQUIRED_FIELD_MISSING``,
  ``INVALID_FIELD`` (a field the sObject lacks), ``STRING_TOO_LONG``,
  ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, ``INVALID_CROSS_REFERENCE_KEY`` (a lookup to a
  record that does not exist), ``FIELD_INTEGRITY_EXCEPTION``, ``MALFORMED_ID``,
  ``MALFORMED_QUERY``, ``JSON_PARSER_ERROR`` (a body that does not parse, or a value of the
  wrong JSON type), ``NOT_FOUND``, ``INVALID_SESSION_ID`` ("Session expired or invalid"),
  ``INSUFFICIENT_ACCESS_OR_READONLY``, ``REQUEST_LIMIT_EXCEEDED`` ("TotalRequests Limit
  exceeded."), ``METHOD_NOT_ALLOWED``, ``UNSUPPORTED_MEDIA_TYPE``, ``UNKNOWN_EXCEPTION``,
  ``SERVER_UNAVAILABLE``.
- The daily allocation: past it Salesforce answers 403 ``REQUEST_LIMIT_EXCEEDED`` (same page;
  "Salesforce Developer Limits and Allocations Quick Reference", "API Request Limits and
  Allocations"), never 429: so a quota fault rule on the CRM (``contracts.limits``'
  ``salesforce`` preset) answers that.

Simplified: an error burst's 502 and a lost answer's 504 keep their statuses (Salesforce
documents neither; they stand for a proxy in front of it) with ``UNKNOWN_EXCEPTION``; the token
endpoint keeps its RFC 6749 errors (Salesforce's own OAuth endpoint answers
``{"error", "error_description"}``, which the sandbox does not mirror), and ``q2c serve``'s
HTTP-level refusals (413, 414, 431) stay generic problem documents: both are listed in
crm.yaml.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from mocks._http import Problem, Reply
from mocks._vendor_errors import first_field, is_oauth, refusal

__all__ = ["LIMIT_EXCEEDED", "SalesforceError", "as_salesforce", "salesforce_error"]

LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
# the CRM mock's own refusals say their code first ("MALFORMED_QUERY: supported form is ...")
_CODE = re.compile(r"[A-Z][A-Z_]+")
_BY_STATUS = {
    400: "JSON_PARSER_ERROR",
    401: "INVALID_SESSION_ID",
    403: "INSUFFICIENT_ACCESS_OR_READONLY",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: LIMIT_EXCEEDED,
    500: "UNKNOWN_EXCEPTION",
    502: "UNKNOWN_EXCEPTION",
    503: "SERVER_UNAVAILABLE",
    504: "UNKNOWN_EXCEPTION",
}
_BY_REFUSAL = {
    "missing": "REQUIRED_FIELD_MISSING",
    "unknown": "INVALID_FIELD",
    "too_long": "STRING_TOO_LONG",
    "choice": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    "type": "JSON_PARSER_ERROR",
    "other": "FIELD_INTEGRITY_EXCEPTION",
}


class SalesforceError(Problem):
    """An error answered as Salesforce answers it (see the module docstring): one error
    object per offending field, each naming it in ``fields``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[str] | None = None,
        *,
        headers: dict[str, str] | None = None,
        more: list[tuple[str, str, list[str]]] | None = None,
    ) -> None:
        super().__init__(status, HTTPStatus(status).phrase, message, headers=headers)
        self.items = [(code, message, list(fields or [])), *(more or [])]

    @property
    def code(self) -> str:
        return self.items[0][0]

    def reply(self) -> Reply:
        body = [{"message": m, "errorCode": c, "fields": f} for c, m, f in self.items]
        return Reply(self.status, body, {**self.headers, "content-type": "application/json"})


def salesforce_error(status: int, code: str, message: str, *fields: str) -> SalesforceError:
    """One error object (the CRM mock's own refusals: a malformed query, a bad date)."""
    return SalesforceError(status, code, message, list(fields))


def as_salesforce(problem: Problem) -> Problem:
    """``problem`` raised by shared code, in Salesforce's words (the CRM app's
    ``VendorApp.refine``)."""
    if isinstance(problem, SalesforceError) or is_oauth(problem):
        return problem
    headers = dict(problem.headers)
    if problem.status == 429:  # the daily allocation: 403, whatever the window that ran out
        return SalesforceError(
            403, LIMIT_EXCEEDED, "TotalRequests Limit exceeded.", headers=headers
        )
    if problem.status == 422 and problem.errors:
        items = [
            (
                _BY_REFUSAL[refusal(str(e.get("message", "")))],
                f"{e.get('field')}: {e.get('message')}",
                [str(e.get("field", "")).partition(".")[0]],
            )
            for e in problem.errors
        ]
        code, message, fields = items[0]
        return SalesforceError(400, code, message, fields, headers=headers, more=items[1:])
    status = 400 if problem.status == 422 else problem.status
    code = _BY_STATUS.get(status, "UNKNOWN_EXCEPTION")
    if status == 404 and not problem.detail.startswith(("no route for", "no vendor mounted")):
        code = "NOT_FOUND"
    message = problem.detail or problem.title
    named = str(problem.errors[0].get("message", "")) if problem.errors else ""
    if _CODE.fullmatch(named) and message.startswith(f"{named}: "):  # the mock's own
        code, message = named, message[len(named) + 2 :]
    if status == 401:
        message = f"Session expired or invalid ({message})"
    field = first_field(problem)
    fields = [field] if field is not None and status in (400, 415) else []
    return SalesforceError(status, code, message, fields, headers=headers)
