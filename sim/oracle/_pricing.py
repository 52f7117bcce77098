"""What an item should cost, by the oracle's own arithmetic: the rate of the contract version
in force on the work date, minutes x rate / 60, expenses converted at the ERP's published rate
plus markup, each rounded once by the contract's rule to the currency's minor unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from sim.scenario.format import CURRENCIES, ContractSpec

__all__ = [
    "MINOR",
    "READINGS",
    "ROUNDING",
    "Rates",
    "expected_expense_amount",
    "expected_time_amount",
]

MINOR = CURRENCIES
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def _round(amount: Decimal, currency: str, rule: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-MINOR[currency]), rounding=ROUNDING[rule])


def _version_on(contract: ContractSpec, day: date) -> int:
    """Number of the contract version in force on ``day``: the latest one already effective."""
    number = 0
    for version in contract.versions:
        if version.effective <= day:
            number = version.number
    return number


def expected_time_amount(
    contract: ContractSpec,
    role: str,
    country: str,
    day: date,
    minutes: int,
    version: int | None = None,
    rule: str | None = None,
) -> Decimal:
    """hours x rate of the version in force, rounded by the contract's rule."""
    number = version if version is not None else _version_on(contract, day)
    rates = contract.versions[number - 1].rates
    exact = Decimal(minutes) * rates[role][country] / Decimal(60)
    return _round(exact, contract.currency, rule or contract.rounding)


Rates = Callable[[str, str, date], Decimal]  # (from currency, to currency, day) -> rate


def _markup(contract: ContractSpec) -> Decimal:
    return contract.expense_policy.markup_percent if contract.expense_policy else Decimal(0)


def expected_expense_amount(
    contract: ContractSpec,
    amount: Decimal,
    rate: Decimal,
    currency: str | None = None,
    reading: tuple[str, str] | None = None,
) -> Decimal:
    """Cost (in ``currency``) converted at the ERP's published rate, plus markup, by the
    contract's rounding rule: rounded once at the end, or after each step in the order the
    expense policy says (``reading``: (conversion, rounding) to price it another way)."""
    policy = contract.expense_policy
    conversion, rounding = reading or (
        (policy.conversion, policy.rounding) if policy else ("convert_then_markup", "once")
    )
    factor, rule, into = 1 + _markup(contract) / 100, contract.rounding, contract.currency
    if rounding == "once":
        return _round(amount * rate * factor, into, rule)
    if conversion == "convert_then_markup":
        return _round(_round(amount * rate, into, rule) * factor, into, rule)
    return _round(_round(amount * factor, currency or into, rule) * rate, into, rule)


READINGS = (
    ("convert_then_markup", "once"),
    ("convert_then_markup", "each_step"),
    ("markup_then_convert", "each_step"),
)
