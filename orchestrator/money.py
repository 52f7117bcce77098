"""Money: a ``Decimal`` amount in an ISO 4217 currency, rounded by an explicit rule.

Floats never touch an amount. Every rounding names its rule, because "round to the cent" is
ambiguous exactly where invoices disagree: at the half cent.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from contracts.currencies import MINOR_UNITS

__all__ = ["MINOR_UNITS", "Money", "RoundingRule", "minor_unit", "round_amount"]

# MINOR_UNITS: every ISO 4217 currency in use, by the decimals of its minor unit (Babel's data,
# corrected to ISO 4217 where CLDR shows fewer decimals; contracts.currencies says which and why).


class RoundingRule(StrEnum):
    """How an amount is brought to the currency's minor unit."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self.value]


_DECIMAL_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def minor_unit(currency: str) -> int:
    """Digits after the decimal point for ``currency``; unknown codes are an error."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise ValueError(f"unknown ISO 4217 currency {currency!r}") from None


def round_amount(amount: Decimal, currency: str, rule: RoundingRule) -> Decimal:
    """Round ``amount`` to the minor unit of ``currency`` by ``rule``."""
    how = _ROUNDING.get((currency, rule))
    if how is None:  # once per currency and rule: every priced line rounds (issue 14)
        how = _ROUNDING[(currency, rule)] = (
            Decimal(1).scaleb(-minor_unit(currency)),
            _DECIMAL_MODES[RoundingRule(rule).value],
        )
    return amount.quantize(how[0], rounding=how[1])


# (currency, rule) -> (quantum, decimal mode): bounded by ISO 4217 times three rules
_ROUNDING: dict[tuple[str, str], tuple[Decimal, str]] = {}


def _known_currency(code: str) -> str:
    minor_unit(code)
    return code


Currency = Annotated[str, AfterValidator(_known_currency)]


class Money(BaseModel):
    """An amount already rounded to its currency's minor unit."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: Currency

    @classmethod
    def of(cls, amount: Decimal, currency: str, rule: RoundingRule) -> Money:
        return cls(amount=round_amount(amount, currency, rule), currency=currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
