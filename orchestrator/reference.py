"""The reference design: event-driven, API-led, one invoice per contract per billing period.

Webhooks are acknowledged at once and handled in spawned flows, so a slow vendor never makes
another vendor's webhook time out; the PSA, which pushes none, is polled (``orchestrator._feed``).
Every invoice-impacting write carries an idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from orchestrator._amend import ChangeOrders
from orchestrator._billing import Billing, period_end
from orchestrator._cash import Cash
from orchestrator._collect import Collection
from orchestrator._contracting import Contracting
from orchestrator._feed import DEFAULT_EVERY, DEFAULT_IDLE, DEFAULT_OVERLAP, FeedPoller
from orchestrator._holds import Holds
from orchestrator._intake import Intake, unverified
from orchestrator._intake import json_response as _json
from orchestrator._reconcile import Reconciliation
from orchestrator._resilience import ResilientRuntime
from orchestrator._signing import WebhookVerifier
from orchestrator._state import CoreState
from orchestrator._store import Store
from orchestrator._tokens import TokenRuntime
from orchestrator._wire import decode
from orchestrator.context import CoreContext
from orchestrator.runtime import Flow, Runtime

__all__ = ["OPTIONS", "ReferenceCore", "build"]


class ReferenceCore:
    """The reference composition of the parts, plus the experience endpoints that trigger them.

    Each part is made by the factory of its keyword (its class by default), so a design may
    replace one part and keep the others: ``ReferenceCore(runtime, tenant, options,
    holds=MyHolds)``; the context's adapters may be swapped after construction
    (``core.ctx.erp = ...``).
    """

    def __init__(
        self,
        runtime: Runtime,
        tenant: str,
        options: dict[str, str] | None = None,
        *,
        context: type[CoreContext] = CoreContext,
        contracting: Callable[[CoreContext], Contracting] = Contracting,
        change_orders: Callable[[CoreContext, Contracting], ChangeOrders] = ChangeOrders,
        collection: Callable[[CoreContext], Collection] = Collection,
        holds: Callable[[CoreContext], Holds] = Holds,
        cash: Callable[[CoreContext], Cash] = Cash,
        billing: Callable[[CoreContext, Holds, Cash], Billing] = Billing,
    ) -> None:
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
        self.ctx = context(
            self.resilience,
            tenant,
            self.state,
            look_before_write=_flag(self.options, "idempotency"),
        )
        self.contracting = contracting(self.ctx)
        self.change_orders = change_orders(self.ctx, self.contracting)
        self.collection = collection(self.ctx)
        self.holds = holds(self.ctx)
        self.cash = cash(self.ctx)
        self.billing = billing(self.ctx, self.holds, self.cash)
        if self.options.get("max_invoice_lines"):
            self.billing.max_lines = int(self.options["max_invoice_lines"])
        self.intake = Intake(self.ctx, self.flows())
        self.verifier = WebhookVerifier(self.options, runtime.now)
        self.reconciliation = Reconciliation(
            self.ctx,
            self.intake,
            self.collection,
            self.billing,
            self.cash,
            reconciling=_flag(self.options, "reconciliation"),
        )
        # Kantata pushes no webhooks: approvals come from polling its change feed
        every = _minutes(self.options, "feed_minutes", DEFAULT_EVERY)
        self.feed = FeedPoller(
            self.ctx, self.intake, self.reconciliation.reconcile_psa, every=every,
            overlap=_minutes(self.options, "feed_overlap_minutes", DEFAULT_OVERLAP),
            idle=_minutes(self.options, "feed_idle_minutes", DEFAULT_IDLE),
        )  # fmt: skip
        if every > timedelta(0):
            self.resilience.spawn(self.feed.run(), "psa feed")
        if self.state.inbox.unfinished() or len(self.state.outbox):
            self.resilience.spawn(self.intake.resume(self.billing.finish_outbox), "resume")

    def flows(self) -> dict[str, Callable[..., Flow[None]]]:
        """Which part's flow does each kind of inbox work (see ``webhook_events``)."""
        return {
            "deal": self.contracting.quote_to_contract,
            "contract_workflow": self.change_orders.on_workflow_completed,
            "contract_record": self.change_orders.on_contract_record,
            "breach": self.collection.collect_breach,
            "timesheet": self.collection.collect_time,
            "milestone": self.collection.collect_milestone,
            "milestones_due": self.collection.collect_due_milestones,
            "expenses": self.collection.collect_expenses,
            "payment_event": self.cash.on_payment_event,
            "billing_run": self.billing.billing_run,
        }

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Webhook receivers, billing-run and reconciliation triggers, status; every accepted
        event is durable before it is acknowledged."""
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path.startswith("/webhooks/"):
                vendor = path.removeprefix("/webhooks/")
                refused = unverified(self.ctx, self.verifier, vendor, request)
                if refused is not None:
                    return refused
                return self.intake.receive(vendor, decode(request.content))
            if method == "POST" and path == "/billing-runs":
                body = decode(request.content)
                period, when = str(body["period"]), date.fromisoformat(body["invoiceDate"])
                period_end(period)
                entities = body.get("legalEntities")  # absent: every entity's contracts
                if entities is None:
                    self.intake.accept(
                        f"billing-run:{period}:{when}", "billing_run", (period, when)
                    )
                else:
                    entities = tuple(sorted(str(e) for e in entities))
                    self.intake.accept(f"billing-run:{period}:{when}:{','.join(entities)}",
                                       "billing_run", (period, when, entities))  # fmt: skip
                return _json(202, {"accepted": True, "period": period})
            if method == "POST" and path == "/reconciliations":
                self.resilience.spawn(self.reconciliation.reconcile(), "reconciliation")
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
        """Counts only, the same size whatever the history: operations reads it every day
        (the exceptions themselves are at ``GET /exceptions``)."""
        rt = self.resilience
        exceptions = self.state.exceptions
        return {
            "engagements": len(self.state.engagements),
            "pending_items": len(self.state.ledger.pending),
            "billed_items": len(self.state.ledger.billed),
            "exceptions": {"raised": len(exceptions), "open": exceptions.open_count()},
            "resilience": {
                "dead_letters": self.state.inbox.dead_count(),
                "outbox": len(self.state.outbox),
                "replays": self.state.inbox.replays,
                "reconciliation_fixes": self.reconciliation.fixes,
                "retries": dict(sorted(rt.retries.items())),
                "circuit_opens": dict(sorted(rt.circuit_opens.items())),
                "throttled": dict(sorted(rt.throttled.items())),
            },
        }


OPTIONS = {  # what --option KEY=VALUE may set on this design, and what it means
    "idempotency": "true|false: keys where the vendor has them (Stripe), else look-before-write "
    "on a business key (Business Central)",
    "retries": "true|false: retry failed calls and replay dead letters",
    "reconciliation": "true|false: poll the vendors for work whose webhooks went missing",
    "max_invoice_lines": "N: at most N lines per invoice, below the vendors' own caps (the tax "
    "engine's 15,000, or 1,000 on an account that kept AvaTax's default; Business Central's "
    "20,000-entity page)",
    "feed_minutes": "N: poll Kantata's change feed (Subscribed Events) every N simulated minutes "
    "while it brings new events (default 60; 0: never on a schedule)",
    "feed_idle_minutes": "N: after quiet reads the wait doubles, up to N simulated minutes "
    "(default 480)",
    "feed_overlap_minutes": "N: each poll reads back N minutes before the last one began, for "
    "events that appear late (default 30)",
    "store": "PATH: the SQLite file of the core's durable state (default: in memory)",
    "client_id": "the core's OAuth client id at every vendor (the simulator sets it)",
    "client_secret": "its secret",
    "webhook_secret_payments": "Stripe's webhook endpoint secret (whsec_...): Stripe-Signature "
    "checked, 300 s tolerance (the simulator sets it)",
    "webhook_key_clm": "Ironclad's webhook verification key, PEM: its RSA signatures checked "
    "(the simulator sets it)",
}
SWITCHES = ("idempotency", "retries", "reconciliation")
_TRUE, _FALSE = ("true", "on", "1", "yes"), ("false", "off", "0", "no")


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
    for name in ("feed_minutes", "feed_overlap_minutes", "feed_idle_minutes"):
        value = options.get(name)
        if value is not None and _number(value) is None:
            problems.append(f"option {name}={value!r}: expected a number of minutes, 0 or more")
    cap = options.get("max_invoice_lines")
    if cap is not None and not (cap.strip().isdigit() and int(cap) >= 1):
        problems.append(f"option max_invoice_lines={cap!r}: expected a whole number of at least 1")
    return problems


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def _minutes(options: dict[str, str], name: str, default: timedelta) -> timedelta:
    value = _number(options[name]) if name in options else None
    return default if value is None else timedelta(minutes=value)


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> ReferenceCore:
    """The design entry point the simulator looks up by name (``--design reference``)."""
    return ReferenceCore(runtime, tenant, options)
