"""The reference design: event-driven, API-led, one invoice per contract per billing period.

Webhooks are acknowledged at once and handled in spawned flows, so a slow vendor never makes
another vendor's webhook time out. Every invoice-impacting write carries an idempotency key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from orchestrator._amend import ChangeOrders
from orchestrator._billing import Billing, period_end
from orchestrator._cash import Cash
from orchestrator._collect import Collection
from orchestrator._holds import Holds
from orchestrator._inbox import Envelope
from orchestrator._reconcile import Reconciliation
from orchestrator._resilience import ResilientRuntime
from orchestrator._state import CoreState, Engagement
from orchestrator._store import Store
from orchestrator._tokens import TokenRuntime
from orchestrator._wire import decode, encode
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.adapters.tax import TaxAdapter
from orchestrator.model import Project
from orchestrator.runtime import Flow, Runtime

__all__ = ["OPTIONS", "ReferenceCore", "build"]


class ReferenceCore(Collection, ChangeOrders, Holds, Cash, Billing, Reconciliation):
    """Process flows plus the experience endpoints that trigger them."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str] | None = None):
        self.options = dict(options or {})
        self.store = Store(self.options.get("store") or None)
        self.state = CoreState(self.store)
        authorized: Runtime = runtime
        if self.options.get("client_id") and self.options.get("client_secret"):
            authorized = TokenRuntime(
                runtime, self.options["client_id"], self.options["client_secret"]
            )
        self.resilience = ResilientRuntime(
            authorized,
            retries=_flag(self.options, "retries"),
            idempotency=_flag(self.options, "idempotency"),
            before_wait=self.store.flush,
        )
        self.reconciling = _flag(self.options, "reconciliation")
        self._rt = self.resilience
        self._crm = CrmAdapter(self._rt, tenant)
        self._clm = ClmAdapter(self._rt, tenant)
        self._psa = PsaAdapter(self._rt, tenant)
        self._erp = ErpAdapter(
            self._rt, tenant, look_before_write=_flag(self.options, "idempotency")
        )
        self._tax = TaxAdapter(self._rt, tenant)
        self._payments = PaymentsAdapter(self._rt, tenant)
        if self.state.inbox.unfinished() or len(self.state.outbox):
            self._rt.spawn(self._resume(), "resume")

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Webhook receivers, billing-run and reconciliation triggers, status; every accepted
        event is durable before it is acknowledged."""
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path.startswith("/webhooks/"):
                return self._webhook(path.removeprefix("/webhooks/"), decode(request.content))
            if method == "POST" and path == "/billing-runs":
                body = decode(request.content)
                period, when = str(body["period"]), date.fromisoformat(body["invoiceDate"])
                period_end(period)
                entities = body.get("legalEntities")  # absent: every entity's contracts
                if entities is None:
                    self._accept(f"billing-run:{period}:{when}", "billing_run", (period, when))
                else:
                    entities = tuple(sorted(str(e) for e in entities))
                    self._accept(f"billing-run:{period}:{when}:{','.join(entities)}",
                                 "billing_run", (period, when, entities))  # fmt: skip
                return _json(202, {"accepted": True, "period": period})
            if method == "POST" and path == "/reconciliations":
                self._rt.spawn(self.reconcile(), "reconciliation")
                return _json(202, {"accepted": True})
            if method == "GET" and path == "/status":
                return _json(200, self.status())
            if method == "GET" and path == "/exceptions":
                return _json(200, {"exceptions": list(self.state.exceptions)})
        except (KeyError, TypeError, ValueError) as exc:
            return _json(
                400, {"title": "Bad Request", "status": 400, "detail": str(exc)}, problem=True
            )
        finally:
            self.store.flush()
        return _json(404, {"title": "Not Found", "status": 404, "detail": path}, problem=True)

    def status(self) -> dict[str, Any]:
        rt = self.resilience
        return {
            "engagements": len(self.state.engagements),
            "pending_items": len(self.state.ledger.pending),
            "billed_items": len(self.state.ledger.billed),
            "exceptions": list(self.state.exceptions),
            "resilience": {
                "dead_letters": len(self.state.inbox.dead_letters()),
                "outbox": len(self.state.outbox),
                "replays": self.state.inbox.replays,
                "reconciliation_fixes": self.reconciliation_fixes,
                "retries": dict(sorted(rt.retries.items())),
                "circuit_opens": dict(sorted(rt.circuit_opens.items())),
                "throttled": dict(sorted(rt.throttled.items())),
            },
        }

    def _webhook(self, vendor: str, body: Any) -> httpx.Response:
        events: list[tuple[str, str, tuple[Any, ...]]] = []
        if vendor == "crm":
            for note in body["Notification"]:
                events.append((f"crm:{note['Id']}", "deal", (note["sObject"]["Id"],)))
        elif vendor == "clm":
            payload = body["payload"]
            if payload["event"] == "workflow_completed":
                events.append((f"clm:{payload['workflowId']}:completed", "contract_record",
                               (payload["recordId"],)))  # fmt: skip
            elif payload["event"] == "obligation_breached":
                record, breach = payload["recordId"], payload["breachId"]
                events.append((f"clm:breach:{breach}", "breach", (record, breach)))
        elif vendor == "psa":
            subject = str(body["subject_id"])
            work = _PSA_EVENTS.get(body["event_type"])
            if work is not None:
                events.append((f"psa:{body['id']}", work, (subject,)))
        elif vendor == "payments":
            events.append((f"payments:{body['id']}", "payment_event", (body,)))
        else:
            return _json(
                404,
                {"title": "Not Found", "status": 404, "detail": f"no receiver for {vendor}"},
                problem=True,
            )
        for event_id, work, args in events:
            self._accept(event_id, work, args)
        return _json(202, {"accepted": len(events)})

    def _accept(self, event_id: str, work: str, args: tuple[Any, ...]) -> None:
        envelope = self.state.inbox.accept(event_id, work, args)
        if envelope is not None:  # else: a duplicate of work we have or had
            self._rt.spawn(self._drive(envelope), f"{work} {event_id}")

    def _flow_for(self, envelope: Envelope) -> Flow[None]:
        work, args = envelope.work, envelope.args
        flows: dict[str, Any] = {
            "deal": self.quote_to_contract,
            "contract_record": self.on_contract_record,
            "breach": self.collect_breach,
            "timesheet": self.collect_time,
            "milestone": self.collect_milestone,
            "expenses": self.collect_expenses,
            "payment_event": self.on_payment_event,
            "billing_run": self.billing_run,
        }
        flow: Flow[None] = flows[work](*args)
        return flow

    def _drive(self, envelope: Envelope) -> Flow[None]:
        """Run the envelope's work. A failure ends in the exception queue and the dead-letter
        queue, never silently; the vendor's redelivery or a replay takes it up again."""
        try:
            yield from self._flow_for(envelope)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            self.state.inbox.dead(envelope, detail)
            self._raise("flow_failed", f"{envelope.work} {envelope.id}", detail)
            self._rt.record("core.dead_letter", event=envelope.id, work=envelope.work)
        else:
            self.state.inbox.done(envelope)
            self._resolve("flow_failed", f"{envelope.work} {envelope.id}")

    def _resume(self) -> Flow[None]:
        """A restarted core finishes what its predecessor accepted or decided."""
        self._rt.record("core.resumed", unfinished=len(self.state.inbox.unfinished()),
                        outbox=len(self.state.outbox))  # fmt: skip
        yield from self.finish_outbox()
        for envelope in self.state.inbox.unfinished():
            self._rt.spawn(self._drive(envelope), f"resume {envelope.work} {envelope.id}")

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
        engagement = Engagement(contract, project, entity, customer)
        yield from self._sync_terms(engagement)
        yield from self._psa.activate(workspace_id)
        self.state.engagements[contract.id] = engagement
        self.state.by_workspace[workspace_id] = engagement
        self._rt.record("core.project_active", contract=contract.reference, workspace=workspace_id)


OPTIONS = {  # what --option KEY=VALUE may set on this design, and what it means
    "idempotency": "true|false: keys where the vendor has them (Stripe), else look-before-write "
    "on a business key (Business Central)",
    "retries": "true|false: retry failed calls and replay dead letters",
    "reconciliation": "true|false: poll the vendors for work whose webhooks went missing",
    "store": "PATH: the SQLite file of the core's durable state (default: in memory)",
    "client_id": "the core's OAuth client id at every vendor (the simulator sets it)",
    "client_secret": "its secret",
}
SWITCHES = ("idempotency", "retries", "reconciliation")
_TRUE, _FALSE = ("true", "on", "1", "yes"), ("false", "off", "0", "no")

_PSA_EVENTS = {
    "timesheet_submission.approved": "timesheet",
    "billing_milestone.accepted": "milestone",
    "expense_report.approved": "expenses",
}


def _flag(options: dict[str, str], name: str) -> bool:
    """A design switch, on unless the option says false/off/0/no."""
    return options.get(name, "true").strip().lower() not in _FALSE


def option_problems(options: dict[str, str]) -> list[str]:
    """What is wrong with ``options`` for this design (empty: nothing)."""
    problems = [f"unknown option {k!r} (known: {', '.join(OPTIONS)})"
                for k in options if k not in OPTIONS]  # fmt: skip
    for name in SWITCHES:
        value = options.get(name)
        if value is not None and value.strip().lower() not in _TRUE + _FALSE:
            problems.append(f"option {name}={value!r}: expected true or false")
    return problems


def _json(status: int, body: Any, problem: bool = False) -> httpx.Response:
    kind = "application/problem+json" if problem else "application/json"
    return httpx.Response(status, content=encode(body), headers={"content-type": kind})


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> ReferenceCore:
    """The design entry point the simulator looks up by name (``--design reference``)."""
    return ReferenceCore(runtime, tenant, options)
