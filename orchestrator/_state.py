"""What the reference core remembers, and where: every record lives in its durable store, so a
restarted core picks up where the crashed one stopped (see ``orchestrator._store``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from orchestrator import model
from orchestrator._inbox import Envelope, Inbox
from orchestrator._ledger import BillingLedger, Item
from orchestrator._outbox import Outbox
from orchestrator._store import DurableMap, Store
from orchestrator.model import Contract, Customer, LegalEntity, Project
from orchestrator.money import Money, RoundingRule
from orchestrator.pricing import ExpensePrice, FixedPrice, MilestonePrice, TimePrice

__all__ = ["CoreState", "Engagement", "ExceptionQueue"]


@dataclass
class Engagement:
    """A contract the core delivers: its terms, PSA project, billing entity and ERP customer,
    and which of its terms the PSA already has."""

    contract: Contract
    project: Project
    entity: LegalEntity
    customer: Customer
    versions_in_psa: dict[int, None] = field(default_factory=dict)
    milestones_in_psa: dict[str, str | None] = field(default_factory=dict)  # -> Kantata id
    budget_in_psa: Money | None = None


class ExceptionQueue:
    """Open and resolved exceptions, in the order they were raised (durable)."""

    def __init__(self, store: Store) -> None:
        self._rows = DurableMap(store, "exceptions")
        self._open: dict[tuple[str, str], str] = {
            (row["reason"], row["item"]): key
            for key, row in self._rows.items()
            if row["status"] == "open"
        }

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)

    def open(self, exception: dict[str, Any]) -> bool:
        """Add ``exception`` (True) or, when one is open for the same reason and item, update
        it (False)."""
        at = (exception["reason"], exception["item"])
        key = self._open.get(at)
        if key is None:
            key = self._open[at] = f"{len(self._rows):08d}"
            self._rows[key] = exception
            return True
        self._rows[key].update(exception)
        self._rows.touch(key)
        return False

    def open_count(self) -> int:
        """How many exceptions are open now (without reading them)."""
        return len(self._open)

    def open_for(self, reason: str, item: str) -> dict[str, Any] | None:
        """The open exception for ``reason`` and ``item``, if there is one."""
        key = self._open.get((reason, item))
        row: dict[str, Any] | None = None if key is None else self._rows[key]
        return row

    def resolve(self, reason: str, item: str, at: str) -> bool:
        key = self._open.pop((reason, item), None)
        if key is None:
            return False
        self._rows[key].update(status="resolved", resolved_at=at)
        self._rows.touch(key)
        return True


class CoreState:
    """Loads every space of ``store`` (engagements first: other records point at them)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.learn(_vocabulary())
        store.share(Engagement, lambda e: str(e.contract.id), lambda key: self.engagements[key])
        self.engagements = DurableMap(store, "engagements")
        self.by_workspace: dict[str, Engagement] = {
            e.project.id: e for e in self.engagements.values()
        }
        self.launched = DurableMap(store, "launched")
        for opportunity, workflow in list(self.launched.items()):
            if not workflow:  # a launch cut short by a crash: look again, then launch
                del self.launched[opportunity]
        self.deals = DurableMap(store, "deals")
        self.setting_up: dict[str, None] = {}  # flows in progress: nothing to keep
        self.issuing: dict[str, None] = {}
        self.billing: dict[str, None] = {}  # the billing run in progress, if any
        self.ledger = BillingLedger(store)
        self.inbox = Inbox(store)
        self.exceptions = ExceptionQueue(store)
        self.credits_granted = DurableMap(store, "credits_granted")
        self.stripe_customers = DurableMap(store, "stripe_customers")
        self.invoices = DurableMap(store, "invoices")
        self.intents = DurableMap(store, "intents")
        self.cash_applied = DurableMap(store, "cash_applied")  # confirmed by the ERP
        self.cash_claims: dict[str, int] = {}  # being applied now
        self.subcontractor_approved = DurableMap(store, "subcontractor_approved")
        self.outbox = Outbox(store)  # invoices decided: body once, progress per step
        self.credit_note_dates = DurableMap(store, "credit_note_dates")
        self.collected = DurableMap(store, "collected")  # PSA submissions/reports/milestones
        # Kantata billing milestones the core made and has not collected yet: the ones it asks
        # Kantata about ("billable yet?"), by id, instead of listing every milestone
        self.milestones_waited = DurableMap(store, "milestones_waited")

    def save(self, engagement: Engagement) -> None:
        """Write an engagement changed in place (one being set up is written when it is
        registered)."""
        if engagement.contract.id in self.engagements:
            self.engagements.touch(engagement.contract.id)


def _vocabulary() -> list[Any]:
    """What the core's records are made of, in a fixed order (the store's pickles refer to
    these by place: append, never reorder, or older store files become unreadable)."""
    models = [getattr(model, name) for name in sorted(model.__all__)]
    return [
        date, datetime, timedelta, timezone, UTC, Decimal, Money, RoundingRule,
        *(m for m in models if isinstance(m, type)),
        Engagement, Item, Envelope, TimePrice, ExpensePrice, MilestonePrice, FixedPrice,
    ]  # fmt: skip
