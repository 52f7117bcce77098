"""The ISO 4217 table every layer rounds by: Babel's data, corrected to ISO where CLDR differs."""

from __future__ import annotations

from typing import get_args

import pytest
from babel.numbers import get_currency_precision

from contracts.currencies import ISO_WHERE_CLDR_DIFFERS, MINOR_UNITS, MinorUnits, in_use
from mocks import PER_EUR
from orchestrator.money import minor_unit
from sim.scenario.format import CURRENCIES, Currency

# The four hand tables this table replaced (core, scenario, ERP mock, tax mock), merged: ISO 4217
# minor units, which must not change for any currency a scenario, spec or test uses.
HAND_TABLES = {
    "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "INR": 2, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "NOK": 2,
    "NZD": 2, "OMR": 3, "PLN": 2, "RON": 2, "SEK": 2, "SGD": 2, "USD": 2, "ZAR": 2,
}  # fmt: skip


def test_every_currency_the_hand_tables_knew_keeps_its_minor_unit() -> None:
    """HUF has 2 decimals in ISO 4217 though Babel (CLDR) shows none: ISO wins."""
    assert {code: MINOR_UNITS[code] for code in HAND_TABLES} == HAND_TABLES
    assert get_currency_precision("HUF") == 0


def test_each_correction_still_differs_from_babel() -> None:
    """A correction Babel has caught up with is dead weight: drop it when this fails."""
    stale = {c: d for c, d in ISO_WHERE_CLDR_DIFFERS.items() if get_currency_precision(c) == d}
    assert stale == {}
    assert set(ISO_WHERE_CLDR_DIFFERS) <= in_use()


def test_only_currencies_in_use_are_known() -> None:
    """Funds, metals, test codes and withdrawn currencies are not priced; unknown is an error."""
    assert {"EUR", "JPY", "KWD", "XOF"} <= set(MINOR_UNITS)
    for code in ("XAU", "CLF", "XTS", "DEM", "HRK", "XYZ"):
        assert code not in MINOR_UNITS
        with pytest.raises(KeyError):
            MINOR_UNITS[code]
    with pytest.raises(ValueError, match="XAU"):
        len(MinorUnits(["EUR", "XAU"]))
    with pytest.raises(ValueError, match="unknown ISO 4217 currency"):
        minor_unit("XAU")


def test_a_scenario_bills_only_in_currencies_the_world_can_price() -> None:
    """The scenario's currencies are those the ERP publishes exchange rates for, each ISO."""
    assert set(get_args(Currency)) == set(PER_EUR)
    assert dict(CURRENCIES) == {code: MINOR_UNITS[code] for code in get_args(Currency)}
