"""The bodies the PSA mock takes, as Kantata OX validates them: unknown fields refused,
Kantata's lengths, patterns and bounds, and fields that may be left out but never sent null."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from mocks._http import IsoDate, WholeNumber, not_null

__all__ = [
    "BillingMilestoneIn",
    "ExternalReferenceIn",
    "InvoiceIn",
    "RateCardIn",
    "RateCardRoleIn",
    "RateCardSetIn",
    "RateCardSetVersionIn",
    "StoryIn",
    "TimeEntryPatch",
    "WorkspaceIn",
    "WorkspacePatch",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _record_id(value: object) -> object:
    """A record id in a body: a whole JSON number (``12.0`` too, as JSON Schema's integer), or
    its decimal string, which Kantata's Rails API casts like any request parameter (a trailing
    newline included, as Rails' integer cast ignores it)."""
    if isinstance(value, str) and re.fullmatch(r"[1-9][0-9]*\n?", value):
        return int(value)
    return value


# A record named in a request body: an integer, as Kantata documents ids in requests
# (vendor-specs kantata/*.yml, e.g. POST /billing_milestones ``workspace_id``, read 2026-12-07),
# though its answers spell ids as strings (which it casts back when sent).
RecordId = Annotated[WholeNumber, BeforeValidator(_record_id), Field(ge=1)]


class ExternalReferenceIn(_Strict):
    """Kantata's ``external_reference`` on create: the integration's own key for the record
    (``service_model_ref``), under the integration's name (``service_name``)."""

    service_name: str = Field(min_length=1)
    service_model: str = Field(min_length=1)
    service_model_ref: str = Field(min_length=1)
    status: Literal["pending", "successful", "failed"] | None = None
    external_message: str | None = None
    external_link: str | None = None
    external_status: str | None = None


class WorkspaceIn(_Strict):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None
    external_reference: ExternalReferenceIn | None = None
    status: Literal["Not Started", "In Planning", "In Progress", "Completed"] = "Not Started"
    price_in_cents: WholeNumber | None = Field(default=None, ge=0)

    check = field_validator("external_reference")(not_null)


class WorkspacePatch(_Strict):
    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    due_date: IsoDate | None = None
    status: Literal["Not Started", "In Planning", "In Progress", "Completed"] | None = None
    price_in_cents: WholeNumber | None = Field(default=None, ge=0)
    rate_card_id: RecordId | None = None

    check = field_validator("title", "status", "rate_card_id")(not_null)


class RateCardSetIn(_Strict):
    """``POST /rate_card_sets``: a custom set (developer.kantata.com, "Rate Card Sets (Group of
    Rate Cards)", consulted 2026-12-07; the sandbox takes its title only)."""

    title: str = Field(min_length=1, max_length=255)


class RateCardIn(_Strict):
    """``POST /rate_cards``: one card per currency of a set (developer.kantata.com, "Rate Cards
    (Multiple Currencies)", consulted 2026-12-07)."""

    rate_card_set_id: RecordId
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class RateCardSetVersionIn(_Strict):
    """``POST /rate_card_set_versions`` body ``{rate_card_set_id, effective_date}``
    (developer.kantata.com, "Creating a new Rate Card Set Version", consulted 2026-12-07)."""

    rate_card_set_id: RecordId
    effective_date: IsoDate


class RateCardRoleIn(_Strict):
    """``POST /rate_card_roles`` body ``{rate_card_version_id, role_id, rate}``, the rate in
    cents per hour (developer.kantata.com, "Creating a new Rate Card Role", consulted
    2026-12-07). Kantata keeps no location on it: a rate by country needs a role per country."""

    rate_card_version_id: RecordId
    role_id: RecordId
    rate: WholeNumber = Field(ge=0)


class StoryIn(_Strict):
    """``POST /stories``: a task in a workspace (developer.kantata.com, "Creating a new Story",
    https://developer.kantata.com/kantata/specification/Stories, consulted 2026-12-07; Story
    fields as in vendor-specs kantata/mavenlink-billing-milestones-api-openapi.yml, schema
    ``Story``). The sandbox takes the few fields a billing milestone's task needs; a story
    starts ``not started`` and is completed in Kantata's own UI (the simulated firm)."""

    workspace_id: RecordId
    title: str = Field(min_length=1, max_length=255)
    story_type: Literal["task", "deliverable", "milestone", "issue"] = "task"
    due_date: IsoDate | None = None
    description: str | None = None


class BillingMilestoneIn(_Strict):
    """``POST /billing_milestones`` (vendor-specs kantata/mavenlink-billing-milestones-api-
    openapi.yml, read 2026-12-07): ``billing_type`` is ``fixed_date`` (invoiceable from
    ``date_to_invoice``) or ``upon_completion`` (invoiceable once its ``story_id``'s task is
    completed; ``story_id`` is then required). Kantata documents no default type: the
    sandbox takes ``fixed_date`` when it is left out, and wants a ``date_to_invoice`` for it."""

    workspace_id: RecordId
    title: str = Field(min_length=1)
    amount_in_cents: WholeNumber = Field(gt=0)
    billing_type: Literal["fixed_date", "upon_completion"] = "fixed_date"
    date_to_invoice: IsoDate | None = None
    story_id: RecordId | None = None
    external_reference: ExternalReferenceIn | None = None

    check = field_validator("external_reference", "billing_type")(not_null)


class TimeEntryPatch(_Strict):
    time_in_minutes: WholeNumber | None = Field(default=None, gt=0, le=24 * 60)
    notes: str | None = None
    billable: bool | None = None

    check = field_validator("time_in_minutes", "billable")(not_null)


class InvoiceIn(_Strict):
    workspace_id: RecordId
    invoice_date: IsoDate
    user_invoice_number: WholeNumber | None = Field(default=None, ge=1)
    external_reference: ExternalReferenceIn | None = None
    time_entry_ids: list[str] = []
    expense_ids: list[str] = []
    billing_milestone_ids: list[str] = []
    draft: bool = Field(default=False, strict=True)

    check = field_validator("external_reference")(not_null)
