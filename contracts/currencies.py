"""ISO 4217 currencies in use and their minor units: what every spec's amounts are counted in.

The core, the mocks and the simulator each round to a currency's minor unit and each refuse a
currency they do not know, so they must agree on the table; it is reference data, not code under
test, and it comes from Babel (CLDR, pinned in pyproject.toml) rather than from hand copies.

Two honest adjustments to Babel's data:

- **Which currencies.** A currency is in use when CLDR lists it as legal tender in some territory
  with no end date (Babel's ``territory_currencies``). Funds, metals and test codes (``CLF``,
  ``XAU``, ``XTS``) and retired currencies (``DEM``, ``HRK``) are not. Read from the pinned data,
  never by today's date, so a run does not depend on the wall clock.
- **Which minor unit.** ``babel.numbers.get_currency_precision`` gives CLDR's ``digits``: how
  many decimals people are shown, which is 0 where no coin below the unit circulates. The
  vendors we mirror count amounts by ISO 4217's minor unit instead (Stripe's amounts in the
  smallest unit, Business Central's rounding precision, AvaTax's document amounts), and for
  the codes in ``ISO_WHERE_CLDR_DIFFERS`` the two disagree (a forint has 100 fillér in ISO 4217,
  CLDR shows none). There ISO 4217 wins; a test fails once Babel agrees, so the list only
  shrinks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

__all__ = ["ISO_WHERE_CLDR_DIFFERS", "MINOR_UNITS", "MinorUnits", "in_use"]

# ISO 4217 minor units where CLDR's digits differ. Source: ISO 4217 List One (current funds),
# column "Minor unit" (CcyMnrUnts), as published by SIX Financial Information, the standard's
# maintenance agency; compared with Babel 2.19.0 (CLDR) over every currency in use.
ISO_WHERE_CLDR_DIFFERS: dict[str, int] = {
    "AFN": 2, "ALL": 2, "COP": 2, "HUF": 2, "IDR": 2, "IQD": 3, "IRR": 2, "KPW": 2, "LAK": 2,
    "LBP": 2, "MGA": 2, "MMK": 2, "SOS": 2, "SYP": 2, "YER": 2,
}  # fmt: skip


@functools.cache
def in_use() -> frozenset[str]:
    """Every currency that is legal tender somewhere and has not been withdrawn (per CLDR)."""
    from babel.core import get_global  # loaded on first use: ``q2c --help`` needs none of it

    return frozenset(
        code
        for entries in get_global("territory_currencies").values()
        for code, _start, end, tender in entries
        if tender and end is None
    )


def _iso_minor_unit(code: str) -> int:
    from babel.numbers import get_currency_precision

    fixed = ISO_WHERE_CLDR_DIFFERS.get(code)
    return fixed if fixed is not None else int(get_currency_precision(code))


class MinorUnits(Mapping[str, int]):
    """Currency code -> decimals of its ISO 4217 minor unit (JPY 0, EUR 2, KWD 3), for
    ``codes`` or every currency in use; read from Babel on first use. A code not in use is
    missing (``KeyError``), never given a default."""

    def __init__(self, codes: Iterable[str] | None = None) -> None:
        self._codes = None if codes is None else tuple(codes)

    @functools.cached_property
    def _table(self) -> dict[str, int]:
        current = in_use()
        codes = sorted(current) if self._codes is None else self._codes
        unknown = [c for c in codes if c not in current]
        if unknown:
            raise ValueError(f"not ISO 4217 currencies in use: {unknown}")
        return {code: _iso_minor_unit(code) for code in codes}

    def __getitem__(self, code: str) -> int:
        return self._table[code]

    def __contains__(self, code: object) -> bool:
        return code in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


MINOR_UNITS = MinorUnits()
