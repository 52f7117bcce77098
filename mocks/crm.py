"""CRM mock mirroring Salesforce's sObject REST API (Account, Opportunity).

What matters for billing: an Opportunity whose ``StageName`` becomes "Closed Won" sets
``IsWon`` and fires an outbound message to subscribers, which is what starts contracting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mocks._auth import secure
from mocks._changes import ChangeLog
from mocks._crm_errors import as_salesforce, salesforce_error
from mocks._http import Call, IsoDate, Problem, Reply, VendorApp, not_null
from mocks._state import Clock, Tables, Webhook, WebhookSink, iso, plain

__all__ = ["CrmMock"]

API = "/services/data/v60.0"
PAGE_SIZE = 200
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
_PREFIX = {"Account": "001", "Opportunity": "006"}
# sObject Get Updated (REST API v29.0+), read 2026-12-07 at
# https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getupdated.htm:
# results for no more than 30 days before the call, at most 600,000 ids, SystemModstamp decides,
# start and end are UTC and their seconds are ignored.
REPLICATION_DAYS = 30
MAX_UPDATED_IDS = 600_000


def _keyword(word: str) -> str:
    """A SOQL keyword in any case, spelled so that a JSON Schema pattern can say it too."""
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_NAME = "[A-Za-z0-9_]+"
# The one supported form; contracts/crm.yaml states the same expression as the `q` pattern.
_SOQL = re.compile(
    rf"{_keyword('select')} +(?P<fields>{_NAME}(?: *, *{_NAME})*)"
    rf" +{_keyword('from')} +(?P<sobject>Account|Opportunity)"
    rf"(?: +{_keyword('where')} +(?P<field>{_NAME}) *= *'(?P<value>[^']*)')? *"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(_Strict):
    Name: str = Field(min_length=1, max_length=255)
    BillingStreet: str | None = None
    BillingCity: str | None = None
    BillingPostalCode: str | None = None
    BillingState: str | None = Field(default=None, max_length=80)
    BillingCountry: str | None = Field(default=None, min_length=2, max_length=80)
    Industry: str | None = None


class AccountPatch(_Strict):
    Name: str | None = Field(default=None, min_length=1, max_length=255)
    BillingStreet: str | None = None
    BillingCity: str | None = None
    BillingPostalCode: str | None = None
    BillingState: str | None = Field(default=None, max_length=80)
    BillingCountry: str | None = Field(default=None, min_length=2, max_length=80)
    Industry: str | None = None

    check = field_validator("Name")(not_null)


Stage = Literal[
    "Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
]  # fmt: skip


class OpportunityIn(_Strict):
    Name: str = Field(min_length=1, max_length=120)
    AccountId: str
    StageName: Stage
    CloseDate: IsoDate
    Amount: Decimal | None = Field(default=None, ge=0)
    CurrencyIsoCode: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    Description: str | None = None


class OpportunityPatch(_Strict):
    Name: str | None = Field(default=None, min_length=1, max_length=120)
    StageName: Stage | None = None
    CloseDate: IsoDate | None = None
    Amount: Decimal | None = Field(default=None, ge=0)
    Description: str | None = None

    check = field_validator("Name", "StageName", "CloseDate")(not_null)


_MODELS: dict[str, tuple[type[_Strict], type[_Strict]]] = {
    "Account": (AccountIn, AccountPatch),
    "Opportunity": (OpportunityIn, OpportunityPatch),
}


class CrmMock:
    """A Salesforce org per tenant, with outbound messages on closed-won."""

    vendor = "crm"

    def __init__(
        self, clock: Clock, sink: WebhookSink | None = None, *, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.sink = sink
        # the fields a WHERE clause finds from an index (the core asks for IsWon daily)
        self.tables = Tables({"Account": ("Name",), "Opportunity": ("AccountId", "IsWon")})
        self.changes = ChangeLog()  # SystemModstamp order, for sObject Get Updated
        self.app = VendorApp("crm")
        self.app.refine = as_salesforce  # every error in Salesforce's words
        app = self.app
        for sobject in _MODELS:  # one path per sObject type, as Salesforce describes them
            base = f"{API}/sobjects/{sobject}"
            app.route("GET", base + "/updated/", scope="crm:records.read")(  # before /{id}
                partial(self._updated, sobject=sobject)
            )
            app.route("POST", base, scope="crm:records.write")(
                partial(self._create, sobject=sobject)
            )
            app.route("GET", base + "/{id}", scope="crm:records.read")(
                partial(self._read, sobject=sobject)
            )
            app.route("PATCH", base + "/{id}", scope="crm:records.write")(
                partial(self._update, sobject=sobject)
            )
        app.route("GET", API + "/query", scope="crm:records.read")(self._query)
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- direct use by the simulated sales team (their UI) ---------------------------------

    def create(self, tenant: str, sobject: str, fields: dict[str, Any]) -> str:
        return self._insert(tenant, sobject, _MODELS[sobject][0].model_validate(fields))["Id"]

    def update(self, tenant: str, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        patch = _MODELS[sobject][1].model_validate(fields)
        self._apply(tenant, sobject, self._record(tenant, sobject, record_id), patch)

    def record(self, tenant: str, sobject: str, record_id: str) -> dict[str, Any]:
        return self._record(tenant, sobject, record_id)

    # -- HTTP --------------------------------------------------------------------------------

    def _create(self, call: Call, sobject: str) -> Reply:
        record = self._insert(call.tenant, sobject, call.parse(_MODELS[sobject][0]))
        return Reply(201, {"id": record["Id"], "success": True, "errors": []})

    def _read(self, call: Call, sobject: str) -> Reply:
        return Reply(200, self._record(call.tenant, sobject, call.params["id"]))

    def _update(self, call: Call, sobject: str) -> Reply:
        record = self._record(call.tenant, sobject, call.params["id"])
        self._apply(call.tenant, sobject, record, call.parse(_MODELS[sobject][1]))
        return Reply(204)

    def _updated(self, call: Call, sobject: str) -> Reply:
        """sObject Get Updated: ids of the records added or changed between ``start`` and
        ``end`` (seconds ignored), and ``latestDateCovered``."""
        now = self.clock()
        start = _replication_moment(call, "start")
        end = min(_replication_moment(call, "end"), now.replace(second=0, microsecond=0))
        if start < now - timedelta(days=REPLICATION_DAYS):
            raise Problem(
                400,
                "Bad Request",
                f"INVALID_REPLICATION_DATE: start must be within the last {REPLICATION_DAYS} days",
                errors=[{"field": "start", "message": "INVALID_REPLICATION_DATE"}],
            )
        if end <= start:
            raise Problem(
                400,
                "Bad Request",
                "INVALID_REPLICATION_DATE: end must be after start",
                errors=[{"field": "end", "message": "INVALID_REPLICATION_DATE"}],
            )
        ids = self.changes.changed(call.tenant, sobject, start, end, inclusive_start=True)
        if len(ids) > MAX_UPDATED_IDS:
            raise Problem(
                400,
                "Bad Request",
                "EXCEEDED_ID_LIMIT: choose start and end dates closer together",
                errors=[{"field": "start", "message": "EXCEEDED_ID_LIMIT"}],
            )
        covered = end.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return Reply(200, {"ids": ids, "latestDateCovered": covered})

    def _query(self, call: Call) -> Reply:
        soql = call.query.get("q", "")
        match = _SOQL.fullmatch(soql)
        if match is None:
            raise Problem(
                400,
                "Bad Request",
                "MALFORMED_QUERY: supported form is "
                "SELECT f1, f2 FROM Account|Opportunity [WHERE Field = 'value']",
                errors=[{"field": "q", "message": "MALFORMED_QUERY"}],
            )
        fields = [f.strip() for f in match["fields"].split(",")]
        sobject, number = match["sobject"], call.int_query("page", 1, low=1)
        start, tenant = (number - 1) * PAGE_SIZE, call.tenant
        where = (match["field"], match["value"]) if match["field"] else None
        if where is None or self.tables.table(tenant, sobject).indexed(where[0]):
            total = self.tables.count(tenant, sobject, where)
            chunk = self.tables.window(tenant, sobject, start, PAGE_SIZE, where)
        else:  # a field without an index: a scan, as any unindexed SOQL filter is
            rows = [r for r in self.tables.all(tenant, sobject) if str(r.get(where[0])) == where[1]]
            total, chunk = len(rows), rows[start : start + PAGE_SIZE]
        count = max(1, -(-total // PAGE_SIZE))
        body: dict[str, Any] = {
            "totalSize": total,
            "done": number >= count,
            "records": [
                {"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in chunk
            ],
        }
        if number < count:
            body["nextRecordsUrl"] = f"{API}/query?{urlencode({'q': soql, 'page': number + 1})}"
        return Reply(200, body)

    # -- state -------------------------------------------------------------------------------

    def _record(self, tenant: str, sobject: str, record_id: str) -> dict[str, Any]:
        return self.tables.get(tenant, sobject, record_id, label=sobject)

    def _insert(self, tenant: str, sobject: str, data: _Strict) -> dict[str, Any]:
        if isinstance(data, OpportunityIn) and not self.tables.table(tenant, "Account").get(
            data.AccountId
        ):  # a lookup to a record that does not exist: Salesforce's 400, not a 404
            raise salesforce_error(
                400,
                "INVALID_CROSS_REFERENCE_KEY",
                f"invalid cross reference id: Account {data.AccountId!r}",
                "AccountId",
            )
        n = self.tables.next_number(tenant, sobject)
        record_id = f"{_PREFIX[sobject]}{n:015d}"
        now = iso(self.clock())
        record: dict[str, Any] = {
            "attributes": {"type": sobject, "url": f"{API}/sobjects/{sobject}/{record_id}"},
            "Id": record_id,
            **plain(data),
            "CreatedDate": now,
            "LastModifiedDate": now,
        }
        if sobject == "Opportunity":
            record.update(IsWon=False, IsClosed=False)
        self.tables.insert(tenant, sobject, record, key="Id")
        self.changes.note(tenant, sobject, record_id, self.clock())
        if sobject == "Opportunity":
            self._stage_changed(tenant, record)
            self.tables.table(tenant, sobject).reindex(record_id)
        return record

    def _apply(self, tenant: str, sobject: str, record: dict[str, Any], patch: _Strict) -> None:
        record.update(plain(patch, exclude_unset=True))
        record["LastModifiedDate"] = iso(self.clock())
        self.changes.note(tenant, sobject, record["Id"], self.clock())
        if sobject == "Opportunity":
            self._stage_changed(tenant, record)
        self.tables.table(tenant, sobject).reindex(record["Id"])

    def _stage_changed(self, tenant: str, record: dict[str, Any]) -> None:
        was_won = record["IsWon"]
        record["IsWon"] = record["StageName"] == "Closed Won"
        record["IsClosed"] = record["StageName"] in ("Closed Won", "Closed Lost")
        if record["IsWon"] and not was_won and self.sink is not None:
            n = self.tables.next_number(tenant, "notification")
            self.sink(
                Webhook(
                    "crm",
                    tenant,
                    "opportunity.closed_won",
                    {
                        "OrganizationId": f"00D{tenant[:12]:0>12}",
                        "Notification": [{"Id": f"04l{n:015d}", "sObject": dict(record)}],
                    },
                )
            )


def _replication_moment(call: Call, name: str) -> datetime:
    """``start`` or ``end`` of a Get Updated call: a date-time (UTC when no zone), to the minute."""
    raw = call.query.get(name)
    if raw is None:
        raise Problem(
            400,
            "Bad Request",
            f"MISSING_ARGUMENT: {name} is required",
            errors=[{"field": name, "message": "MISSING_ARGUMENT"}],
        )
    try:  # a moment at the calendar's edge may have no UTC form (0001-01-01T00:00+01:00)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise Problem(
            400,
            "Bad Request",
            f"INVALID_REPLICATION_DATE: {name} must be an ISO 8601 date-time, got {raw!r}",
            errors=[{"field": name, "message": "INVALID_REPLICATION_DATE"}],
        ) from None
    return moment.replace(second=0, microsecond=0)
