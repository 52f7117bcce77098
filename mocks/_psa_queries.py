"""How the PSA mock reads a listing's query, as Kantata OX does: which filters a listing takes
(and which are indexed), side-loading with ``include``, Kantata's "updated since" window, and
the 400 a malformed filter gets before any row is read."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mocks._http import Call, Problem

__all__ = [
    "BETWEEN",
    "FILTERS",
    "INCLUDES",
    "INDEXED_FILTERS",
    "INDEXES",
    "ONLY",
    "RATE_FILTERS",
    "READ_SCOPES",
    "SIDE_LOADS",
    "UPDATED",
    "UPDATED_KINDS",
    "check_filters",
    "moment_param",
    "repeats",
    "truthy",
    "updated_within",
]

INCLUDES = {  # include name -> (collection, foreign key on the result)
    "user": ("users", "user_id"),
    "role": ("roles", "role_id"),
    "workspace": ("workspaces", "workspace_id"),
    "external_references": ("external_references", "external_reference_ids"),
    "workspaces": ("workspaces", "workspace_ids"),  # an invoice's (Kantata's name there)
    "rate_card": ("rate_cards", "rate_card_id"),
    "rate_card_roles": ("rate_card_roles", "rate_card_role_ids"),
    "rate_card_set_version": ("rate_card_set_versions", "rate_card_set_version_id"),
    "rate_card_versions": ("rate_card_versions", "rate_card_version_ids"),
    "story": ("stories", "story_id"),  # a billing milestone's task
}
# The include names each listing takes: those of INCLUDES that Kantata offers on it
# (vendor-specs kantata/*.yml, each endpoint's ``include`` parameter, read 2026-12-07): time
# entries and expenses side-load user, role and workspace; timesheet submissions user and
# workspace; billing milestones workspace, external_references and story (its task); stories
# their workspace; invoices workspaces and
# external_references; rate card versions their card, roles and set version (mavenlink-rate-card-
# versions-api-openapi.yml); the rate card writes answer with their card versions where Kantata
# offers them (developer.kantata.com rate card pages, consulted 2026-12-07).
# Workspaces (plus external_references), users, roles and expense reports keep all
# three (documentation only, not measured).
_ALL = ("user", "role", "workspace")
SIDE_LOADS: dict[str, tuple[str, ...]] = {
    "time_entries": _ALL,
    "expenses": _ALL,
    "timesheet_submissions": ("user", "workspace"),
    "billing_milestones": ("workspace", "external_references", "story"),
    "stories": ("workspace",),
    "rate_card_versions": ("rate_card", "rate_card_roles", "rate_card_set_version"),
    "rate_card_sets": (),
    "rate_cards": ("rate_card_versions",),
    "rate_card_set_versions": ("rate_card_versions",),
    "rate_card_roles": (),
    "invoices": ("workspaces", "external_references"),
    "workspaces": (*_ALL, "external_references"),
    "users": _ALL,
    "roles": _ALL,
    "expense_reports": _ALL,
}
READ_SCOPES = {  # collection -> the OAuth scope that reads it
    "workspaces": "psa:workspaces.read",
    "time_entries": "psa:time.read",
    "timesheet_submissions": "psa:time.read",
    "expenses": "psa:expenses.read",
    "expense_reports": "psa:expenses.read",
    "billing_milestones": "psa:milestones.read",
    "stories": "psa:milestones.read",  # the sandbox's scopes: a milestone's task with it
    "rate_card_versions": "psa:rates.read",
    "rate_cards": "psa:rates.read",
    "invoices": "psa:invoices.read",
    "users": "psa:people.read",
    "roles": "psa:people.read",
}
# The fields lists find records by: a workspace's or user's records, and the daily count of
# finished work (approved submissions and reports); a story's billing milestones. status
# changes: every change goes through ``_changed`` so the index follows.
INDEXES: dict[str, tuple[str, ...]] = {
    "time_entries": ("workspace_id", "user_id"),
    "billing_milestones": ("workspace_id", "story_id"),
    "stories": ("workspace_id",),
    "rate_card_versions": ("rate_card_id", "rate_card_set_version_id"),
    "expenses": ("workspace_id", "user_id"),
    "timesheet_submissions": ("status",),
    "expense_reports": ("status",),
}
# Kantata's "updated since" filters, on listings whose documentation has them (vendor-specs
# kantata/mavenlink-{timesheet-submissions,expenses}-api-openapi.yml: ``updated_after``,
# ``updated_before``, ISO 8601 date-times; read 2026-12-07). Billing milestones and expense
# reports have none: an extract pages through them by status instead. Kantata has them on time
# entries too; the sandbox does not offer them there (a firm-year logs 700,000 entries: their
# change log would cost more memory than every other table), so they are ignored, like any
# filter a listing does not know.
UPDATED = ("updated_after", "updated_before")
UPDATED_KINDS = ("timesheet_submissions", "expenses")
# A rate card version's filters (mavenlink-rate-card-versions-api-openapi.yml, GET
# /rate_card_versions ``rate_card_id``, ``rate_card_set_version_id``; read 2026-12-07).
RATE_FILTERS = ("rate_card_id", "rate_card_set_version_id")
INDEXED_FILTERS = ("workspace_id", "user_id", "status", *RATE_FILTERS)
# ``only``: records by id, a comma-separated list (Kantata's on every listing, e.g. vendor-specs
# kantata/mavenlink-billing-milestones-api-openapi.yml GET /billing_milestones ``only``, read
# 2026-12-07): a listing of the few records a client names costs those records.
ONLY = re.compile(r"[1-9][0-9]*(,[1-9][0-9]*)*")
FILTERS = (*INDEXED_FILTERS, "only", "active_submission_id", "approved",
            "uninvoiced", "invoiced", "date_performed_between", *UPDATED)  # fmt: skip
BETWEEN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_filters(call: Call) -> None:
    """Refuse a malformed filter before any row is read (an empty account must say 400 too)."""
    truthy("approved", call.query.get("approved"))
    truthy("uninvoiced", call.query.get("uninvoiced"))
    truthy("invoiced", call.query.get("invoiced"))
    for name in UPDATED:
        moment_param(name, call.query.get(name))
    only = call.query.get("only")
    if only is not None and ONLY.fullmatch(only) is None:
        raise Problem(
            400,
            "Bad Request",
            "only must be record ids separated by commas",
            errors=[{"field": "only", "message": "expected ids separated by commas"}],
        )
    between = call.query.get("date_performed_between")
    if between is not None and BETWEEN.fullmatch(between) is None:
        raise Problem(
            400,
            "Bad Request",
            "date_performed_between must be YYYY-MM-DD:YYYY-MM-DD",
            errors=[{"field": "date_performed_between", "message": "expected two dates"}],
        )


def moment_param(name: str, raw: str | None) -> datetime | None:
    """An ISO 8601 date-time filter (a zone is required: Kantata's records are stamped in UTC)."""
    if raw is None:
        return None
    try:
        when: datetime | None = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise Problem(
            400,
            "Bad Request",
            f"{name} must be an ISO 8601 date-time with a zone, got {raw!r}",
            errors=[{"field": name, "message": "expected an ISO 8601 date-time"}],
        )
    return when


def updated_within(q: Any, updated_at: str) -> bool:
    """Whether a record stamped ``updated_at`` passes ``updated_after``/``updated_before``."""
    moment = datetime.fromisoformat(updated_at.replace("Z", "+00:00"))
    after, before = moment_param("updated_after", q.get("updated_after")), moment_param(
        "updated_before", q.get("updated_before"))  # fmt: skip
    return (after is None or moment > after) and (before is None or moment < before)


def truthy(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise Problem(
        400,
        "Bad Request",
        f"query parameter {name!r} must be true or false, got {raw!r}",
        errors=[{"field": name, "message": "expected true or false"}],
    )


def repeats(ids: list[str]) -> list[int]:
    """Positions of ids already listed earlier in ``ids``."""
    first: dict[str, int] = {}
    return [k for k, i in enumerate(ids) if first.setdefault(i, k) != k]
