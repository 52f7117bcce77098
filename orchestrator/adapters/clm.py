"""Ironclad adapter: launch the SOW workflow, read the executed contract record.

A change order is its own record in Ironclad, an amendment linked to the SOW record as its
child (``parentId`` and ``parentLinkType: amendment`` on the amendment, ``childIds`` on the
SOW record). The core sees one contract per SOW: this adapter folds each SOW record's
amendments into it (their rate card versions and milestones after its own), so a contract's
id is always the SOW record's and its versions are every signed version.

The SOW's scalar terms are Ironclad record properties keyed by name (``{type, value}``; an
unset one is absent; money is a ``monetary_amount`` ``{amount, currency}``); the tables no
Ironclad property type holds (rate card versions, milestones, SLA breaches) are the
sandbox's own record members (``contracts/clm.yaml``, ``x-sandbox-only``).
"""

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
        """The contract record a completed workflow concerns: Ironclad's ``workflow_completed``
        names the workflow only, a completed workflow names its record (``recordIds``), and an
        amendment record names the SOW record it amends (``parentId``): that one is the
        contract."""
        workflow = yield from call(
            self._rt, "clm", self._tenant, "GET", f"{API}/workflows/{workflow_id}"
        )
        records = workflow.get("recordIds") or []
        if not records:
            raise ValueError(f"workflow {workflow_id} is {workflow.get('status')}: no record yet")
        record = yield from self._record(str(records[0]))
        if _amends(record):
            return str(record["parentId"])
        return str(record["id"])

    def breach(self, record_id: str, breach_id: str) -> Flow[dict[str, Any] | None]:
        """A missed service level logged on the contract record, if it is there."""
        record = yield from call(self._rt, "clm", self._tenant, "GET", f"{API}/records/{record_id}")
        found: dict[str, Any] | None = next(
            (b for b in record.get("breaches", []) if b["id"] == breach_id), None
        )
        return found

    def contract(self, record_id: str) -> Flow[Contract]:
        """The SOW record with its amendments folded in."""
        record = yield from self._record(record_id)
        return contract_from_record((yield from self._folded(record, {})))

    def records(self) -> Flow[list[dict[str, Any]]]:
        """Every executed contract: each SOW record with its amendments folded in (one
        listing; the amendments are in it too)."""
        rows = yield from self._pages("records")
        by_id = {str(row["id"]): row for row in rows}
        folded = []
        for row in rows:
            if not _amends(row):
                folded.append((yield from self._folded(row, by_id)))
        return folded

    def records_updated_since(self, since: datetime) -> Flow[list[dict[str, Any]]]:
        """The contracts changed at or after ``since`` (Ironclad's ``lastUpdated`` filter), each
        a SOW record with its amendments folded in, in the order of their last change: an
        amendment signed since counts as a change of the contract it amends."""
        rows = yield from self._pages("records", {"lastUpdated": since.isoformat()})
        by_id = {str(row["id"]): row for row in rows}
        roots: dict[str, dict[str, Any]] = {}
        for row in rows:
            root_id = str(row["parentId"]) if _amends(row) else str(row["id"])
            if root_id not in roots:
                roots[root_id] = by_id.get(root_id) or (yield from self._record(root_id))
        folded = []
        for root in roots.values():
            folded.append((yield from self._folded(root, by_id)))
        return sorted(folded, key=lambda r: datetime.fromisoformat(r["lastUpdated"]))

    def _record(self, record_id: str) -> Flow[dict[str, Any]]:
        record: dict[str, Any] = yield from call(
            self._rt, "clm", self._tenant, "GET", f"{API}/records/{record_id}"
        )
        return record

    def _folded(
        self, record: dict[str, Any], known: dict[str, dict[str, Any]]
    ) -> Flow[dict[str, Any]]:
        """``record`` with the versions and milestones of its amendment children after its own
        and the latest ``lastUpdated`` of them all; children not in ``known`` are read."""
        versions, milestones = list(record["versions"]), list(record["milestones"])
        last = record["lastUpdated"]
        for child_id in record.get("childIds", []):
            child = known.get(str(child_id)) or (yield from self._record(str(child_id)))
            if not _amends(child):
                continue
            versions += child.get("versions", [])
            milestones += child.get("milestones", [])
            if datetime.fromisoformat(child["lastUpdated"]) > datetime.fromisoformat(last):
                last = child["lastUpdated"]
        versions.sort(key=lambda v: int(v["number"]))
        return {**record, "versions": versions, "milestones": milestones, "lastUpdated": last}

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


def _amends(record: dict[str, Any]) -> bool:
    """Is this an amendment record (a child linked to the record it amends)?"""
    return record.get("parentLinkType") == "amendment" and bool(record.get("parentId"))


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
    expense_policy = None
    if "expenseMarkupPercent" in props:  # the SOW bills expenses
        expense_policy = ExpensePolicy(
            markup_percent=Decimal(props["expenseMarkupPercent"]),
            billable_categories=tuple(props.get("expenseBillableCategories", ())),
            receipt_required_above=_amount(props["expenseReceiptRequiredAbove"], currency),
            conversion=props.get("expenseConversion", "convert_then_markup"),
            rounding=props.get("expenseRounding", "once"),
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
        if "slaCreditPerBreach" not in props  # the SOW has no SLA
        else ServiceLevel(
            credit_per_breach=_amount(props["slaCreditPerBreach"], currency),
            monthly_cap=_amount(props["slaMonthlyCap"], currency),
            vat_treatment=props.get("slaVatTreatment", "price_reduction"),
        ),
    )


def _amount(value: dict[str, Any], currency: str) -> Decimal:
    """A ``monetary_amount`` property's amount, which must be in the contract's currency: a
    term in another currency would be priced wrong, so it is refused rather than read."""
    if value["currency"] != currency:
        raise ValueError(f"a {value['currency']} term on a {currency} contract")
    return Decimal(value["amount"])
