"""What every vendor's error wording needs from a ``Problem`` raised by shared code.

Shared code (routing, body parsing, pydantic validation, auth, the fault layer) raises a
generic ``mocks._http.Problem``; each vendor app's ``refine`` rewords it in its vendor's own
error body (``mocks._crm_errors``, ``mocks._tax_errors``, ``mocks._psa_errors``,
``mocks._clm_errors``, ``mocks._payments_forms``, ``mocks._erp_errors``). This module holds the
few facts they all read the same way: which problems are the token endpoint's RFC 6749 errors
(kept as they are: the identity provider's, not the vendor's), and what kind of refusal a
pydantic message is, so each vendor can pick its own code for it.
"""

from __future__ import annotations

from typing import Any, Literal

from mocks._http import Problem

__all__ = ["OAUTH_ERRORS", "Refusal", "first_field", "is_oauth", "refusal"]

# RFC 6749 section 5.2 error codes, as mocks._auth words its token endpoint's refusals
OAUTH_ERRORS = frozenset(
    {"invalid_request", "unsupported_grant_type", "invalid_client", "invalid_scope"}
)

Refusal = Literal["missing", "unknown", "too_long", "type", "choice", "other"]
# pydantic's messages (pydantic-core's error templates) -> the kind of refusal
_KINDS: tuple[tuple[str, Refusal], ...] = (
    ("Field required", "missing"),
    ("Value error, this field cannot be null", "missing"),  # mocks._http.not_null
    ("Extra inputs are not permitted", "unknown"),
    ("String should have at least 1 character", "missing"),  # an empty required text
    ("String should have at most", "too_long"),
    ("List should have at most", "too_long"),
    ("Input should be '", "choice"),
    ("Input should be a valid", "type"),
    ("must be a date", "type"),
    ("must be a whole", "type"),
)


def is_oauth(problem: Problem) -> bool:
    """``problem`` is a token endpoint's RFC 6749 error (``mocks._auth._oauth``)."""
    first: dict[str, Any] = dict(problem.errors[0]) if problem.errors else {}
    error = first.get("message")
    return error in OAUTH_ERRORS and problem.detail.startswith(f"{error}:")


def refusal(message: str) -> Refusal:
    """The kind of refusal a field's validation message says."""
    for start, kind in _KINDS:
        if message.startswith(start):
            return kind
    return "other"


def first_field(problem: Problem) -> str | None:
    """The first field or parameter ``problem`` names, if any."""
    if not problem.errors:
        return None
    field = problem.errors[0].get("field")
    return None if field is None else str(field)
