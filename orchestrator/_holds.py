"""Billing holds: an invoice waits for the client's purchase order, and a subcontractor's
time for the approval of that subcontractor's cost; what waits is listed, with its reason, in
the exception queue, and released on the first billing run after the hold lifts."""

from __future__ import annotations

from typing import Any

from orchestrator._ledger import Item
from orchestrator._parts import CoreParts
from orchestrator.runtime import Flow

__all__ = ["Holds"]


class Holds(CoreParts):
    """Mixed into the reference core: it owns ``state`` and the adapters."""

    def _approved_subcontracting(self, items: list[Item]) -> list[Item]:
        """Subcontractors' time waits until the firm has approved that vendor's cost for the
        month; the waiting items are listed in the exception queue, with the reason."""
        approved = self.state.subcontractor_approved
        waiting = [i for i in items if i.needs_approval and i.needs_approval not in approved]
        subject = f"subcontracting:{items[0].engagement.contract.reference}"
        if waiting:
            self._raise("unapproved_subcontractor_cost", subject,
                        f"{len(waiting)} subcontractor items wait for their cost approval",
                        items=[i.key for i in waiting])  # fmt: skip
        else:
            self._resolve("unapproved_subcontractor_cost", subject)
        held = {i.key for i in waiting}  # by key: comparing whole items costs their prices
        return [i for i in items if i.key not in held]

    def _purchase_order(self, engagement: Any, items: list[Item]) -> Flow[str | None]:
        """The client's PO number, re-read from the CLM until it arrives; meanwhile the
        invoice waits in the exception queue with every item it would bill."""
        subject = f"contract:{engagement.contract.reference}"
        if engagement.contract.purchase_order is None:
            engagement.contract = yield from self._clm.contract(engagement.contract.id)
            self.state.save(engagement)
        purchase_order: str | None = engagement.contract.purchase_order
        if purchase_order is None:
            held = sorted(
                {i.key.split("@")[0].removeprefix("adjustment:") for i in items}
                | set(self._held_for(subject))
            )
            self._raise(
                "missing_po",
                subject,
                "the client requires a PO number on every invoice and has not sent one",
                items=held,
            )
        else:
            self._resolve("missing_po", subject)
        return purchase_order

    def _held_for(self, subject: str) -> list[str]:
        """The items the open PO hold already lists (looked up, not scanned for)."""
        exception = self.state.exceptions.open_for("missing_po", subject)
        return [] if exception is None else list(exception.get("items", []))
