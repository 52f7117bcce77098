"""Ironclad's error answers for the CLM mock: ``{"code", "message", "param"}``.

Every error of the CLM mock, its own and those raised by shared code (routing, body parsing,
validation, auth, the fault layer), is worded as Ironclad's public API words it: one JSON
object with an upper-case ``code``, a ``message`` and, where a parameter is at fault, the
``param`` naming it; ``application/json``, never a problem document.

Source: the response schemas and examples of Ironclad's reference (Create a Record: 400
``{"code": "INVALID_PARAM", "message": "unknown record type ...", "param": "type"}``; Launch a
Workflow: 400 with ``code`` one of ``MISSING_PARAM``, ``INVALID_PARAM``, ``INVALID_STATE``;
Retrieve a Workflow: 404 ``NOT_FOUND``, ``"workflow does not exist"``, ``param``
``workflowId``; 401 ``UNAUTHORIZED``, 403 ``FORBIDDEN``, 429 ``TOO_MANY_REQUESTS``), read
2026-12-07 in api-evangelist/ironclad's copy of it (openapi/ironclad-{records,workflows}-api-
openapi.yml, commit 350c82dd) for developer.ironcladapp.com/reference.

Simplified: Ironclad documents no code for 405, 415 and the 5xx answers; every documented code
but the 400s is its status's reason phrase in upper snake case (``NOT_FOUND``,
``TOO_MANY_REQUESTS``), so the sandbox words those the same way (``METHOD_NOT_ALLOWED``,
``BAD_GATEWAY``). A refused body names its first offending field only, as Ironclad's single
``param`` does. The token endpoint keeps its RFC 6749 errors, and ``q2c serve``'s HTTP-level
refusals (413, 414, 431) stay generic problem documents.
"""

from __future__ import annotations

from http import HTTPStatus

from mocks._http import Problem, Reply
from mocks._vendor_errors import first_field, is_oauth, refusal

__all__ = ["IroncladError", "as_ironclad"]


class IroncladError(Problem):
    """An error answered as Ironclad answers it (see the module docstring)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, HTTPStatus(status).phrase, message, headers=headers)
        self.code = code
        self.param = param

    def reply(self) -> Reply:
        body = {"code": self.code, "message": self.detail}
        if self.param is not None:
            body["param"] = self.param
        return Reply(self.status, body, {**self.headers, "content-type": "application/json"})


def _phrase_code(status: int) -> str:
    return HTTPStatus(status).phrase.upper().replace(" ", "_").replace("-", "_")


def as_ironclad(problem: Problem) -> Problem:
    """``problem`` raised by shared code, in Ironclad's words (the CLM app's
    ``VendorApp.refine``): a refused request is a 400 (Ironclad has no 422)."""
    if isinstance(problem, IroncladError) or is_oauth(problem):
        return problem
    headers = dict(problem.headers)
    param = first_field(problem)
    if problem.status in (400, 422):
        first = problem.errors[0] if problem.errors else {}
        missing = refusal(str(first.get("message", ""))) == "missing"
        message = str(first.get("message") or problem.detail or problem.title)
        code = "MISSING_PARAM" if missing else "INVALID_PARAM"
        return IroncladError(400, code, message, param, headers=headers)
    message = problem.detail or problem.title
    return IroncladError(problem.status, _phrase_code(problem.status), message, param,
                         headers=headers)  # fmt: skip
