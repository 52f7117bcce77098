"""Ironclad adapter: launch the SOW workflow, read the executed contract record."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orchestrator._wire import call
from orchestrator.adapters.crm import Deal
from orchestrator.model import (
    Contract,
    ContractVersion,
    ExpensePolicy,
    Milestone,
    RateCardVersion,
    ServiceLevel,
)
from orchestrator.money import Money, RoundingRule
from orchestrator.runtime import Flow, Runtime

API = "/public/api/v1"


class ClmAdapter:
    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self._rt = runtime
        self._tenant = tenant

    def launch_sow(self, deal: Deal) -> Flow[str]:
        """Start contracting for a won deal; returns the workflow id."""
        attributes: dict[str, Any] = {
            "counterpartyName": deal.account_name,
            "opportunityId": deal.opportunity_id,
        }
        if deal.amount is not None:
            attributes["agreementValue"] = deal.amount
        if deal.currency is not None:
            attributes["currency"] = deal.currency
        for existing in (yield from self._pages("workflows")):  # an earlier try made it?
            if existing.get("attributes", {}).get("opportunityId") == deal.opportunity_id:
                return str(existing["id"])
        workflow = yield from call(
            self._rt,
            "clm",
            self._tenant,
            "POST",
            API + "/workflows",
            body={"template": "statementOfWork", "attributes": attributes},
        )
        return str(workflow["id"])

    def workflow_record(self, workflow_id: str) -> Flow[str]:
        """The record a completed workflow became: Ironclad's ``workflow_completed`` names the
        workflow only, and the workflow names its record once completed."""
        workflow = yield from call(
            self._rt, "clm", self._tenant, "GET", f"{API}/workflows/{workflow_id}"
        )
        record_id = workflow.get("recordId")
        if not record_id:
            raise ValueError(f"workflow {workflow_id} is {workflow.get('status')}: no record yet")
        return str(record_id)

    def breach(self, record_id: str, breach_id: str) -> Flow[dict[str, Any] | None]:
        """A missed service level logged on the contract record, if it is there."""
        record = yield from call(self._rt, "clm", self._tenant, "GET", f"{API}/records/{record_id}")
        found: dict[str, Any] | None = next(
            (b for b in record.get("breaches", []) if b["id"] == breach_id), None
        )
        return found

    def contract(self, record_id: str) -> Flow[Contract]:
        record = yield from call(self._rt, "clm", self._tenant, "GET", f"{API}/records/{record_id}")
        return contract_from_record(record)

    def records(self) -> Flow[list[dict[str, Any]]]:
        """Every executed contract record."""
        return (yield from self._pages("records"))

    def records_updated_since(self, since: datetime) -> Flow[list[dict[str, Any]]]:
        """The records updated at or after ``since`` (Ironclad's ``lastUpdated`` filter),
        in the order of their last change."""
        return (yield from self._pages("records", {"lastUpdated": since.isoformat()}))

    def _pages(
        self, kind: str, filters: dict[str, str] | None = None
    ) -> Flow[list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        number = 0
        while True:
            body = yield from call(
                self._rt, "clm", self._tenant, "GET", f"{API}/{kind}",
                params={**(filters or {}), "page": str(number), "pageSize": "100"},
            )  # fmt: skip
            rows += body["list"]
            if not body["list"] or len(rows) >= body["count"]:
                return rows
            number += 1


def contract_from_record(record: dict[str, Any]) -> Contract:
    props = {name: prop["value"] for name, prop in record["properties"].items()}
    currency = props["contractCurrency"]
    rule = RoundingRule(props["roundingRule"])
    versions = []
    for v in record["versions"]:
        rates: dict[str, dict[str, Decimal]] = {}
        for line in v["rateCard"]:
            rates.setdefault(line["role"], {})[line["country"]] = Decimal(line["hourlyRate"])
        card = RateCardVersion(
            version=v["number"],
            effective_from=date.fromisoformat(v["effectiveDate"]),
            currency=currency,
            rates=rates,
        )
        versions.append(
            ContractVersion(
                id=f"{record['id']}/v{v['number']}",
                number=v["number"],
                executed_at=datetime.fromisoformat(v["executedAt"]),
                rate_card=card,
                budget=None
                if v.get("budget") is None
                else Money.of(Decimal(v["budget"]), currency, rule),
            )
        )
    milestones = tuple(
        Milestone(
            id=m["id"],
            title=m["title"],
            amount=Money.of(Decimal(m["amount"]), currency, rule),
            due=date.fromisoformat(m["dueDate"]),
        )
        for m in record["milestones"]
    )
    policy = record.get("expensePolicy")
    expense_policy = None
    if policy is not None:
        expense_policy = ExpensePolicy(
            markup_percent=Decimal(policy["markupPercent"]),
            billable_categories=tuple(policy["billableCategories"]),
            receipt_required_above=Decimal(policy["receiptRequiredAbove"]),
            conversion=policy.get("conversion", "convert_then_markup"),
            rounding=policy.get("rounding", "once"),
        )
    return Contract(
        id=record["id"],
        reference=props["sowReference"],
        customer_name=props["counterpartyName"],
        customer_country=props["counterpartyCountry"],
        customer_tax_id=props.get("counterpartyTaxId"),
        legal_entity_id=props["legalEntity"],
        currency=currency,
        rounding=rule,
        opportunity_id=props["opportunityId"],
        versions=tuple(versions),
        milestones=milestones,
        expense_policy=expense_policy,
        purchase_order_required=bool(props.get("purchaseOrderRequired", False)),
        purchase_order=props.get("purchaseOrderNumber"),
        payment_terms_days=int(props.get("paymentTermsDays", 30)),
        retro_settlement=props.get("retroSettlement", "adjustment_lines"),
        service_level=None
        if record.get("serviceLevel") is None
        else ServiceLevel(
            credit_per_breach=Decimal(record["serviceLevel"]["creditPerBreach"]),
            monthly_cap=Decimal(record["serviceLevel"]["monthlyCap"]),
            vat_treatment=record["serviceLevel"].get("vatTreatment", "price_reduction"),
        ),
    )
