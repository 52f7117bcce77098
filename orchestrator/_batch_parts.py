"""The reference core's parts the nightly-batch design is assembled from.

The batch design prices, bills (invoices, tax, credit notes), holds and applies cash exactly as
the reference core does; only how work reaches those flows differs (a nightly file instead of
webhooks). So it composes the same parts over one ``CoreContext`` (``orchestrator.parts``):
contracting, change orders, collection, holds, cash and billing, and leaves out the ones it has
no use for: the webhook intake and inbox, and the reconciliation job (the next night is this
design's recovery).
"""

from __future__ import annotations

from typing import Any

from orchestrator._tokens import SCOPES as TOKEN_SCOPES
from orchestrator._tokens import TokenRuntime
from orchestrator.parts import (
    Billing,
    Cash,
    ChangeOrders,
    Collection,
    Contracting,
    CoreContext,
    CoreState,
    Holds,
    ResilientRuntime,
    Store,
)
from orchestrator.runtime import Runtime

__all__ = ["SCOPES", "BatchParts"]

# the reference core's scopes: they include reading Stripe's events, which the extract polls
# instead of taking webhooks (and the reference core's reconciliation reads too)
SCOPES = TOKEN_SCOPES
_FALSE = ("false", "off", "0", "no")


class BatchParts:
    """The context (runtime, adapters, state, exception queue) and the parts the batch loads
    through."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str]) -> None:
        self.store = Store(options.get("store") or None)
        self.state = CoreState(self.store)
        authorized: Runtime = runtime
        if options.get("client_id") and options.get("client_secret"):
            authorized = TokenRuntime(runtime, options["client_id"], options["client_secret"],
                                      SCOPES)  # fmt: skip
        self.resilience = ResilientRuntime(
            authorized,
            retries=options.get("retries", "true").strip().lower() not in _FALSE,
            before_wait=self.store.flush,
        )
        self.ctx = CoreContext(self.resilience, tenant, self.state)
        self.contracting = Contracting(self.ctx)
        self.change_orders = ChangeOrders(self.ctx, self.contracting)
        self.collection = Collection(self.ctx)
        self.holds = Holds(self.ctx)
        self.cash = Cash(self.ctx)
        self.billing = Billing(self.ctx, self.holds, self.cash)

    def status(self) -> dict[str, Any]:
        """The reference core's status figures that mean something here."""
        rt, state = self.resilience, self.state
        return {
            "engagements": len(state.engagements),
            "pending_items": len(state.ledger.pending),
            "billed_items": len(state.ledger.billed),
            "exceptions": list(state.exceptions),
            "resilience": {
                "dead_letters": 0,  # no inbox: a failed batch waits for the next night
                "outbox": len(state.outbox),
                "replays": 0,
                "reconciliation_fixes": 0,
                "retries": dict(sorted(rt.retries.items())),
                "circuit_opens": dict(sorted(rt.circuit_opens.items())),
                "throttled": dict(sorted(rt.throttled.items())),
            },
        }
