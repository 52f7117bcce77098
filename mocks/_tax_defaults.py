"""Default data of the tax engine mock's rule book (``TaxRules.default()``).

A snapshot of standard rates in force in 2024; scenarios override what they need.
"""

from __future__ import annotations

__all__ = ["EU_VAT", "NAMES", "OTHER_VAT", "US_SERVICE_RATES", "US_STATES"]

EU_VAT = {  # standard rates in force in 2024, as (rate, VAT id pattern incl. country prefix)
    "AT": ("0.20", r"ATU\d{8}"),
    "BE": ("0.21", r"BE[01]\d{9}"),
    "BG": ("0.20", r"BG\d{9,10}"),
    "CY": ("0.19", r"CY\d{8}[A-Z]"),
    "CZ": ("0.21", r"CZ\d{8,10}"),
    "DE": ("0.19", r"DE\d{9}"),
    "DK": ("0.25", r"DK\d{8}"),
    "EE": ("0.22", r"EE\d{9}"),
    "ES": ("0.21", r"ES[A-Z0-9]\d{7}[A-Z0-9]"),
    "FI": ("0.24", r"FI\d{8}"),
    "FR": ("0.20", r"FR[A-HJ-NP-Z0-9]{2}\d{9}"),
    "GR": ("0.24", r"EL\d{9}"),
    "HR": ("0.25", r"HR\d{11}"),
    "HU": ("0.27", r"HU\d{8}"),
    "IE": ("0.23", r"IE\d[A-Z0-9+*]\d{5}[A-W][A-I]?"),
    "IT": ("0.22", r"IT\d{11}"),
    "LT": ("0.21", r"LT(\d{9}|\d{12})"),
    "LU": ("0.17", r"LU\d{8}"),
    "LV": ("0.21", r"LV\d{11}"),
    "MT": ("0.18", r"MT\d{8}"),
    "NL": ("0.21", r"NL\d{9}B\d{2}"),
    "PL": ("0.23", r"PL\d{10}"),
    "PT": ("0.23", r"PT\d{9}"),
    "RO": ("0.19", r"RO\d{2,10}"),
    "SE": ("0.25", r"SE\d{10}01"),
    "SI": ("0.22", r"SI\d{8}"),
    "SK": ("0.20", r"SK\d{10}"),
}
OTHER_VAT = {
    "GB": ("0.20", r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})"),
    "CH": ("0.081", r"CHE\d{9}(MWST|TVA|IVA)"),
    "NO": ("0.25", r"NO\d{9}MVA"),
}
US_SERVICE_RATES = {  # state-level rate on professional / data-processing services
    "CT": "0.0635",
    "HI": "0.04",
    "NM": "0.04875",
    "SD": "0.042",
    "TX": "0.0625",
    "WA": "0.065",
}
US_STATES = [
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
    "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
    "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VA", "VT", "WA", "WI", "WV", "WY",
]  # fmt: skip
NAMES = {
    "AT": "AUSTRIA", "BE": "BELGIUM", "BG": "BULGARIA", "CY": "CYPRUS", "CZ": "CZECHIA",
    "DE": "GERMANY", "DK": "DENMARK", "EE": "ESTONIA", "ES": "SPAIN", "FI": "FINLAND",
    "FR": "FRANCE", "GR": "GREECE", "HR": "CROATIA", "HU": "HUNGARY", "IE": "IRELAND",
    "IT": "ITALY", "LT": "LITHUANIA", "LU": "LUXEMBOURG", "LV": "LATVIA", "MT": "MALTA",
    "NL": "NETHERLANDS", "PL": "POLAND", "PT": "PORTUGAL", "RO": "ROMANIA", "SE": "SWEDEN",
    "SI": "SLOVENIA", "SK": "SLOVAKIA", "GB": "UNITED KINGDOM", "CH": "SWITZERLAND",
    "NO": "NORWAY", "US": "UNITED STATES", "IN": "INDIA",
}  # fmt: skip
