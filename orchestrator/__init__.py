"""The orchestration core: the system under test.

It talks to vendors only through HTTP-shaped requests sent by the runtime it is given, and reads
time and waits only through that runtime. A design is assembled from parts over one typed
``CoreContext`` (see ``orchestrator.parts`` for how): ``Contracting``, ``ChangeOrders``,
``Collection``, ``Holds``, ``Cash``, ``Billing``, ``Intake`` and ``Reconciliation``;
``orchestrator.reference.ReferenceCore`` is the reference composition of them.
"""

from orchestrator.model import (
    Contract,
    ContractVersion,
    Customer,
    Invoice,
    InvoiceLine,
    LegalEntity,
    Milestone,
    Project,
    RateCardVersion,
    Resource,
    TimeEntry,
)
from orchestrator.money import Money, RoundingRule, minor_unit, round_amount
from orchestrator.parts import (
    Billing,
    Cash,
    ChangeOrders,
    Collection,
    Contracting,
    CoreContext,
    CoreState,
    Holds,
    Intake,
    Reconciliation,
)
from orchestrator.runtime import Flow, Runtime, WallClockRuntime, run_flow

__all__ = [
    "Billing",
    "Cash",
    "ChangeOrders",
    "Collection",
    "Contract",
    "ContractVersion",
    "Contracting",
    "CoreContext",
    "CoreState",
    "Customer",
    "Flow",
    "Holds",
    "Intake",
    "Invoice",
    "InvoiceLine",
    "LegalEntity",
    "Milestone",
    "Money",
    "Project",
    "RateCardVersion",
    "Reconciliation",
    "Resource",
    "RoundingRule",
    "Runtime",
    "TimeEntry",
    "WallClockRuntime",
    "minor_unit",
    "round_amount",
    "run_flow",
]
