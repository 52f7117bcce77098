"""Money and the core's pricing: Decimal amounts, explicit rounding rules, version selection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from orchestrator.model import Contract, ContractVersion, RateCardVersion, Resource, TimeEntry
from orchestrator.money import Money, RoundingRule, minor_unit, round_amount
from orchestrator.pricing import PricingError, price_time

D = Decimal


@pytest.mark.parametrize(
    ("amount", "currency", "rule", "expected"),
    [
        (D("12.125"), "EUR", RoundingRule.HALF_UP, D("12.13")),
        (D("12.125"), "EUR", RoundingRule.HALF_EVEN, D("12.12")),
        (D("12.135"), "EUR", RoundingRule.HALF_EVEN, D("12.14")),
        (D("12.129"), "EUR", RoundingRule.DOWN, D("12.12")),
        (D("1234.5"), "JPY", RoundingRule.HALF_EVEN, D("1234")),
        (D("1.2345"), "KWD", RoundingRule.HALF_UP, D("1.235")),
        (D("-0.005"), "USD", RoundingRule.HALF_UP, D("-0.01")),
    ],
)
def test_round_amount_follows_the_named_rule(
    amount: Decimal, currency: str, rule: RoundingRule, expected: Decimal
) -> None:
    """Each rule rounds half cents its own way, to the currency's ISO 4217 minor unit."""
    assert round_amount(amount, currency, rule) == expected
    assert round_amount(amount, currency, rule).as_tuple().exponent == -minor_unit(currency)


def test_unknown_currency_is_refused() -> None:
    """A code that is not ISO 4217 never becomes Money."""
    with pytest.raises(ValidationError):
        Money(amount=D(1), currency="EURO")
    with pytest.raises(ValueError, match="unknown ISO 4217"):
        minor_unit("XYZ")


def test_money_does_not_mix_currencies() -> None:
    """Adding EUR to GBP is an error, not a number."""
    total = Money.of(D("1.005"), "EUR", RoundingRule.HALF_UP) + Money(amount=D(2), currency="EUR")
    assert total == Money(amount=D("3.01"), currency="EUR")
    with pytest.raises(ValueError, match="cannot add"):
        _ = total + Money(amount=D(1), currency="GBP")


def _contract() -> Contract:
    executed = datetime(2026, 1, 5, tzinfo=UTC)

    def version(n: int, start: date, rate: str) -> ContractVersion:
        card = RateCardVersion(
            version=n, effective_from=start, currency="EUR", rates={"engineer": {"IN": D(rate)}}
        )
        return ContractVersion(id=f"rec/v{n}", number=n, executed_at=executed, rate_card=card)

    return Contract(
        id="rec",
        reference="C-1",
        customer_name="Acme",
        customer_country="DE",
        legal_entity_id="DE01",
        currency="EUR",
        rounding=RoundingRule.HALF_EVEN,
        opportunity_id="006",
        versions=(version(1, date(2026, 1, 1), "48.50"), version(2, date(2026, 4, 1), "50.50")),
    )


def _entry(day: date, minutes: int) -> TimeEntry:
    return TimeEntry(
        id="7", project_id="w", resource_id="u", work_date=day, minutes=minutes, billable=True
    )


def test_price_time_uses_the_version_in_force_and_the_contract_rule() -> None:
    """15 min at 48.50 is 12.125 -> 12.12 (half-even); from April the v2 rate applies."""
    who = Resource(id="u", name="Asha", role="engineer", country="IN")
    march = price_time(_entry(date(2026, 3, 31), 15), who, _contract())
    assert (march.amount, march.unit_price, march.contract_version_id) == (
        D("12.12"),
        D("48.50"),
        "rec/v1",
    )
    april = price_time(_entry(date(2026, 4, 1), 45), who, _contract())
    assert (april.amount, april.quantity, april.contract_version_id) == (
        D("37.88"),
        D("0.75"),
        "rec/v2",
    )  # 0.75 x 50.50 = 37.875 -> 37.88 (8 is even)
    assert april.source_ids == ("psa:time_entry:7",)


def test_price_time_refuses_what_the_contract_does_not_price() -> None:
    """No version in force, or no rate for the role/country, is an error, never a zero."""
    who = Resource(id="u", name="Asha", role="engineer", country="IN")
    with pytest.raises(PricingError, match="no contract version"):
        price_time(_entry(date(2025, 12, 31), 60), who, _contract())
    stranger = Resource(id="u", name="Sam", role="architect", country="IN")
    with pytest.raises(PricingError, match="no rate for architect in IN"):
        price_time(_entry(date(2026, 2, 2), 60), stranger, _contract())


@pytest.mark.parametrize(
    ("minutes", "rate", "rule", "expected"),
    [
        (8, "50.10", RoundingRule.DOWN, "6.68"),  # 8 x 50.10 / 60 = 6.68 exactly
        (10, "50.07", RoundingRule.HALF_EVEN, "8.34"),  # 8.345 -> 8.34 (4 is even)
        (10, "50.07", RoundingRule.HALF_UP, "8.35"),
        (7, "99.99", RoundingRule.HALF_UP, "11.67"),  # 11.6655 -> 11.67
    ],
)
def test_price_time_divides_last(
    minutes: int, rate: str, rule: RoundingRule, expected: str
) -> None:
    """Minute-level entries: minutes x rate / 60 rounded once, never via inexact hours."""
    contract = _contract().model_copy(update={"rounding": rule})
    card = RateCardVersion(
        version=1,
        effective_from=date(2026, 1, 1),
        currency="EUR",
        rates={"engineer": {"IN": D(rate)}},
    )
    contract = contract.model_copy(
        update={"versions": (contract.versions[0].model_copy(update={"rate_card": card}),)}
    )
    who = Resource(id="u", name="Asha", role="engineer", country="IN")
    line = price_time(_entry(date(2026, 2, 2), minutes), who, contract)
    assert line.amount == D(expected)
    assert abs(line.quantity * line.unit_price - line.amount) < D("0.01")
