"""Business Central's optimistic concurrency for the ERP mock: every record's ``@odata.etag``
(a weak tag, new on every change), the ``ETag`` header of a single-record answer, and the
``If-Match`` check of a write (required on PATCH, compared when sent on a bound action)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mocks._erp_changes import touched
from mocks._erp_errors import ENTITY_CHANGED, INVALID_TOKEN, BcError
from mocks._http import Call, Reply

__all__ = ["INTERNAL", "check_if_match", "etag", "listed", "served", "tagged", "touch"]


def touch(record: dict[str, Any], now: str) -> None:
    """A record changed at ``now``: a new ``lastModifiedDateTime`` and a new ``@odata.etag``
    (BC changes the tag on every change of the record, whoever makes it)."""
    record["lastModifiedDateTime"] = now
    record["@odata.etag"] = etag(record["@odata.etag"])
    touched(record)  # for the lastModifiedDateTime index (mocks._erp_changes)


# What the ERP mock keeps on a record for its own bookkeeping and for the sandbox's books (the
# company a record belongs to, what was paid and credited on an invoice, when a document or
# payment was posted) but Business Central's API v2.0 does not expose: never served.
INTERNAL = frozenset({"companyId", "paidAmount", "creditedAmount", "postedAt"})


def served(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the API shows it: without the mock's internal fields, and its lines (kept
    as columns, ``mocks._erp_line_columns``) as the list of line records they make."""
    return {k: listed(v) for k, v in record.items() if k not in INTERNAL}


def listed(value: Any) -> Any:
    """A document's stored lines (a sequence other than a list) as a list; anything else as
    it is."""
    if value.__class__ in _NOT_LINES or not isinstance(value, Sequence):
        return value
    return list(value)


# a record's values that are never stored lines (checked by class first: ``served`` asks of
# every field of every record it serves, and an ABC check is slow)
_NOT_LINES = frozenset({str, list, int, bool, float, type(None), Decimal, dict})


def tagged(status: int, record: dict[str, Any], body: Any = None) -> Reply:
    """An answer about one record, with its tag as the ``ETag`` header too (BC sends both)."""
    return Reply(status, served(record) if body is None else body, {"etag": record["@odata.etag"]})


def etag(previous: str) -> str:
    """The next ``@odata.etag`` of a record: a weak tag, new on every change. Derived from the
    previous tag (or the id, for a new record), so it is deterministic without a counter."""
    return f'W/"{hashlib.sha256(previous.encode()).hexdigest()[:24]}"'


def check_if_match(call: Call, record: dict[str, Any], *, required: bool = True) -> None:
    """Business Central's optimistic concurrency. A PATCH must carry ``If-Match`` with the
    record's current ``@odata.etag`` or ``*``: without one BC answers 400
    ``BadRequest_InvalidToken``; DELETE and bound actions (``required=False``) compare the tag
    only when one is sent. A stale tag is 409 ``Request_EntityChanged`` and changes nothing.
    Sources (2026-12-07): Microsoft Learn, "Update records with OData" (PATCH requires
    If-Match, a retrieved etag or *); the BC API v1.0 spec's If-Match ("Required"); the error
    codes page for both codes and messages; the 409 and "only when supplied" from a review of
    BC 28's server code (``mocks._erp_errors`` names it)."""
    wanted = call.headers.get("if-match")
    if wanted is None:
        if not required:
            return
        raise BcError(
            400,
            INVALID_TOKEN,
            "Could not validate the client concurrency token required by the service. "
            "Please provide a valid token in the client request.",
        )
    if wanted.strip() not in ("*", record["@odata.etag"]):
        raise BcError(409, ENTITY_CHANGED, "Another user has already changed the record.")
