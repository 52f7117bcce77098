"""Money for a finance reader: each currency in its own symbol and grouping, and conversion to one
reporting currency at the exchange rates the run's ERP published (books/erp-exchange-rates.json).

Amounts stay `Decimal` end to end; Babel (CLDR data) knows symbols, minor units and grouping
(Indian lakh/crore grouping for INR), so none of that is hand-written here.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

# The locale each currency is written in: English everywhere, India's grouping for the rupee.
_LOCALES = {"INR": "en_IN"}
_DEFAULT_LOCALE = "en"
_ZERO = Decimal(0)
# CLDR's currency spacing, which Babel does not apply: a code of letters is kept apart from the
# digits by a no-break space (SEK 1,063.75, not SEK1,063.75); symbols (€, ₹, $) stay attached.
_CODE_THEN_DIGIT = re.compile(r"([A-Za-z])(?=\d)")


def money(amount: Decimal | None, currency: str, signed: bool = False) -> str:
    """`Decimal("27316687.69"), "INR"` -> `₹2,73,16,687.69`, `"SEK"` -> `SEK 1,063.75` (a
    no-break space after a letter code); None -> an em dash.

    Zero is always written as the currency's zero (`€0.00`), never blank or a bare `0`.
    """
    if amount is None:
        return "—"
    locale = _LOCALES.get(currency, _DEFAULT_LOCALE)
    text = _CODE_THEN_DIGIT.sub("\\1\u00a0", format_currency(amount, currency, locale=locale))
    if signed and amount > 0:
        return "+" + text
    return text


def minor_units(currency: str) -> int:
    """Digits after the decimal point for `currency` (2 for EUR, 0 for JPY), per CLDR."""
    return int(get_currency_precision(currency))


@dataclass
class Converter:
    """Converts to one reporting currency at the latest rate the run's ERP published.

    The ERP publishes only the pairs the run needed (expenses paid in one currency and billed in
    another), so a currency may reach the reporting one only through another (INR -> GBP -> EUR),
    or not at all: then `convert` answers None and the report says the rate is missing.
    """

    reporting: str
    rates: dict[tuple[str, str], tuple[str, Decimal]] = field(default_factory=dict)
    # (from, to) -> (date, units of `to` per one `from`): the latest published on or before `asof`

    @classmethod
    def from_books(cls, reporting: str, rows: list[dict[str, object]], asof: str) -> Converter:
        latest: dict[tuple[str, str], tuple[str, Decimal]] = {}
        for row in rows:
            base, local, day = str(row["currency"]), str(row["local"]), str(row["date"])
            rate = Decimal(str(row["rate"]))
            if base == local or not rate or day > asof:
                continue
            for pair, value in (((base, local), rate), ((local, base), 1 / rate)):
                if pair not in latest or latest[pair][0] < day:
                    latest[pair] = (day, value)
        return cls(reporting, latest)

    def path(self, currency: str) -> list[str] | None:
        """The currencies a conversion passes through, shortest first; None when unreachable."""
        if currency == self.reporting:
            return [currency]
        seen = {currency: [currency]}
        queue = deque([currency])
        while queue:
            here = queue.popleft()
            for base, local in sorted(self.rates):
                if base == here and local not in seen:
                    seen[local] = [*seen[here], local]
                    if local == self.reporting:
                        return seen[local]
                    queue.append(local)
        return None

    def rate(self, currency: str) -> Decimal | None:
        """Units of the reporting currency for one `currency`; None when no rate reaches it."""
        steps = self.path(currency)
        if steps is None:
            return None
        rate = Decimal(1)
        for base, local in itertools.pairwise(steps):
            rate *= self.rates[(base, local)][1]
        return rate

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        """`amount` in the reporting currency, rounded to its minor unit; None without a rate."""
        rate = self.rate(currency)
        if rate is None:
            return None
        return (amount * rate).quantize(Decimal(1).scaleb(-minor_units(self.reporting)))

    def describe(self, currency: str) -> str:
        """How `currency` is converted, for a footnote: `INR -> GBP -> EUR at ... (2026-06-30)`."""
        steps = self.path(currency)
        if steps is None:
            return f"{currency}: no exchange rate to {self.reporting} in the run's books"
        if len(steps) == 1:
            return f"{currency}: reporting currency"
        parts = [
            f"1 {a} = {self.rates[(a, b)][1]:.6f} {b} ({self.rates[(a, b)][0]})"
            for a, b in itertools.pairwise(steps)
        ]
        return f"{currency}: " + "; ".join(parts)


def total_converted(amounts: dict[str, Decimal], converter: Converter) -> tuple[Decimal, list[str]]:
    """Sum of `amounts` (currency -> amount) in the reporting currency, and the currencies that
    could not be converted (left out of the sum, and named so the reader knows)."""
    total, missing = _ZERO, []
    for currency, amount in sorted(amounts.items()):
        converted = converter.convert(amount, currency)
        if converted is None:
            if amount:
                missing.append(currency)
            continue
        total += converted
    return total, missing
