"""Ground truth: what the simulated firm actually did, recorded by the actors as they act.

The oracle prices this, never the core's own records: a billable item exists because a person
worked and a manager approved, not because the integration says so. The records are slotted
dataclasses: a run keeps one per billable item to its end (a third of the size with no
``__dict__``; issue 14).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "BreachTruth",
    "ExpenseTruth",
    "GroundTruth",
    "MilestoneTruth",
    "PaymentTruth",
    "TimeTruth",
]


@dataclass(slots=True)
class TimeTruth:
    """Work a consultant did; ``psa_id`` is set once it is logged in the PSA."""

    work_id: str
    psa_id: str | None
    contract: str
    consultant: str
    role: str
    country: str
    work_date: date
    minutes: int
    billable: bool
    logged_at: datetime | None = None
    approved_at: datetime | None = None
    corrected: bool = False
    late: bool = False
    subcontractor: bool = False

    @property
    def source_id(self) -> str:
        return f"psa:time_entry:{self.psa_id}" if self.psa_id else f"work:{self.work_id}"


@dataclass(slots=True)
class MilestoneTruth:
    """A deliverable the client accepted; ``psa_id`` is set if the PSA knows the milestone."""

    contract: str
    milestone: str
    amount: Decimal
    accepted_at: datetime
    psa_id: str | None = None

    @property
    def source_id(self) -> str:
        if self.psa_id:
            return f"psa:billing_milestone:{self.psa_id}"
        return f"work:milestone:{self.contract}:{self.milestone}"


@dataclass(slots=True)
class PaymentTruth:
    """Money a client sent towards an invoice, through the payment platform."""

    invoice_id: str
    invoice_number: str
    intent: str
    currency: str
    amount_minor: int
    at: datetime


@dataclass
class GroundTruth:
    time: dict[str, TimeTruth] = field(default_factory=dict)
    time_by_psa_id: dict[str, TimeTruth] = field(default_factory=dict)
    milestones: dict[str, MilestoneTruth] = field(default_factory=dict)
    expenses: dict[str, ExpenseTruth] = field(default_factory=dict)
    breaches: list[BreachTruth] = field(default_factory=list)
    payments: list[PaymentTruth] = field(default_factory=list)
    subcontractor_costs: dict[tuple[str, str], datetime | None] = field(default_factory=dict)
    disputes: list[tuple[str, int]] = field(default_factory=list)
    deals_won: dict[str, datetime] = field(default_factory=dict)
    executed: dict[str, datetime] = field(default_factory=dict)
    billing_runs: list[tuple[str, datetime]] = field(default_factory=list)
    opportunities: dict[str, str] = field(default_factory=dict)
    purchase_orders: dict[str, tuple[str, datetime]] = field(default_factory=dict)


@dataclass(slots=True)
class BreachTruth:
    """A missed service level, recorded in the CLM against the contract's SLA obligation."""

    contract: str
    number: int
    day: date
    recorded_at: datetime
    clm_id: str | None = None

    @property
    def source_id(self) -> str:
        return (
            f"clm:breach:{self.clm_id}"
            if self.clm_id
            else f"work:breach:{self.contract}:{self.number}"
        )


@dataclass(slots=True)
class ExpenseTruth:
    """Money a consultant spent for a client, in the currency they paid in (minor units)."""

    work_id: str
    psa_id: str | None
    contract: str
    consultant: str
    day: date
    category: str
    currency: str
    amount_minor: int
    receipt: bool
    approved_at: datetime | None = None

    @property
    def source_id(self) -> str:
        return f"psa:expense:{self.psa_id}" if self.psa_id else f"work:expense:{self.work_id}"
