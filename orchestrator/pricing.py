"""How the reference core prices a billable item: the contract version in force on the work
date, the rate for the consultant's role and country, the contract's rounding rule."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from orchestrator.model import Contract, Expense, InvoiceLine, Milestone, Resource, TimeEntry
from orchestrator.money import round_amount

__all__ = [
    "ExpensePrice",
    "FixedPrice",
    "MilestonePrice",
    "PricingError",
    "TimePrice",
    "expense_amount",
    "price_expense",
    "price_milestone",
    "price_time",
    "source_id",
]

MINUTES_PER_HOUR = Decimal(60)
HOURS_SHOWN = Decimal("0.000001")


class PricingError(Exception):
    """An item the contract gives no price for (no version in force, no rate for the role)."""


def source_id(kind: str, psa_id: str) -> str:
    """The audit-trail id of a PSA item, as invoice lines carry it."""
    return f"psa:{kind}:{psa_id}"


def price_time(entry: TimeEntry, resource: Resource, contract: Contract) -> InvoiceLine:
    return _price_hours(entry.id, entry.work_date, entry.minutes, resource.name, resource.role,
                        resource.country, contract)  # fmt: skip


def _price_hours(
    entry_id: str, day: date, minutes: int, name: str, role: str, country: str, contract: Contract
) -> InvoiceLine:
    version = contract.version_on(day)
    if version is None:
        raise PricingError(f"no contract version of {contract.reference} in force on {day}")
    rate = version.rate_card.rate(role, country)
    if rate is None:
        raise PricingError(
            f"{contract.reference} v{version.number} has no rate for {role} in {country}"
        )
    # minutes x rate / 60, divided last: hours like 8/60 have no exact decimal, and rounding
    # a rounded product breaks half-cent cases; the quantity shown is rounded for display only
    exact = Decimal(minutes) * rate / MINUTES_PER_HOUR
    hours = _hours_shown(minutes)
    return InvoiceLine(
        description=f"{day} {name}, {role} ({country})",
        quantity=hours,
        unit_price=rate,
        amount=round_amount(exact, contract.currency, contract.rounding),
        source_ids=(source_id("time_entry", entry_id),),
        contract_version_id=version.id,
    )


def expense_amount(expense: Expense, rate: Decimal, contract: Contract) -> Decimal:
    """Cost converted at the ERP's rate for the expense date, plus the contract's markup, by
    the contract's rounding rule, in the order its expense policy says.

    Rounded ``once`` (the default) the order does not matter: cost x rate x (1 + markup) is one
    product, rounded at the end, the most exact figure. Rounded ``each_step``, every figure a
    client can re-check on the printed line is itself a rounded amount: convert then mark up
    rounds the converted cost to the invoice currency first; mark up then convert rounds the
    marked-up cost in the expense's own currency first. Either may differ from ``once`` by a
    cent; the contract, not the integration, decides which one the client agreed to."""
    policy = contract.expense_policy
    markup = 1 + (policy.markup_percent if policy is not None else Decimal(0)) / 100
    rule, currency = contract.rounding, contract.currency
    if policy is None or policy.rounding == "once":
        return round_amount(expense.amount * rate * markup, currency, rule)
    if policy.conversion == "convert_then_markup":
        return round_amount(round_amount(expense.amount * rate, currency, rule) * markup,
                            currency, rule)  # fmt: skip
    marked_up = round_amount(expense.amount * markup, expense.currency, rule)
    return round_amount(marked_up * rate, currency, rule)


def price_expense(expense: Expense, rate: Decimal, contract: Contract) -> InvoiceLine:
    """An expense's line: see ``expense_amount`` for its amount."""
    policy = contract.expense_policy
    markup = policy.markup_percent if policy is not None else Decimal(0)
    amount = expense_amount(expense, rate, contract)
    version = contract.version_on(expense.day) or contract.versions[0]
    note = f", +{markup}%" if markup else ""
    return InvoiceLine(
        description=f"Expense {expense.day} {expense.category}: {expense.amount} "
        f"{expense.currency} at {rate}{note}",
        quantity=Decimal(1),
        unit_price=amount,
        amount=amount,
        source_ids=(source_id("expense", expense.id),),
        contract_version_id=version.id,
    )


def price_milestone(psa_id: str, milestone: Milestone, contract: Contract) -> InvoiceLine:
    version = contract.version_on(milestone.due) or contract.versions[0]
    return InvoiceLine(
        description=f"Milestone: {milestone.title}",
        quantity=Decimal(1),
        unit_price=milestone.amount.amount,
        amount=milestone.amount.amount,
        source_ids=(source_id("billing_milestone", psa_id),),
        contract_version_id=version.id,
    )


@functools.cache
def _hours_shown(minutes: int) -> Decimal:
    """The hours a line shows for ``minutes``: one shared Decimal per duration (a billed line
    keeps it for the run; a firm logs a few dozen distinct durations)."""
    return (Decimal(minutes) / MINUTES_PER_HOUR).quantize(HOURS_SHOWN)


class TimePrice:
    """Prices one time entry on whatever contract version applies when it is invoiced (plain
    data rather than a closure, so the core's durable store can keep it).

    A pending or billed item keeps one of these for the whole run, so it keeps only what
    pricing reads, in slots: the entry's id, day and minutes, and who worked it (name, role,
    country: interned, so the firm's few hundred distinct values are shared by every item),
    not the ``TimeEntry`` and ``Resource`` models the PSA adapter built (two pydantic
    objects with their dicts and field sets: ~2 KB an item, the core's largest retainer in
    issue 14's profile). ``TimePrice(entry, resource)`` still takes the models."""

    __slots__ = ("country", "day", "entry_id", "minutes", "name", "role")

    def __init__(self, entry: TimeEntry, resource: Resource) -> None:
        self.entry_id = entry.id
        self.day = entry.work_date
        self.minutes = entry.minutes
        self.name = sys.intern(resource.name)
        self.role = sys.intern(resource.role)
        self.country = sys.intern(resource.country)

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        """Unpickled (a restarted core's ledger): who worked it interned again."""
        for slot, value in state[1].items():
            shared = slot in ("name", "role", "country")
            object.__setattr__(self, slot, sys.intern(value) if shared else value)

    def __call__(self, contract: Contract) -> InvoiceLine:
        return _price_hours(self.entry_id, self.day, self.minutes, self.name, self.role,
                            self.country, contract)  # fmt: skip

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimePrice):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"TimePrice({self.entry_id!r}, {self.day}, {self.minutes}, {self.name!r})"

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class ExpensePrice:
    expense: Expense
    rate: Decimal

    def __call__(self, contract: Contract) -> InvoiceLine:
        return price_expense(self.expense, self.rate, contract)


@dataclass(frozen=True, slots=True)
class MilestonePrice:
    psa_id: str
    milestone: Milestone

    def __call__(self, contract: Contract) -> InvoiceLine:
        return price_milestone(self.psa_id, self.milestone, contract)


@dataclass(frozen=True, slots=True)
class FixedPrice:
    """A line settled when it was queued (adjustments, service credits)."""

    line: InvoiceLine

    def __call__(self, _contract: Contract) -> InvoiceLine:
        return self.line
