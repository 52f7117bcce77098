"""Billing holds: an invoice waits for the client's purchase order, and a subcontractor's
time for the approval of that subcontractor's cost; what waits is listed, with its reason, in
the exception queue, and released on the first billing run after the hold lifts."""

from __future__ import annotations

from orchestrator._ledger import Item
from orchestrator._state import Engagement
from orchestrator.context import CoreContext
from orchestrator.runtime import Flow

__all__ = ["Holds"]


class Holds:
    """What billing must wait for before it invoices (the billing part asks)."""

    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def approved_subcontracting(self, items: list[Item]) -> list[Item]:
        """Subcontractors' time waits until the firm has approved that vendor's cost for the
        month; the waiting items are listed in the exception queue, with the reason."""
        approved = self.state.subcontractor_approved
        waiting = [i for i in items if i.needs_approval and i.needs_approval not in approved]
        subject = f"subcontracting:{items[0].engagement.contract.reference}"
        if waiting:
            self.ctx.raise_exception("unapproved_subcontractor_cost", subject,
                        f"{len(waiting)} subcontractor items wait for their cost approval",
                        items=[i.key for i in waiting])  # fmt: skip
        else:
            self.ctx.resolve_exception("unapproved_subcontractor_cost", subject)
        held = {i.key for i in waiting}  # by key: comparing whole items costs their prices
        return [i for i in items if i.key not in held]

    def purchase_order(self, engagement: Engagement, items: list[Item]) -> Flow[str | None]:
        """The client's PO number, re-read from the CLM until it arrives; meanwhile the
        invoice waits in the exception queue with every item it would bill."""
        subject = f"contract:{engagement.contract.reference}"
        if engagement.contract.purchase_order is None:
            engagement.contract = yield from self.ctx.clm.contract(engagement.contract.id)
            self.state.save(engagement)
        purchase_order: str | None = engagement.contract.purchase_order
        if purchase_order is None:
            held = sorted(
                {i.key.split("@")[0].removeprefix("adjustment:") for i in items}
                | set(self._held_for(subject))
            )
            self.ctx.raise_exception(
                "missing_po",
                subject,
                "the client requires a PO number on every invoice and has not sent one",
                items=held,
            )
        else:
            self.ctx.resolve_exception("missing_po", subject)
        return purchase_order

    def _held_for(self, subject: str) -> list[str]:
        """The items the open PO hold already lists (looked up, not scanned for)."""
        exception = self.state.exceptions.open_for("missing_po", subject)
        return [] if exception is None else list(exception.get("items", []))
