"""Salesforce adapter: read the closed-won opportunity and its account."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from orchestrator._wire import call
from orchestrator.runtime import Flow, Runtime

API = "/services/data/v60.0"


class Deal(BaseModel):
    """A won opportunity: what was sold, to whom."""

    model_config = ConfigDict(frozen=True)

    opportunity_id: str
    account_name: str
    country: str | None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    amount: Decimal | None
    currency: str | None
    is_won: bool


class CrmAdapter:
    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self._rt = runtime
        self._tenant = tenant

    def _get(self, path: str) -> Flow[Any]:
        return (yield from call(self._rt, "crm", self._tenant, "GET", API + path))

    def deal(self, opportunity_id: str) -> Flow[Deal]:
        opportunity = yield from self._get(f"/sobjects/Opportunity/{opportunity_id}")
        account = yield from self._get(f"/sobjects/Account/{opportunity['AccountId']}")
        return Deal(
            opportunity_id=opportunity["Id"],
            account_name=account["Name"],
            country=account.get("BillingCountry"),
            street=account.get("BillingStreet"),
            city=account.get("BillingCity"),
            postal_code=account.get("BillingPostalCode"),
            region=account.get("BillingState"),
            amount=opportunity.get("Amount"),
            currency=opportunity.get("CurrencyIsoCode"),
            is_won=bool(opportunity["IsWon"]),
        )

    def updated_opportunities(self, start: datetime, end: datetime) -> Flow[list[str]]:
        """Ids of the opportunities added or changed from ``start`` to ``end`` (Salesforce's
        sObject Get Updated: the replication call, minutes only, at most 30 days back)."""
        body = yield from call(
            self._rt, "crm", self._tenant, "GET", API + "/sobjects/Opportunity/updated/",
            params={"start": start.isoformat(), "end": end.isoformat()},
        )  # fmt: skip
        return [str(i) for i in body["ids"]]

    def won_deals(self) -> Flow[list[str]]:
        """Ids of every closed-won opportunity (SOQL, following ``nextRecordsUrl``)."""
        ids: list[str] = []
        page = 1
        while True:
            body = yield from call(
                self._rt, "crm", self._tenant, "GET", API + "/query",
                params={"q": "SELECT Id FROM Opportunity WHERE IsWon = 'True'",
                        "page": str(page)},
            )  # fmt: skip
            ids += [str(r["Id"]) for r in body["records"]]
            if body.get("done", True):
                return ids
            page += 1
