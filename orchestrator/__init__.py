"""The reference orchestration core: the system under test.

It talks to vendors only through HTTP-shaped requests sent by the runtime it is given, and reads
time and waits only through that runtime.
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
from orchestrator.runtime import Flow, Runtime, WallClockRuntime, run_flow

__all__ = [
    "Contract",
    "ContractVersion",
    "Customer",
    "Flow",
    "Invoice",
    "InvoiceLine",
    "LegalEntity",
    "Milestone",
    "Money",
    "Project",
    "RateCardVersion",
    "Resource",
    "RoundingRule",
    "Runtime",
    "TimeEntry",
    "WallClockRuntime",
    "minor_unit",
    "round_amount",
    "run_flow",
]
