"""A worked example design: event-driven, assembled from the reference core's parts, without
the reference's safety net of reconciliation.

It shows, in order, what every design has (docs/designs.md): the factory the simulator calls
(``build`` at the bottom), the runtime it is given (wrapped here in OAuth tokens and the
resilience layer), the parts over one context, and the experience endpoints of
``contracts/design.yaml`` served by ``handle``. It leaves out a reconciliation on purpose
(``POST /reconciliations`` answers 404): work whose webhook never arrives stays undone, which
is what comparing it with the reference under webhook chaos shows. Fault-free, it bills every
item correctly:

    q2c run scenarios/milestone-fixed-fee.yaml --design examples/designs/lean.py:build
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from orchestrator.parts import (
    Billing,
    Cash,
    ChangeOrders,
    Collection,
    Contracting,
    CoreContext,
    CoreState,
    FeedPoller,
    Holds,
    Intake,
    ResilientRuntime,
    Store,
    TokenRuntime,
    json_response,
    period_end,
)
from orchestrator.runtime import Runtime


class Lean:
    """Webhooks go into a durable inbox and are run by the part that does their kind of work;
    billing runs, holds and cash application are the reference's."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str]) -> None:
        # The runtime: the OAuth client credentials the world registered for this design at
        # every vendor, then retries and pacing on each vendor's own signals. The store (in
        # memory unless the world gives a file, as it does when the design may crash) is
        # flushed before every wait, so nothing acknowledged is lost in a crash.
        self.store = Store(options.get("store") or None)
        authorized = TokenRuntime(runtime, options["client_id"], options["client_secret"])
        self.rt = ResilientRuntime(authorized, before_wait=self.store.flush)
        # The parts, over one context: the six vendors' adapters, the state, the exceptions.
        self.state = CoreState(self.store)
        ctx = CoreContext(self.rt, tenant, self.state)
        contracting = Contracting(ctx)
        change_orders = ChangeOrders(ctx, contracting)
        collection, holds, cash = Collection(ctx), Holds(ctx), Cash(ctx)
        self.billing = Billing(ctx, holds, cash)
        self.intake = Intake(ctx, {  # the kind of work a webhook brings -> its flow
            "deal": contracting.quote_to_contract,
            "contract_workflow": change_orders.on_workflow_completed,
            "contract_record": change_orders.on_contract_record,
            "breach": collection.collect_breach,
            "timesheet": collection.collect_time,
            "milestone": collection.collect_milestone,
            "milestones_due": collection.collect_due_milestones,
            "expenses": collection.collect_expenses,
            "payment_event": cash.on_payment_event,
            "billing_run": self.billing.billing_run,
        })  # fmt: skip
        # The PSA pushes no webhooks (Kantata's change feed is pulled): a flow polls it, with no
        # full read of the PSA's records to fall back on (no reconciliation here) when its
        # watermark is older than the 9 days the feed keeps.
        self.feed = FeedPoller(ctx, self.intake, self._no_full_read)
        self.rt.spawn(self.feed.run(), "psa feed")
        # A design restarted after a crash finishes what its predecessor accepted.
        if self.state.inbox.unfinished() or len(self.state.outbox):
            self.rt.spawn(self.intake.resume(self.billing.finish_outbox), "resume")

    def handle(self, request: httpx.Request) -> httpx.Response:
        """The experience endpoints; a plain call that cannot wait: the work is spawned."""
        method, path = request.method, request.url.path
        try:
            if method == "POST" and path.startswith("/webhooks/"):
                body = json.loads(request.content, parse_float=Decimal)  # money stays exact
                return self.intake.receive(path.removeprefix("/webhooks/"), body)
            if method == "POST" and path == "/billing-runs":
                return self._billing_run(json.loads(request.content))
            if method == "GET" and path == "/status":
                return json_response(200, {"resilience": self._resilience()})
            if method == "GET" and path == "/exceptions":
                return json_response(200, {"exceptions": list(self.state.exceptions)})
        except (KeyError, TypeError, ValueError) as exc:  # a malformed request: 400
            problem = {"title": "Bad Request", "status": 400, "detail": str(exc)}
            return json_response(400, problem, problem=True)
        finally:
            self.store.flush()
        problem = {"title": "Not Found", "status": 404, "detail": path}  # /reconciliations too
        return json_response(404, problem, problem=True)

    def _no_full_read(self) -> Any:
        """What the feed forgot stays undone: the reference counts the PSA's records here."""
        return
        yield

    def _billing_run(self, run: dict[str, Any]) -> httpx.Response:
        """Accepted once per period, day and entities (finance may send it again)."""
        period, day = str(run["period"]), date.fromisoformat(run["invoiceDate"])
        period_end(period)  # a malformed period is a ValueError, so a 400
        if run.get("legalEntities") is None:
            self.intake.accept(f"billing-run:{period}:{day}", "billing_run", (period, day))
        else:
            entities = tuple(sorted(str(e) for e in run["legalEntities"]))
            key = f"billing-run:{period}:{day}:{','.join(entities)}"
            self.intake.accept(key, "billing_run", (period, day, entities))
        return json_response(202, {"accepted": True, "period": period})

    def _resilience(self) -> dict[str, Any]:
        """The block of ``GET /status`` the run reports (``run.json``)."""
        return {
            "dead_letters": len(self.state.inbox.dead_letters()),
            "outbox": len(self.state.outbox),
            "replays": self.state.inbox.replays,
            "retries": dict(sorted(self.rt.retries.items())),
            "circuit_opens": dict(sorted(self.rt.circuit_opens.items())),
            "throttled": dict(sorted(self.rt.throttled.items())),
        }


def build(runtime: Runtime, tenant: str, options: dict[str, str]) -> Lean:
    """The factory: called when the run starts, and again after a simulated crash."""
    return Lean(runtime, tenant, options)
