"""The reference design: event-driven, API-led, one invoice per contract per billing period.

Webhooks are acknowledged at once and handled in spawned flows, so a slow vendor never makes
another vendor's webhook time out. Every invoice-impacting write carries an idempotency key.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from orchestrator._amend import ChangeOrders
from orchestrator._cash import Cash
from orchestrator._collect import Collection
from orchestrator._holds import Holds
from orchestrator._ledger import BillingLedger, Item
from orchestrator._wire import VendorError, decode, encode
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter, Deal
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.adapters.tax import TaxAdapter
from orchestrator.model import (
    Contract,
    Customer,
    Invoice,
    LegalEntity,
    Project,
)
from orchestrator.money import Money
from orchestrator.runtime import Flow, Runtime

__all__ = ["ReferenceCore", "build"]


@dataclass
class _Engagement:
    contract: Contract
    project: Project
    entity: LegalEntity
    customer: Customer
    versions_in_psa: dict[int, None] = field(default_factory=dict)
    milestones_in_psa: dict[str, None] = field(default_factory=dict)
    budget_in_psa: Money | None = None


@dataclass
class _State:
    seen_events: dict[str, None] = field(default_factory=dict)
    launched: dict[str, str] = field(default_factory=dict)
    deals: dict[str, Deal] = field(default_factory=dict)
    engagements: dict[str, _Engagement] = field(default_factory=dict)
    by_workspace: dict[str, _Engagement] = field(default_factory=dict)
    setting_up: dict[str, None] = field(default_factory=dict)
    ledger: BillingLedger = field(default_factory=BillingLedger)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    credits_granted: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    stripe_customers: dict[str, str] = field(default_factory=dict)
    invoices: dict[str, tuple[_Engagement, str]] = field(default_factory=dict)
    intents: dict[str, str] = field(default_factory=dict)
    cash_applied: dict[str, int] = field(default_factory=dict)
    subcontractor_approved: dict[tuple[str, str], None] = field(default_factory=dict)


def _period_end(period: str) -> date:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


class ReferenceCore(Collection, ChangeOrders, Holds, Cash):
    """Process flows plus the experience endpoints that trigger them."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str] | None = None):
        self._rt = runtime
        self._crm = CrmAdapter(runtime, tenant)
        self._clm = ClmAdapter(runtime, tenant)
        self._psa = PsaAdapter(runtime, tenant)
        self._erp = ErpAdapter(runtime, tenant)
        self._tax = TaxAdapter(runtime, tenant)
        self._payments = PaymentsAdapter(runtime, tenant)
        self.options = dict(options or {})
        self.state = _State()

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Webhook receivers, billing-run trigger and status, over HTTP-shaped requests."""
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path.startswith("/webhooks/"):
                return self._webhook(path.removeprefix("/webhooks/"), decode(request.content))
            if method == "POST" and path == "/billing-runs":
                body = decode(request.content)
                period, when = str(body["period"]), date.fromisoformat(body["invoiceDate"])
                _period_end(period)
                self._rt.spawn(self.billing_run(period, when), f"billing-run {period}")
                return _json(202, {"accepted": True, "period": period})
            if method == "GET" and path == "/status":
                return _json(200, self.status())
            if method == "GET" and path == "/exceptions":
                return _json(200, {"exceptions": list(self.state.exceptions)})
        except (KeyError, TypeError, ValueError) as exc:
            return _json(
                400, {"title": "Bad Request", "status": 400, "detail": str(exc)}, problem=True
            )
        return _json(404, {"title": "Not Found", "status": 404, "detail": path}, problem=True)

    def _guard(self, flow: Flow[None], name: str, event_id: str) -> Flow[None]:
        """A flow that fails ends in the exception queue, never silently, and its event may
        be delivered again and handled then (at-least-once, not at-most-once)."""
        try:
            yield from flow
        except Exception as exc:
            self.state.seen_events.pop(event_id, None)
            self._raise("flow_failed", name, f"{type(exc).__name__}: {exc}")

    def status(self) -> dict[str, Any]:
        return {
            "engagements": len(self.state.engagements),
            "pending_items": len(self.state.ledger.pending),
            "billed_items": len(self.state.ledger.billed),
            "exceptions": list(self.state.exceptions),
        }

    def _webhook(self, vendor: str, body: Any) -> httpx.Response:
        events: list[tuple[str, Flow[None], str]] = []
        if vendor == "crm":
            for note in body["Notification"]:
                opp = note["sObject"]["Id"]
                events.append((f"crm:{note['Id']}", self.quote_to_contract(opp), f"deal {opp}"))
        elif vendor == "clm":
            payload = body["payload"]
            if payload["event"] == "workflow_completed":
                record = payload["recordId"]
                events.append(
                    (
                        f"clm:{payload['workflowId']}:completed",
                        self.on_contract_record(record),
                        f"contract {record}",
                    )
                )
            elif payload["event"] == "obligation_breached":
                record, breach = payload["recordId"], payload["breachId"]
                events.append(
                    (f"clm:breach:{breach}", self.collect_breach(record, breach), f"sla {breach}")
                )
        elif vendor == "psa":
            subject = str(body["subject_id"])
            if body["event_type"] == "timesheet_submission.approved":
                events.append(
                    (f"psa:{body['id']}", self.collect_time(subject), f"timesheet {subject}")
                )
            elif body["event_type"] == "billing_milestone.accepted":
                events.append(
                    (f"psa:{body['id']}", self.collect_milestone(subject), f"milestone {subject}")
                )
            elif body["event_type"] == "expense_report.approved":
                events.append(
                    (f"psa:{body['id']}", self.collect_expenses(subject), f"expenses {subject}")
                )
        elif vendor == "payments":
            events.append((f"payments:{body['id']}", self.on_payment_event(body), body["type"]))
        else:
            return _json(
                404,
                {"title": "Not Found", "status": 404, "detail": f"no receiver for {vendor}"},
                problem=True,
            )
        for event_id, flow, name in events:
            if event_id in self.state.seen_events:
                flow.close()
                continue
            self.state.seen_events[event_id] = None
            self._rt.spawn(self._guard(flow, name, event_id), name)
        return _json(202, {"accepted": len(events)})

    # -- process flows -----------------------------------------------------------------------

    def quote_to_contract(self, opportunity_id: str) -> Flow[None]:
        """A closed-won deal starts a SOW workflow in the CLM, once."""
        if opportunity_id in self.state.launched:
            return
        self.state.launched[opportunity_id] = ""  # claimed: a duplicate event waits out
        try:
            deal = yield from self._crm.deal(opportunity_id)
            self.state.deals[opportunity_id] = deal
            if not deal.is_won:
                del self.state.launched[opportunity_id]
                return
            workflow_id = yield from self._clm.launch_sow(deal)
        except Exception:
            del self.state.launched[opportunity_id]  # a redelivered event tries again
            raise
        self.state.launched[opportunity_id] = workflow_id
        self._rt.record("core.contract_requested", opportunity=opportunity_id, workflow=workflow_id)

    def contract_to_project(self, record_id: str) -> Flow[None]:
        """An executed SOW becomes an ERP customer and an active PSA project with its rates."""
        contract = yield from self._clm.contract(record_id)
        entities = yield from self._erp.legal_entities()
        entity = entities.get(contract.legal_entity_id)
        if entity is None:
            self._raise(
                "no_legal_entity",
                contract.reference,
                f"no ERP company for legal entity {contract.legal_entity_id}",
            )
            return
        if entity.currency != contract.currency:
            self._raise(
                "currency_mismatch",
                contract.reference,
                f"{entity.id} invoices in {entity.currency}, the contract says {contract.currency}",
            )
            return
        deal = self.state.deals.get(contract.opportunity_id)
        if deal is None:
            deal = yield from self._crm.deal(contract.opportunity_id)
        customer = yield from self._erp.ensure_customer(entity, contract, deal)
        start = min(v.rate_card.effective_from for v in contract.versions)
        workspace_id = yield from self._psa.create_workspace(contract, start)
        project = Project(
            id=workspace_id,
            contract_id=contract.id,
            customer_id=customer.id,
            legal_entity_id=entity.id,
        )
        engagement = _Engagement(contract, project, entity, customer)
        yield from self._sync_terms(engagement)
        yield from self._psa.activate(workspace_id)
        self.state.engagements[contract.id] = engagement
        self.state.by_workspace[workspace_id] = engagement
        self._rt.record("core.project_active", contract=contract.reference, workspace=workspace_id)

    def billing_run(self, period: str, invoice_date: date) -> Flow[None]:
        """One invoice per contract for everything approved and due by the period's end."""
        for items in self.state.ledger.due(_period_end(period)).values():
            items = self._approved_subcontracting(items)
            if not items:
                continue
            engagement: _Engagement = items[0].engagement
            subject = f"invoice:{engagement.contract.reference}:{period}"
            try:  # one contract's failure must not stop the others' invoices
                if engagement.contract.purchase_order_required:
                    purchase_order = yield from self._purchase_order(engagement, items)
                    if purchase_order is None:
                        continue
                yield from self._invoice(items, period, invoice_date)
            except Exception as exc:  # the items stay pending: the next run retries them
                self._raise("billing_failed", subject, f"{type(exc).__name__}: {exc}")

    def _invoice(self, items: list[Item], period: str, invoice_date: date) -> Flow[None]:
        engagement: _Engagement = items[0].engagement
        priced = [(item, item.line()) for item in items]
        invoice = Invoice(
            contract_id=engagement.contract.reference,
            customer_id=engagement.customer.id,
            legal_entity_id=engagement.contract.legal_entity_id,
            period=period,
            invoice_date=invoice_date,
            currency=engagement.contract.currency,
            lines=tuple(line for _, line in priced),
            purchase_order=engagement.contract.purchase_order,
            due_date=invoice_date + timedelta(days=engagement.contract.payment_terms_days),
        )
        subject = f"invoice:{invoice.contract_id}:{period}"
        document = f"{invoice.contract_id}-{invoice.idempotency_key[-16:]}"[-50:]
        try:
            taxed = yield from self._tax.assess(
                invoice, engagement.entity, engagement.customer, document
            )
        except VendorError as exc:  # never post untaxed: hold the invoice, retry next run
            reason = "tax_unavailable" if exc.status >= 500 else "tax_rejected"
            self._raise(reason, subject, str(exc))
            return
        for reason in ("tax_unavailable", "tax_rejected", "billing_failed"):
            self._resolve(reason, subject)
        invoice = invoice.model_copy(update={"lines": taxed})
        priced = [(item, line) for (item, _), line in zip(priced, taxed, strict=True)]
        company = engagement.entity.erp_company_id
        created = yield from self._erp.create_invoice(company, invoice)
        yield from self._erp.post_invoice(company, created["id"])
        for item, line in priced:  # posted: billed, whatever happens to the follow-ups below
            self.state.ledger.mark_billed(item, line, created["number"])
        yield from self._follow_up(engagement, items, created, document, invoice_date)
        self._rt.record(
            "core.invoice_posted",
            contract=invoice.contract_id,
            period=period,
            number=created["number"],
            lines=len(items),
        )

    def _follow_up(
        self,
        engagement: _Engagement,
        items: list[Item],
        created: dict[str, Any],
        document: str,
        invoice_date: date,
    ) -> Flow[None]:
        """After posting: commit the tax, mark the PSA items invoiced, ask for payment. Each
        may fail on its own; the invoice stands, and the failure waits in the queue."""
        number = created["number"]
        steps: list[tuple[str, Flow[None]]] = [
            ("tax_commit_failed", self._tax.commit(engagement.entity, document)),
            ("psa_not_marked", self._psa.record_invoice(
                engagement.project.id, invoice_date, number,
                [i.psa_id for i in items if i.kind == "time_entry"],
                [i.psa_id for i in items if i.kind == "billing_milestone"],
                [i.psa_id for i in items if i.kind == "expense"],
            ) if any(i.kind in ("time_entry", "billing_milestone", "expense") for i in items)
             else _nothing()),
            ("payment_request_failed", self.request_payment(engagement, created)),
        ]  # fmt: skip
        for reason, step in steps:
            try:
                yield from step
            except VendorError as exc:
                self._raise(reason, f"invoice:{number}", str(exc))


def _nothing() -> Flow[None]:
    return
    yield


def _json(status: int, body: Any, problem: bool = False) -> httpx.Response:
    kind = "application/problem+json" if problem else "application/json"
    return httpx.Response(status, content=encode(body), headers={"content-type": kind})


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> ReferenceCore:
    """The design entry point the simulator looks up by name (``--design reference``)."""
    return ReferenceCore(runtime, tenant, options)
