"""AvaTax's error answers for the tax mock: ``{"error": {"code", "message", "target",
"details": [{"code", "number", "message", "description", "faultCode", "helpLink",
"refersTo", "severity"}]}}``.

Every error of the tax mock, its own and those raised by shared code (routing, body parsing,
validation, auth, the fault layer), is worded as AvaTax REST v2 words it, as
``application/json``: never a problem document, never a 422 and never a 409 (AvaTax answers
every refusal of a request 400).

Sources (consulted 2026-12-07):
- The body: the ``ErrorResult``/``ErrorInfo``/``ErrorDetail`` schemas of AvaTax's own spec
  (``../shared/vendor-specs/avatax.yaml``, components.schemas.ErrorDetail: code, number,
  message, description, faultCode, faultSubCode, helpLink, refersTo, severity), and its
  example error (``ErrorTransactionOutputModel.avataxErrorJson``: ``GetTaxError``, number
  300, target ``Unknown``, ``refersTo: "Addresses[0]"``, severity ``Error``); an answer of
  the live service quoted in github.com/avadev/AvaTax-REST-V2-PHP-SDK issue 122 (404
  ``EntityNotFoundError``, target ``HttpRequest``).
- The codes and their numbers: the ``x-enum-metadata`` of ``ErrorDetail.code`` in the same
  spec, and developer.avalara.com/avatax/errors/ (one page per code, the ``helpLink``).
- The statuses: the spec declares 400, 401 and 404 on its operations (and 500 on two);
  throttling is 429 with ``RateLimitExceededError`` (code 1723 of the same enum).

Simplified: AvaTax ignores JSON members it does not know; the mock refuses them
(``ModelStateInvalid``), as it always did. The token endpoint keeps its RFC 6749 errors
(AvaTax authenticates with Basic auth or Avalara Identity's OAuth, not this endpoint), and
``q2c serve``'s HTTP-level refusals (413, 414, 431) stay generic problem documents: both are
listed in tax.yaml.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mocks._http import Problem, Reply
from mocks._vendor_errors import first_field, is_oauth, refusal

__all__ = ["AvaTaxError", "as_avatax", "avatax_error"]

HELP = "http://developer.avalara.com/avatax/errors/"
# code -> number (avatax.yaml, ErrorDetail.code's x-enum-metadata)
NUMBERS = {
    "EntityNotFoundError": 4,
    "ValueRequiredError": 5,
    "StringLengthError": 13,
    "InvalidQueryField": 17,
    "AuthenticationException": 30,
    "AuthorizationException": 31,
    "JsonFormatError": 47,
    "ModelStateInvalid": 70,
    "IncorrectPathError": 139,
    "InvalidEnumValue": 164,
    "TransactionAlreadyCancelled": 198,
    "QueryParameterOutOfRange": 199,
    "InternalServerError": 209,
    "GetTaxError": 300,
    "DocumentCodeConflict": 303,
    "InvalidParameterValue": 306,
    "ServerUnreachable": 500,
    "LineAlreadyExists": 1101,
    "InvalidRequestContentType": 1217,
    "InvalidDocumentStatus": 1314,
    "ServiceNotReady": 1718,
    "RateLimitExceededError": 1723,
}
_BY_STATUS = {
    400: "InvalidParameterValue",
    401: "AuthenticationException",
    403: "AuthorizationException",
    404: "EntityNotFoundError",
    405: "IncorrectPathError",
    415: "InvalidRequestContentType",
    429: "RateLimitExceededError",
    500: "InternalServerError",
    502: "ServerUnreachable",
    503: "ServiceNotReady",
    504: "ServerUnreachable",
}
_BY_REFUSAL = {
    "missing": "ValueRequiredError",
    "unknown": "ModelStateInvalid",
    "too_long": "StringLengthError",
    "choice": "InvalidEnumValue",
    "type": "JsonFormatError",
    "other": "ModelStateInvalid",
}


class AvaTaxError(Problem):
    """An error answered as AvaTax answers it (see the module docstring): ``details`` holds
    one entry per offending field, ``refersTo`` naming it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        refers_to: list[str | None] | None = None,
        *,
        messages: list[str] | None = None,
        codes: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, HTTPStatus(status).phrase, message, headers=headers)
        self.code = code
        targets = refers_to or [None]
        self.details = [
            (
                (codes or [])[k] if codes else code,
                (messages or [])[k] if messages else message,
                target,
            )
            for k, target in enumerate(targets)
        ]

    def reply(self) -> Reply:
        server = self.status >= 500
        target = (
            "Unknown"
            if server
            else "HttpRequestHeaders"
            if self.status in (401, 403, 415, 429)
            else "HttpRequest"
            if self.status in (404, 405)
            else "IncorrectData"
        )
        details: list[dict[str, Any]] = []
        for code, message, refers in self.details:
            detail: dict[str, Any] = {
                "code": code,
                "number": NUMBERS[code],
                "message": message,
                "description": message,
                "faultCode": "Server" if server else "Client",
                "helpLink": HELP + code,
                "severity": "Exception" if server else "Error",
            }
            if refers is not None:
                detail["refersTo"] = refers
            details.append(detail)
        body = {
            "error": {
                "code": self.code,
                "message": self.detail,
                "target": target,
                "details": details,
            }
        }
        return Reply(self.status, body, {**self.headers, "content-type": "application/json"})


def avatax_error(status: int, code: str, message: str, refers_to: str | None = None) -> AvaTaxError:
    """One of the tax mock's own refusals (an untaxable address, a voided document)."""
    return AvaTaxError(status, code, message, [refers_to])


def as_avatax(problem: Problem) -> Problem:
    """``problem`` raised by shared code, in AvaTax's words (the tax app's
    ``VendorApp.refine``)."""
    if isinstance(problem, AvaTaxError) or is_oauth(problem):
        return problem
    headers = dict(problem.headers)
    if problem.status == 422 and problem.errors:
        fields = [str(e.get("field")) for e in problem.errors]
        messages = [f"{e.get('field')}: {e.get('message')}" for e in problem.errors]
        codes = [_BY_REFUSAL[refusal(str(e.get("message", "")))] for e in problem.errors]
        return AvaTaxError(
            400, codes[0], "; ".join(messages), list(fields), messages=messages, codes=codes,
            headers=headers,
        )  # fmt: skip
    status = 400 if problem.status in (409, 422) else problem.status
    code = _BY_STATUS.get(status, "InternalServerError" if status >= 500 else "ModelStateInvalid")
    if status == 404 and problem.detail.startswith(("no route for", "no vendor mounted")):
        code = "IncorrectPathError"
    elif status == 400 and problem.detail.startswith(("body is", "a JSON body")):
        code = "JsonFormatError"
    elif status == 400 and problem.detail.startswith("query parameter"):
        code = "QueryParameterOutOfRange"
    elif status == 400 and problem.detail.startswith("$filter"):
        code = "InvalidQueryField"
    message = problem.detail or problem.title
    return AvaTaxError(status, code, message, [first_field(problem)], headers=headers)
