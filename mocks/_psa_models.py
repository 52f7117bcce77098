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
    "RateCardRoleIn",
    "RateCardVersionIn",
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

    check = field_validator("title", "status")(not_null)


class RateCardRoleIn(_Strict):
    role_id: str
    location: str = Field(pattern=r"^[A-Z]{2}$")
    rate_in_cents: WholeNumber = Field(gt=0)


class RateCardVersionIn(_Strict):
    workspace_id: RecordId
    version_number: WholeNumber = Field(ge=1)
    effective_date: IsoDate
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rate_card_roles: list[RateCardRoleIn] = Field(min_length=1)


class BillingMilestoneIn(_Strict):
    workspace_id: RecordId
    title: str = Field(min_length=1)
    amount_in_cents: WholeNumber = Field(gt=0)
    date_to_invoice: IsoDate
    external_reference: ExternalReferenceIn | None = None

    check = field_validator("external_reference")(not_null)


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
