"""CLM mock mirroring Ironclad's public API: workflows that end in executed contract records.

A workflow is launched (by the integration, from a closed-won deal), legal negotiates, and on
signature the workflow completes into a record holding the executed SOW: rate card versions,
milestones, currency and rounding rule. Completion fires a ``workflow_completed`` webhook.

A change order is its own record, as in Ironclad: an amendment workflow completes into an
amendment record whose ``parentId`` names the SOW record (``parentLinkType: amendment``), and
the SOW record lists it in ``childIds`` and ``amendments`` (Ironclad's readable ids). The SOW
record's own terms never change; a reader folds the amendments in. Sources: the Record
Amendments guide, https://developer.ironcladapp.com/docs/record-amendments-crud-api-guide, and
the record model of Retrieve a Record (``parentId``, ``parentLinkType``, ``childIds``,
``amendments``), https://developer.ironcladapp.com/reference/retrieve-a-record, both read
2026-12-07. Simplified: the amendment rolls no property up to its parent
(``propertiesToAmend``): its terms (rate card versions, milestones) are no record property
type Ironclad has, so there is nothing to roll up.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mocks._auth import secure
from mocks._changes import ChangeLog
from mocks._clm_errors import as_ironclad
from mocks._http import Call, IsoDate, Problem, Reply, VendorApp, WholeNumber
from mocks._state import Clock, Tables, Webhook, WebhookSink, guid, iso, plain

__all__ = ["AmendmentTerms", "ClmMock", "ExecutedTerms"]

API = "/public/api/v1"
MAX_PAGE_SIZE = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LaunchAttributes(_Strict):
    counterpartyName: str = Field(min_length=1)
    opportunityId: str = Field(min_length=1)
    agreementValue: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class WorkflowLaunch(_Strict):
    template: Literal["statementOfWork"]
    attributes: LaunchAttributes


class RateLine(_Strict):
    role: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    hourlyRate: Decimal = Field(gt=0)


class ContractVersionTerms(_Strict):
    number: WholeNumber = Field(ge=1)
    effectiveDate: IsoDate
    rateCard: list[RateLine]
    budget: Decimal | None = Field(default=None, ge=0)


class MilestoneTerms(_Strict):
    id: str
    title: str
    amount: Decimal = Field(gt=0)
    dueDate: IsoDate


class ExpensePolicyTerms(_Strict):
    markupPercent: Decimal = Field(ge=0, le=100)
    billableCategories: list[str]
    receiptRequiredAbove: Decimal = Field(ge=0)
    conversion: Literal["convert_then_markup", "markup_then_convert"] | None = None
    rounding: Literal["once", "each_step"] | None = None


class ServiceLevelTerms(_Strict):
    creditPerBreach: Decimal = Field(gt=0)
    monthlyCap: Decimal = Field(gt=0)
    vatTreatment: Literal["price_reduction", "compensation"] | None = None


class ExecutedTerms(_Strict):
    """What legal signs: the SOW's commercial terms (set through the CLM's editor)."""

    counterpartyCountry: str = Field(pattern=r"^[A-Z]{2}$")
    counterpartyTaxId: str | None = None
    legalEntity: str
    contractCurrency: str = Field(pattern=r"^[A-Z]{3}$")
    roundingRule: Literal["half_up", "half_even", "down"]
    billingModel: Literal["time_and_materials"] = "time_and_materials"
    sowReference: str
    versions: list[ContractVersionTerms] = Field(min_length=1)
    milestones: list[MilestoneTerms] = []
    expensePolicy: ExpensePolicyTerms | None = None
    purchaseOrderRequired: bool = False
    serviceLevel: ServiceLevelTerms | None = None
    paymentTermsDays: WholeNumber = Field(default=30, ge=0, le=365)
    retroSettlement: Literal["adjustment_lines", "credit_and_reissue"] = "adjustment_lines"


class AmendmentTerms(_Strict):
    """A change order: new contract versions (rates from a date) and added milestones."""

    versions: list[ContractVersionTerms] = Field(min_length=1)
    milestones: list[MilestoneTerms] = []


class RecordPatch(_Strict):
    name: str | None = Field(default=None, min_length=1)


class ClmMock:
    """Contract workflows and records per tenant."""

    vendor = "clm"

    def __init__(
        self, clock: Clock, sink: WebhookSink | None = None, *, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.tables = Tables()
        self.changes = ChangeLog()  # what ``lastUpdated`` on the records list reads
        self.app = VendorApp("clm")
        self.app.refine = as_ironclad  # Ironclad's {code, message, param}, its statuses
        app = self.app
        # Ironclad's own scope names, as each operation's reference page gives them
        launch, read_flows = "public.workflows.createWorkflows", "public.workflows.readWorkflows"
        read_records, update = "public.records.readRecords", "public.records.updateRecords"
        app.route("POST", API + "/workflows", scope=launch)(self._launch)
        app.route("GET", API + "/workflows", scope=read_flows)(self._list_workflows)
        app.route("GET", API + "/workflows/{id}", scope=read_flows)(self._read_workflow)
        app.route("GET", API + "/records", scope=read_records)(self._list_records)
        app.route("GET", API + "/records/{id}", scope=read_records)(self._read_record)
        app.route("PATCH", API + "/records/{id}", scope=update)(self._update_record)
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- direct use by the simulated legal team --------------------------------------------

    def workflows(self, tenant: str) -> list[dict[str, Any]]:
        return list(self.tables.all(tenant, "workflow"))

    def execute(self, tenant: str, workflow_id: str, terms: ExecutedTerms) -> dict[str, Any]:
        """Sign the SOW: complete the workflow into a contract record and notify."""
        workflow = self.tables.get(tenant, "workflow", workflow_id, "workflow")
        if workflow["status"] != "active":
            raise ValueError(f"workflow {workflow_id} is {workflow['status']}, not active")
        now = self.clock()
        n = self.tables.next_number(tenant, "record")
        data = plain(terms)
        attrs = workflow["attributes"]
        record = {
            **_record_head(tenant, n, "statementOfWork", workflow_id, now),
            "name": f"SOW {terms.sowReference} - {attrs['counterpartyName']}",
            "properties": _properties(
                counterpartyName=_text(attrs["counterpartyName"]),
                counterpartyCountry=_text(data["counterpartyCountry"]),
                counterpartyTaxId=_text(data["counterpartyTaxId"]),
                opportunityId=_text(attrs["opportunityId"]),
                legalEntity=_text(data["legalEntity"]),
                contractCurrency=_text(data["contractCurrency"]),
                roundingRule=_text(data["roundingRule"]),
                billingModel=_text(data["billingModel"]),
                sowReference=_text(data["sowReference"]),
                agreementDate=_day(now),
                purchaseOrderRequired={"type": "boolean", "value": data["purchaseOrderRequired"]},
                paymentTermsDays={"type": "number", "value": data["paymentTermsDays"]},
                retroSettlement=_text(data["retroSettlement"]),
                **_expense_properties(terms.expensePolicy, terms.contractCurrency),
                **_sla_properties(terms.serviceLevel, terms.contractCurrency),
            ),
            "versions": [{**v, "executedAt": iso(now)} for v in data["versions"]],
            "milestones": data["milestones"],
            "breaches": [],
        }
        self.tables.insert(tenant, "record", record)
        self.changes.note(tenant, "record", record["id"], now)
        _complete(workflow, record["id"], now)
        self._completed(tenant, workflow_id, workflow["template"], now)
        return record

    def amend(self, tenant: str, record_id: str, terms: AmendmentTerms) -> dict[str, Any]:
        """Sign a change order: an amendment workflow completes into an amendment record linked
        to the SOW record as its child (``parentLinkType: amendment``); returns that record."""
        parent = self.tables.get(tenant, "record", record_id, "record")
        if parent.get("parentId") is not None:
            raise ValueError(f"record {record_id} is itself an amendment: amend its parent")
        known = {v["number"] for v in parent["versions"]}
        for child in parent["childIds"]:
            known |= {v["number"] for v in self.tables.get(tenant, "record", child)["versions"]}
        data = plain(terms)
        for k, version in enumerate(data["versions"]):
            if version["number"] in known or version["number"] != len(known) + k + 1:
                raise ValueError(
                    f"amendment version {version['number']} does not follow "
                    f"versions {sorted(known)} of record {record_id}"
                )
        now = self.clock()
        w = self.tables.next_number(tenant, "workflow")
        workflow_id = guid(f"{tenant}:workflow", w)
        workflow: dict[str, Any] = {
            "id": workflow_id,
            "title": f"Amendment - {parent['name']}",
            "template": "amendment",
            "status": "active",
            "step": "Review",
            "attributes": {
                "parentRecord": {"recordId": record_id, "readableId": parent["ironcladId"]}
            },
            "created": iso(now),
        }
        _pending(workflow)
        self.tables.insert(tenant, "workflow", workflow)
        n = self.tables.next_number(tenant, "record")
        props = parent["properties"]
        amendment = {
            **_record_head(tenant, n, "amendment", workflow_id, now),
            "name": f"Amendment {len(parent['childIds']) + 1} - {parent['name']}",
            "properties": {
                "counterpartyName": dict(props["counterpartyName"]),
                "sowReference": dict(props["sowReference"]),
                "agreementDate": _day(now),
            },
            "parentId": record_id,
            "parentLinkType": "amendment",
            "versions": [{**v, "executedAt": iso(now)} for v in data["versions"]],
            "milestones": data["milestones"],
        }
        self.tables.insert(tenant, "record", amendment)
        self.changes.note(tenant, "record", amendment["id"], now)
        # The parent lists its child; its ``lastUpdated`` is left as it was: Ironclad does not
        # say that linking a child touches the parent, and a reader that needs the change finds
        # it on the amendment record (the stricter reading).
        parent["childIds"].append(amendment["id"])
        parent["amendments"].append(amendment["ironcladId"])
        _complete(workflow, amendment["id"], now)
        self._completed(tenant, workflow_id, "amendment", now)
        return amendment

    def set_purchase_order(self, tenant: str, record_id: str, number: str) -> None:
        """Record the client's PO on the contract (as the contract manager does on receipt)."""
        record = self.tables.get(tenant, "record", record_id, "record")
        record["properties"]["purchaseOrderNumber"] = _text(number)
        record["lastUpdated"] = iso(self.clock())
        self.changes.note(tenant, "record", record_id, self.clock())

    def record_breach(self, tenant: str, record_id: str, day: date, description: str) -> str:
        """Log a missed service level against the contract's SLA obligation and notify."""
        record = self.tables.get(tenant, "record", record_id, "record")
        now = self.clock()
        n = self.tables.next_number(tenant, "breach")
        breach = {"id": guid(f"{tenant}:breach", n), "date": day.isoformat(),
                  "description": description, "recordedAt": iso(now)}  # fmt: skip
        record["breaches"].append(breach)
        record["lastUpdated"] = iso(now)
        self.changes.note(tenant, "record", record_id, now)
        if self.sink is not None:
            payload = {"event": "obligation_breached", "recordId": record_id,
                       "breachId": breach["id"], "timestamp": iso(now)}  # fmt: skip
            self.sink(Webhook("clm", tenant, "obligation_breached", {"payload": payload}))
        return str(breach["id"])

    def _completed(self, tenant: str, workflow_id: str, template: str, now: Any) -> None:
        """Ironclad's ``workflow_completed`` as its event-types page shows it: the workflow and
        template ids under ``payload``, the time beside it, and **no record id**: a receiver
        reads the workflow (``GET /workflows/{id}``, whose ``recordIds`` name the record).
        Ironclad's ``companyID`` and ``webhookID`` are left out (the sandbox has neither).
        Source: https://developer.ironcladapp.com/docs/webhook-event-types (read 2026-12-07)."""
        if self.sink is not None:
            payload = {
                "event": "workflow_completed",
                "templateID": template,
                "workflowID": workflow_id,
            }
            body = {"payload": payload, "timestamp": iso(now)}
            self.sink(Webhook("clm", tenant, "workflow_completed", body))

    # -- HTTP --------------------------------------------------------------------------------

    def _launch(self, call: Call) -> Reply:
        launch = call.parse(WorkflowLaunch)
        n = self.tables.next_number(call.tenant, "workflow")
        workflow = {
            "id": guid(f"{call.tenant}:workflow", n),
            "title": f"SOW - {launch.attributes.counterpartyName}",
            "template": launch.template,
            "status": "active",
            "step": "Review",
            "attributes": plain(launch.attributes, exclude_none=True),
            "created": iso(self.clock()),
        }
        _pending(workflow)
        self.tables.insert(call.tenant, "workflow", workflow)
        return Reply(200, workflow)  # Create a Workflow Synchronously answers 200, not 201

    def _listing(self, call: Call, kind: str) -> Reply:
        number = call.int_query("page", 0, low=0)
        size = call.int_query("pageSize", 20, low=1, high=MAX_PAGE_SIZE)
        chunk = self.tables.window(call.tenant, kind, number * size, size)
        count = self.tables.count(call.tenant, kind)
        return Reply(200, {"page": number, "pageSize": size, "count": count, "list": chunk})

    def _list_workflows(self, call: Call) -> Reply:
        return self._listing(call, "workflow")

    def _read_workflow(self, call: Call) -> Reply:
        return Reply(200, self.tables.get(call.tenant, "workflow", call.params["id"], "workflow"))

    def _list_records(self, call: Call) -> Reply:
        """Every record, or with ``lastUpdated`` only those updated at or after it (Ironclad's
        List All Records filter, https://developer.ironcladapp.com/reference/list-all-records,
        read 2026-12-07), still oldest change first, from the change log: a nightly extract
        costs the night's changes."""
        raw = call.query.get("lastUpdated")
        if raw is None:
            return self._listing(call, "record")
        since = _moment("lastUpdated", raw)
        number = call.int_query("page", 0, low=0)
        size = call.int_query("pageSize", 20, low=1, high=MAX_PAGE_SIZE)
        keys = self.changes.changed(call.tenant, "record", since, inclusive_start=True)
        table = self.tables.table(call.tenant, "record")
        chunk = [table[k] for k in keys[number * size : (number + 1) * size]]
        self.tables.scanned += len(chunk)
        return Reply(200, {"page": number, "pageSize": size, "count": len(keys), "list": chunk})

    def _record(self, call: Call) -> dict[str, Any]:
        """The record the path names by its id or its Ironclad id (``IC-n``), as Retrieve a
        Record and Update Record Metadata take either ("The ID or Ironclad ID of the
        Record"); a record's Ironclad id is its number here, so it leads to its id."""
        named = call.params["id"]
        number = named.removeprefix("IC-")
        if named.startswith("IC-") and number.isdigit() and number == str(int(number)):
            named = guid(f"{call.tenant}:record", int(number))
        return self.tables.get(call.tenant, "record", named, "record")

    def _read_record(self, call: Call) -> Reply:
        return Reply(200, self._record(call))

    def _update_record(self, call: Call) -> Reply:
        record = self._record(call)
        patch = call.parse(RecordPatch)
        if patch.name is None:
            raise Problem(
                400,
                "Bad Request",
                "nothing to update",
                errors=[{"field": "name", "message": "required"}],
            )
        record.update(name=patch.name, lastUpdated=iso(self.clock()))
        self.changes.note(call.tenant, "record", record["id"], self.clock())
        return Reply(200, record)


def _moment(name: str, raw: str) -> datetime:
    """An ISO 8601 date-time query parameter (UTC when it names no zone), or a 400."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Problem(
            400,
            "Bad Request",
            f"{name} must be an ISO 8601 date-time, got {raw!r}",
            errors=[{"field": name, "message": "expected an ISO 8601 date-time"}],
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record_head(tenant: str, n: int, kind: str, workflow_id: str, now: datetime) -> dict[str, Any]:
    """The members every record has (Retrieve a Record's required ``id``, ``ironcladId``,
    ``type``, ``lastUpdated``, ``attachments``, ``links``), the relationship lists, and its
    ``source``: the workflow it completed from. No attachment is served (the signed PDF is
    outside the sandbox), no record links another."""
    return {
        "id": guid(f"{tenant}:record", n),
        "ironcladId": f"IC-{n}",
        "type": kind,
        "lastUpdated": iso(now),
        "attachments": {},
        "links": [],
        "childIds": [],
        "amendments": [],
        "source": {"type": "workflow", "workflowId": workflow_id},
    }


def _pending(workflow: dict[str, Any]) -> None:
    """A launched workflow's state flags (Retrieve a Workflow: ``isComplete``, ``isCancelled``,
    ``lastUpdated``)."""
    workflow.update(isComplete=False, isCancelled=False, lastUpdated=workflow["created"])


def _complete(workflow: dict[str, Any], record_id: str, now: datetime) -> None:
    """Signed: the workflow is completed and archived, and names the record it became in
    ``recordIds`` (Ironclad's list; one record here)."""
    workflow.update(
        status="completed", step="Archive", isComplete=True, lastUpdated=iso(now),
        recordIds=[record_id],
    )  # fmt: skip


def _properties(**properties: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Record properties keyed by name, an unset one (None) left out as Ironclad leaves it."""
    return {name: prop for name, prop in properties.items() if prop is not None}


def _text(value: str | None) -> dict[str, Any] | None:
    """A ``string`` record property, None (left out) when unset."""
    return None if value is None else {"type": "string", "value": value}


def _day(moment: datetime) -> dict[str, Any]:
    """A ``date`` record property: Ironclad's date values are ISO 8601 date-times
    (RecordPropertyDate, e.g. ``1992-10-04T09:31:00Z``); a day is sent at midnight UTC."""
    return {"type": "date", "value": f"{moment.date().isoformat()}T00:00:00Z"}


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    """A ``monetary_amount`` record property (RecordPropertyMonetaryAmount)."""
    return {"type": "monetary_amount", "value": {"amount": amount, "currency": currency}}


def _expense_properties(
    policy: ExpensePolicyTerms | None, currency: str
) -> dict[str, dict[str, Any] | None]:
    """The expense terms as record properties (none when the SOW bills no expenses); an
    Ironclad array property has at least one element, so no categories is no property."""
    if policy is None:
        return {}
    categories = list(policy.billableCategories)
    return {
        "expenseMarkupPercent": {"type": "number", "value": policy.markupPercent},
        "expenseBillableCategories": {"type": "array", "value": categories} if categories else None,
        "expenseReceiptRequiredAbove": _money(policy.receiptRequiredAbove, currency),
        "expenseConversion": _text(policy.conversion),
        "expenseRounding": _text(policy.rounding),
    }


def _sla_properties(
    level: ServiceLevelTerms | None, currency: str
) -> dict[str, dict[str, Any] | None]:
    """The SLA terms as record properties (none when the SOW has no SLA)."""
    if level is None:
        return {}
    return {
        "slaCreditPerBreach": _money(level.creditPerBreach, currency),
        "slaMonthlyCap": _money(level.monthlyCap, currency),
        "slaVatTreatment": _text(level.vatTreatment),
    }
