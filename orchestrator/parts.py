"""The parts a core is assembled from, for design authors.

A design is an object with ``handle(request) -> response``, made by a factory
``build(runtime, tenant, options)``. Its parts share one ``CoreContext`` (the resilient
runtime, the six vendor adapters, the durable ``CoreState`` and the exception queue) and are
given the other parts they call in their constructors:

    ctx = CoreContext(ResilientRuntime(runtime, before_wait=store.flush), tenant, CoreState(store))
    contracting = Contracting(ctx)
    change_orders = ChangeOrders(ctx, contracting)
    collection, holds, cash = Collection(ctx), Holds(ctx), Cash(ctx)
    billing = Billing(ctx, holds, cash)
    intake = Intake(ctx, {"deal": contracting.quote_to_contract, ...})  # work name -> flow
    reconciliation = Reconciliation(ctx, intake, collection, billing, cash)
    feed = FeedPoller(ctx, intake, reconciliation.reconcile_psa)  # the PSA pushes no webhooks
    ctx.rt.spawn(feed.run(), "psa feed")

``ReferenceCore`` is that composition plus its HTTP endpoints; to change one part, subclass it
and pass the class: ``ReferenceCore(runtime, tenant, options, holds=MyHolds)``. Vendor
adapters are read from the context at each call, so ``core.ctx.erp = MyErp(core.ctx.rt,
tenant)`` swaps one. ``webhook_events`` turns a vendor's webhook body into inbox work for
designs that receive webhooks their own way; ``unverified(ctx, WebhookVerifier(options, now),
vendor, request)`` refuses (400, and an exception in the queue) one whose vendor signature does
not verify, with the secrets the simulator puts in the options. ``TokenRuntime`` gets the
OAuth tokens every vendor wants, with the client credentials the simulator puts in the options
(``examples/designs/lean.py`` assembles a whole design from these parts).
"""

from orchestrator._amend import ChangeOrders
from orchestrator._billing import Billing, period_end
from orchestrator._cash import Cash
from orchestrator._collect import Collection
from orchestrator._contracting import Contracting
from orchestrator._feed import FeedPoller
from orchestrator._holds import Holds
from orchestrator._inbox import Envelope
from orchestrator._intake import Intake, json_response, unverified, webhook_events
from orchestrator._reconcile import Reconciliation
from orchestrator._resilience import ResilientRuntime
from orchestrator._signing import WebhookVerifier
from orchestrator._state import CoreState, Engagement
from orchestrator._store import Store
from orchestrator._tokens import TokenRuntime
from orchestrator.context import CoreContext

__all__ = [
    "Billing",
    "Cash",
    "ChangeOrders",
    "Collection",
    "Contracting",
    "CoreContext",
    "CoreState",
    "Engagement",
    "Envelope",
    "FeedPoller",
    "Holds",
    "Intake",
    "Reconciliation",
    "ResilientRuntime",
    "Store",
    "TokenRuntime",
    "WebhookVerifier",
    "json_response",
    "period_end",
    "unverified",
    "webhook_events",
]
