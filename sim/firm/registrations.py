"""Clients' tax registrations as the firm holds them: a well-formed VAT id in Europe, an EIN
in the US, a GSTIN in India; or a mistyped one, or none (the scenario says which).

VAT ids follow each country's official format (the EU's VIES formats, the UK's, Switzerland's
UID with its MWST suffix, Norway's MVA). Faker's own ``vat_id`` is not used: for several
countries it is missing or differs from the official format, and a "valid" id the tax engine
must reject would turn a reverse charge into VAT that the oracle does not expect.
"""

from __future__ import annotations

from typing import Any

__all__ = ["VAT_ID_SHAPES", "tax_id"]

# Faker ``bothify`` masks: # a digit, ? an upper-case letter
VAT_ID_SHAPES = {
    "AT": "ATU########", "BE": "BE0#########", "BG": "BG#########", "CY": "CY########?",
    "CZ": "CZ########", "DE": "DE#########", "DK": "DK########", "EE": "EE#########",
    "ES": "ESX#######?", "FI": "FI########", "FR": "FR###########", "GR": "EL#########",
    "HR": "HR###########", "HU": "HU########", "IE": "IE#######W", "IT": "IT###########",
    "LT": "LT#########", "LU": "LU########", "LV": "LV###########", "MT": "MT########",
    "NL": "NL#########B01", "PL": "PL##########", "PT": "PT#########", "RO": "RO########",
    "SE": "SE##########01", "SI": "SI########", "SK": "SK##########", "GB": "GB#########",
    "CH": "CHE#########MWST", "NO": "NO#########MVA",
}  # fmt: skip
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tax_id(fake: Any, country: str, kind: str) -> str | None:
    """The registration number for a client in ``country``; ``kind`` is the scenario's
    ``vat_id`` (valid, malformed or none)."""
    if kind == "none":
        return None
    if kind == "malformed":
        return str(fake.bothify(f"{country}###"))
    shape = VAT_ID_SHAPES.get(country)
    if shape is not None:
        return str(fake.bothify(shape, letters=_LETTERS))
    if country == "US":
        return str(fake.ein())
    if country == "IN":
        return str(fake.bothify("27?????####?1Z#", letters=_LETTERS))
    return str(fake.bothify(f"{country}#########"))
