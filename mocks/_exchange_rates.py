"""The ERP's published daily exchange rates: a deterministic series, owned by the ERP mock.

Rates move like real ones (a slow swing of a few percent plus daily noise) but come from
arithmetic on the date and the currency code, never from a random generator or the wall
clock, so every run and every reader sees the same rate for the same day.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

__all__ = ["PER_EUR", "daily_rate"]

# Units of each currency for one euro, at the series' mid-point.
PER_EUR = {
    "EUR": Decimal("1"), "USD": Decimal("1.0850"), "GBP": Decimal("0.8550"),
    "INR": Decimal("90.25"), "JPY": Decimal("162.40"), "CHF": Decimal("0.9450"),
    "SEK": Decimal("11.45"), "PLN": Decimal("4.32"), "CAD": Decimal("1.4750"),
    "AUD": Decimal("1.6450"), "SGD": Decimal("1.4550"),
}  # fmt: skip
_PERIOD = 120  # days for a full swing
_SWING = Decimal("0.06")  # peak to trough
_NOISE = Decimal("0.005")  # at most half a percent a day


def _per_eur(currency: str, day: date) -> Decimal:
    if currency == "EUR":
        return Decimal(1)
    seed = int.from_bytes(hashlib.sha256(f"{currency}:{day.isoformat()}".encode()).digest()[:4])
    phase = sum(map(ord, currency)) % _PERIOD
    position = (day.toordinal() + phase) % _PERIOD
    triangle = Decimal(abs(position - _PERIOD // 2)) / Decimal(_PERIOD // 2)  # 0..1
    noise = Decimal(seed % 2001 - 1000) / Decimal(1000) * _NOISE
    return PER_EUR[currency] * (1 + (triangle - Decimal("0.5")) * _SWING) * (1 + noise)


def daily_rate(currency: str, local: str, day: date) -> Decimal:
    """Units of ``local`` currency for one unit of ``currency`` on ``day`` (6 decimals)."""
    if currency not in PER_EUR or local not in PER_EUR:
        raise KeyError(f"no exchange rate for {currency} -> {local}")
    if currency == local:
        return Decimal("1.000000")
    return (_per_eur(local, day) / _per_eur(currency, day)).quantize(Decimal("0.000001"))
