"""Kantata OX's error answers for the PSA mock: ``{"errors": [{"type", "message", "field"}]}``.

Every error of the PSA mock, its own and those raised by shared code (routing, body parsing,
validation, auth, the fault layer), is worded as Kantata OX words it: a top-level ``errors``
array of error objects, ``application/json``, never a problem document.

Sources (consulted 2026-12-07):
- The body: developer.kantata.com/kantata/specification/section/errors ("Errors are currently
  returned as a top-level ``errors`` key with an array of error objects"): ``type`` ``oauth``
  on an OAuth failure (401, "Invalid OAuth 2 Request"), ``system`` for system errors, and
  ``validation`` with the offending ``field`` for model validation errors, one object each.
- The statuses: Kantata's own specs (``../shared/vendor-specs/kantata/*.yml``) declare 400,
  401, 403, 404, 422 (Unprocessable Entity) and 503 on every operation, each with the
  ``Errors`` schema (``errors: [{type, message}]``): so a refused field stays a 422 here, as
  in Kantata, and an entry that can no longer be edited (locked, invoiced), which the mock
  answered 409, is Kantata's 422 validation error. Throttling is 429 (developer.kantata.com,
  "Rate Limits").

Simplified: ``field`` is the dotted path of the offending member, envelope included
(``time_entry.billable``), where Kantata names the attribute; Kantata documents no ``type``
for a 429 or a 5xx, the sandbox says ``system``. The token endpoint keeps its RFC 6749
errors, and ``q2c serve``'s HTTP-level refusals (413, 414, 431) stay generic problem
documents: both are listed in psa.yaml.
"""

from __future__ import annotations

from http import HTTPStatus

from mocks._http import Problem, Reply
from mocks._vendor_errors import is_oauth

__all__ = ["KantataError", "as_kantata", "kantata_error"]


class KantataError(Problem):
    """An error answered as Kantata OX answers it (see the module docstring): one error
    object per offending field, or one ``system``/``oauth`` error."""

    def __init__(
        self,
        status: int,
        errors: list[dict[str, str]],
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        message = "; ".join(e["message"] for e in errors)
        super().__init__(status, HTTPStatus(status).phrase, message, headers=headers)
        self.items = errors

    def reply(self) -> Reply:
        body = {"errors": [dict(e) for e in self.items]}
        return Reply(self.status, body, {**self.headers, "content-type": "application/json"})


def kantata_error(status: int, kind: str, message: str, field: str | None = None) -> KantataError:
    """One of the PSA mock's own refusals (a locked entry, an item that cannot be invoiced)."""
    error = {"type": kind, "message": message}
    if field is not None:
        error["field"] = field
    return KantataError(status, [error])


def as_kantata(problem: Problem) -> Problem:
    """``problem`` raised by shared code, in Kantata's words (the PSA app's
    ``VendorApp.refine``)."""
    if isinstance(problem, KantataError) or is_oauth(problem):
        return problem
    headers = dict(problem.headers)
    if problem.status == 422 and problem.errors:
        errors = [
            {
                "type": "validation",
                "message": str(e.get("message")),  # as Kantata's: the field apart
                "field": str(e.get("field")),
            }
            for e in problem.errors
        ]
        return KantataError(422, errors, headers=headers)
    kind = "oauth" if problem.status in (401, 403) else "system"
    error = {"type": kind, "message": problem.detail or problem.title}
    if problem.errors and problem.status == 400:
        error["field"] = str(problem.errors[0].get("field"))
    return KantataError(problem.status, [error], headers=headers)
