"""What the core owes the ERP: approved items waiting for an invoice, and what each billed item
has been billed so far, so that a retroactive change order can be settled by difference.

Items are priced when they are invoiced, not when they are approved: a change order signed in
between then simply applies. Items already billed are repriced when the contract changes, and
the difference becomes an adjustment line on the next invoice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from orchestrator._store import DurableMap, Store
from orchestrator.model import Contract, InvoiceLine, Project
from orchestrator.pricing import FixedPrice

__all__ = ["BillingLedger", "Item"]

Pricer = Callable[[Contract], InvoiceLine]


@dataclass
class Item:
    """One billable source item (or an adjustment to one), owned by an engagement."""

    key: str
    engagement: Any  # the core's engagement record: has .contract and .project
    due_by: date
    kind: str  # time_entry | billing_milestone | adjustment
    psa_id: str
    price: Pricer
    billed: Decimal = Decimal(0)
    invoices: list[str] = field(default_factory=list)
    charged: list[InvoiceLine] = field(default_factory=list)  # charge lines still standing
    needs_approval: tuple[str, str] | None = (
        None  # (subcontractor, month) whose cost must be approved
    )

    @property
    def project(self) -> Project:
        project: Project = self.engagement.project
        return project

    def line(self) -> InvoiceLine:
        return self.price(self.engagement.contract)


class BillingLedger:
    """Pending and billed items, written through to the core's store (``touch`` marks an item
    changed in place)."""

    def __init__(self, store: Store | None = None) -> None:
        store = store or Store(None)
        self.pending = DurableMap(store, "pending")
        self.billed = DurableMap(store, "billed")

    def knows(self, key: str) -> bool:
        return key in self.pending or key in self.billed

    def add(self, item: Item) -> None:
        if not self.knows(item.key):
            self.pending[item.key] = item

    def due(self, by: date) -> dict[str, list[Item]]:
        """Pending items due by ``by``, grouped by contract id, each group in a stable order."""
        groups: dict[str, list[Item]] = {}
        for item in self.pending.values():
            if item.due_by <= by:
                groups.setdefault(item.engagement.contract.id, []).append(item)
        return {
            cid: sorted(items, key=lambda i: (i.due_by, i.key))
            for cid, items in sorted(groups.items())
        }

    def mark_billed(self, item: Item, line: InvoiceLine, invoice: str) -> None:
        del self.pending[item.key]
        if item.kind in ("adjustment", "reissue"):
            source = self.billed[item.key.split("@", 1)[0].split(":", 1)[1]]
            source.billed += line.amount
            source.invoices.append(invoice)
            if item.kind == "reissue":
                source.charged.append(line)
            self.billed.touch(source.key)
            return
        item.billed += line.amount
        item.invoices.append(invoice)
        item.charged.append(line)
        self.billed[item.key] = item

    def repriced(self, engagement: Any) -> list[Item]:
        """Billed time items of ``engagement`` whose price the contract now sets otherwise, and
        that are not already waiting to be reissued (one pass over the pending items: asked
        per billed item, a scan of them made change orders quadratic)."""
        reissuing = self._queued_for("reissue")
        return [
            item
            for item in self.billed.values()
            if item.engagement is engagement
            and item.kind == "time_entry"
            and item.charged
            and item.key not in reissuing
            and item.line().amount != item.billed
        ]

    def credited(self, items: list[Item], today: date, version_id: str) -> None:
        """The items' charges were credited in full: queue each to be charged again."""
        for item in items:
            item.billed = Decimal(0)
            item.charged.clear()
            self.billed.touch(item.key)
            key = f"reissue:{item.key}@{version_id}"
            self.pending[key] = Item(key, item.engagement, today, "reissue", item.psa_id,
                                     item.price)  # fmt: skip

    def adjustments(self, engagement: Any, today: date, version_id: str) -> list[Item]:
        """Reprice every billed time item of ``engagement``; queue the differences (the
        adjustments already queued summed once per source)."""
        queued_by_source = {
            source: sum((a.line().amount for a in items), Decimal(0))
            for source, items in self._queued_for("adjustment").items()
        }
        queued = []
        for item in list(self.billed.values()):
            if item.engagement is not engagement or item.kind != "time_entry":
                continue
            repriced = item.line()
            delta = repriced.amount - item.billed - queued_by_source.get(item.key, Decimal(0))
            key = f"adjustment:{item.key}@{version_id}"
            if delta == 0 or self.knows(key):
                continue
            line = InvoiceLine(
                description=f"Rate adjustment ({repriced.description})",
                quantity=Decimal(1),
                unit_price=delta,
                amount=delta,
                source_ids=repriced.source_ids,
                contract_version_id=repriced.contract_version_id,
                kind="adjustment",
            )
            adjustment = Item(key, engagement, today, "adjustment", item.psa_id, FixedPrice(line))
            self.pending[key] = adjustment
            queued.append(adjustment)
        return queued

    def _queued_for(self, kind: str) -> dict[str, list[Item]]:
        """Pending ``kind`` items ("<kind>:<source>@<version>") by source key, in one pass."""
        by_source: dict[str, list[Item]] = {}
        for key, item in self.pending.items():
            if key.startswith(f"{kind}:"):
                source = key.removeprefix(f"{kind}:").split("@", 1)[0]
                by_source.setdefault(source, []).append(item)
        return by_source
