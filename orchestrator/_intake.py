"""The intake: webhooks and triggers become durable inbox work, driven by the flow of its name.

Every accepted event is written to the inbox before it is acknowledged and run in a spawned
flow, so a slow vendor never makes another vendor's webhook time out. A failed flow ends in the
exception queue and the dead-letter queue, never silently; the vendor's redelivery or the
reconciliation's replay takes it up again, and a restarted core re-drives what it accepted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from orchestrator._inbox import Envelope
from orchestrator._signing import WebhookVerifier
from orchestrator._wire import encode
from orchestrator.context import CoreContext
from orchestrator.runtime import Flow

__all__ = ["Event", "Intake", "json_response", "unverified", "webhook_events"]

Event = tuple[str, str, tuple[Any, ...]]  # (event id, work name, the flow's arguments)
Flows = Mapping[str, Callable[..., Flow[None]]]


def webhook_events(vendor: str, body: Any) -> list[Event] | None:
    """The work a vendor's webhook asks for (None: no receiver for that vendor; the PSA sends
    none: its changes are polled, ``orchestrator._feed``). Work names:
    deal, contract_workflow (a completed CLM workflow: its record is read from the CLM),
    breach, timesheet, milestone, expenses, payment_event (contract_record: the reconciliation's
    record-level work)."""
    events: list[Event] = []
    if vendor == "crm":
        for note in body["Notification"]:
            events.append((f"crm:{note['Id']}", "deal", (note["sObject"]["Id"],)))
    elif vendor == "clm":
        payload = body["payload"]
        if payload["event"] == "workflow_completed":  # Ironclad names the workflow only
            workflow = str(payload["workflowID"])
            events.append((f"clm:{workflow}:completed", "contract_workflow", (workflow,)))
        elif payload["event"] == "obligation_breached":
            record, breach = payload["recordId"], payload["breachId"]
            events.append((f"clm:breach:{breach}", "breach", (record, breach)))
    elif vendor == "payments":
        events.append((f"payments:{body['id']}", "payment_event", (body,)))
    else:
        return None
    return events


def unverified(
    ctx: CoreContext, verifier: WebhookVerifier | None, vendor: str, request: httpx.Request
) -> httpx.Response | None:
    """The 400 for a webhook whose signature does not verify (forged, altered, stale or
    unsigned), or None: it verifies, or its vendor signs nothing. A refused webhook is never
    dropped silently: it opens a ``webhook_unverified`` exception (one per distinct body, so a
    vendor's redeliveries refresh it), and a genuine vendor, seeing the 400, delivers again."""
    if verifier is None:
        return None
    problem = verifier.problem(vendor, request.headers, request.content)
    if problem is None:
        return None
    digest = hashlib.sha256(request.content).hexdigest()[:16]
    ctx.raise_exception("webhook_unverified", f"{vendor} webhook {digest}", problem)
    detail = f"{vendor} webhook signature: {problem}"
    return json_response(400, {"title": "Bad Request", "status": 400, "detail": detail},
                         problem=True)  # fmt: skip


def json_response(status: int, body: Any, problem: bool = False) -> httpx.Response:
    kind = "application/problem+json" if problem else "application/json"
    return httpx.Response(status, content=encode(body), headers={"content-type": kind})


class Intake:
    """The durable inbox driver: ``flows`` maps each work name to the flow that does it."""

    def __init__(self, ctx: CoreContext, flows: Flows) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.flows = flows

    def receive(self, vendor: str, body: Any) -> httpx.Response:
        """A vendor's webhook: its events accepted (durably) and acknowledged with 202."""
        events = webhook_events(vendor, body)
        if events is None:
            return json_response(
                404,
                {"title": "Not Found", "status": 404, "detail": f"no receiver for {vendor}"},
                problem=True,
            )
        for event_id, work, args in events:
            self.accept(event_id, work, args)
        return json_response(202, {"accepted": len(events)})

    def accept(self, event_id: str, work: str, args: tuple[Any, ...]) -> None:
        """Keep the work and start its flow, unless it duplicates work we have or had."""
        envelope = self.state.inbox.accept(event_id, work, args)
        if envelope is not None:
            self.ctx.rt.spawn(self.drive(envelope), f"{work} {event_id}")

    def drive(self, envelope: Envelope) -> Flow[None]:
        """Run the envelope's work; done, or dead with its exception."""
        try:
            yield from self.flows[envelope.work](*envelope.args)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            self.state.inbox.dead(envelope, detail)
            self.ctx.raise_exception("flow_failed", f"{envelope.work} {envelope.id}", detail)
            self.ctx.rt.record("core.dead_letter", event=envelope.id, work=envelope.work)
        else:
            self.state.inbox.done(envelope)
            self.ctx.resolve_exception("flow_failed", f"{envelope.work} {envelope.id}")

    def resume(self, finish_outbox: Callable[[], Flow[int]]) -> Flow[None]:
        """A restarted core finishes what its predecessor decided (the outbox), then what it
        accepted."""
        self.ctx.rt.record("core.resumed", unfinished=len(self.state.inbox.unfinished()),
                           outbox=len(self.state.outbox))  # fmt: skip
        yield from finish_outbox()
        for envelope in self.state.inbox.unfinished():
            self.ctx.rt.spawn(self.drive(envelope), f"resume {envelope.work} {envelope.id}")
