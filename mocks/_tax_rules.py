"""The tax engine mock's own rule book and the calculation it drives.

Everything here is the tax vendor's view of the world: jurisdictions, rates, VAT ids and how
taxes round. It is deliberately a separate copy from anything the orchestrator or the oracle
knows (the brief: the mocks share nothing with the code under test).

Which tax applies to a sale of services (the only thing the firm sells), in this order:

1. Seller in a VAT country (``vat_rates``), buyer in the same country: that country's VAT.
2. Seller and buyer in two different EU members (``eu_members``): reverse charge (tax 0, the
   buyer accounts for the VAT) when ``businessIdentificationNo`` is a well-formed VAT id of the
   buyer's country (``vat_id_patterns``); otherwise the buyer is treated as a consumer and the
   seller's VAT applies (B2C services are taxed where the supplier is, art. 45 of the VAT
   directive), with a warning when an id was given but is malformed.
3. Seller in a VAT country, buyer outside its VAT area (outside the EU for an EU seller, outside
   the UK for a UK seller, ...): out of scope, tax 0.
4. Seller in the US, buyer in the US: the buyer's state (``shipTo.region``) taxes services at
   ``us_service_rates[state]``; a state not in that table does not tax services. Buyer abroad:
   no US sales tax.
5. Seller in India, buyer in India: GST at ``gst_rate``; the same state splits it into CGST and
   SGST (half each), another state is IGST. Buyer abroad: zero-rated export.
6. Any other seller country has no tax profile: a 422 naming ``addresses.shipFrom.country``.

A line whose ``taxCode`` is in ``non_taxable_codes`` (AvaTax's ``NT``) is never taxed.

Rounding, per taxing jurisdiction (``rounding``, else ``default_rounding``), to the currency's
minor unit (ISO 4217, ``contracts.currencies``), half-up (away from zero):

- ``line``: each line's tax is rounded, the document's tax is the sum of the rounded lines;
- ``document``: per tax (jurisdiction, tax name and rate) the unrounded line taxes are summed and
  the sum is rounded once; the rounded total is then allocated to the lines by the largest
  remainder method: each line gets its tax rounded down (towards minus infinity), and the
  minor units still missing go one each to the lines with the largest dropped remainder,
  earlier lines first on a tie. Line taxes therefore always add up to the document's tax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mocks._tax_defaults import EU_VAT, NAMES, OTHER_VAT, US_SERVICE_RATES, US_STATES

__all__ = ["Levy", "Rounding", "RuleError", "Sourcing", "TaxRules", "compute", "source"]

Rounding = Literal["line", "document"]
Rate = Decimal


class TaxRules(BaseModel):
    """The tax profile the engine calculates with (the simulator builds one per scenario)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vat_rates: dict[str, Rate] = Field(description="country -> standard VAT rate on services")
    eu_members: list[str] = Field(description="countries inside the EU VAT area")
    vat_id_patterns: dict[str, str] = Field(
        description="country -> regular expression a well-formed VAT id matches in full"
    )
    us_service_rates: dict[str, Rate] = Field(
        default_factory=dict, description="US state -> rate; a state not listed is exempt"
    )
    us_states: list[str] = Field(description="the valid US region codes")
    gst_rate: Rate = Field(default=Decimal("0.18"), description="India GST on services")
    rounding: dict[str, Rounding] = Field(
        default_factory=dict, description="taxing country -> rounding level"
    )
    default_rounding: Rounding = "line"
    non_taxable_codes: list[str] = Field(default_factory=lambda: ["NT"])
    jurisdiction_names: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> TaxRules:
        rates = [*self.vat_rates.values(), *self.us_service_rates.values(), self.gst_rate]
        if any(not Decimal(0) <= r < Decimal(1) for r in rates):
            raise ValueError("every rate must be a fraction in [0, 1)")
        missing = [c for c in self.eu_members if c not in self.vat_rates]
        if missing:
            raise ValueError(f"EU members without a VAT rate: {missing}")
        for country, pattern in self.vat_id_patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"VAT id pattern of {country} is invalid: {exc}") from None
        return self

    @classmethod
    def default(cls) -> TaxRules:
        """EU-27 + GB, CH, NO VAT; six US states taxing services; India GST 18%; line rounding."""
        vat = {**EU_VAT, **OTHER_VAT}
        return cls(
            vat_rates={c: Decimal(rate) for c, (rate, _) in vat.items()},
            eu_members=list(EU_VAT),
            vat_id_patterns={c: pattern for c, (_, pattern) in vat.items()},
            us_service_rates={s: Decimal(r) for s, r in US_SERVICE_RATES.items()},
            us_states=list(US_STATES),
            jurisdiction_names=dict(NAMES),
        )

    def vat_area(self, country: str) -> str:
        return "EU" if country in self.eu_members else country

    def valid_vat_id(self, country: str, vat_id: str) -> bool:
        pattern = self.vat_id_patterns.get(country)
        return pattern is not None and re.fullmatch(pattern, _compact(vat_id)) is not None

    def name(self, code: str) -> str:
        return self.jurisdiction_names.get(code, code)


def _compact(vat_id: str) -> str:
    return re.sub(r"[\s.\-]", "", vat_id).upper()


class RuleError(ValueError):
    """The rules cannot tax this sale; ``field`` names the request field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Levy:
    """One tax a jurisdiction lays on a line (a detail row and a summary row)."""

    country: str
    region: str | None
    juris_type: Literal["CNT", "STA"]
    juris_code: str
    juris_name: str
    tax_name: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class Sourcing:
    """Where a sale is taxed: the levies, whether the seller charges them, and notes."""

    levies: tuple[Levy, ...]
    charged: bool  # False: reverse charge, out of scope, export or a non-taxable service
    jurisdiction: str  # the taxing country, whose rounding level applies
    messages: tuple[dict[str, str], ...] = ()


def _note(summary: str, details: str, refers_to: str, severity: str = "Success") -> dict[str, str]:
    return {
        "summary": summary,
        "details": details,
        "refersTo": refers_to,
        "severity": severity,
        "source": "TaxRules",
    }


def source(
    rules: TaxRules,
    seller: tuple[str, str | None],
    buyer: tuple[str, str | None],
    vat_id: str | None,
) -> Sourcing:
    """Decide which taxes apply to a sale of services from ``seller`` to ``buyer``."""
    (s_country, s_region), (b_country, b_region) = seller, buyer
    if s_country in rules.vat_rates:
        return _vat(rules, s_country, b_country, vat_id)
    if s_country == "US":
        return _us(rules, b_country, b_region)
    if s_country == "IN":
        return _gst(rules, s_region, b_country, b_region)
    raise RuleError("addresses.shipFrom.country", f"no tax profile for seller country {s_country}")


def _vat_levy(rules: TaxRules, country: str, rate: Decimal, name: str = "VAT") -> Levy:
    return Levy(country, None, "CNT", country, rules.name(country), f"{country} {name}", rate)


def _vat(rules: TaxRules, seller: str, buyer: str, vat_id: str | None) -> Sourcing:
    domestic = Sourcing((_vat_levy(rules, seller, rules.vat_rates[seller]),), True, seller)
    if buyer == seller:
        return domestic
    if rules.vat_area(buyer) != rules.vat_area(seller):
        note = _note(
            "Outside the scope of VAT",
            f"services supplied from {seller} to a buyer in {buyer}, outside the seller's VAT "
            f"area: no {seller} VAT is due",
            "addresses.shipTo.country",
        )
        return Sourcing((_vat_levy(rules, seller, Decimal(0)),), False, seller, (note,))
    if vat_id and rules.valid_vat_id(buyer, vat_id):
        note = _note(
            "Reverse charge",
            f"B2B services from {seller} to {buyer}: VAT is reverse charged, the customer "
            f"({_compact(vat_id)}) accounts for it (VAT directive art. 44 and 196)",
            "businessIdentificationNo",
        )
        levy = _vat_levy(rules, buyer, Decimal(0), "VAT reverse charge")
        return Sourcing((levy,), False, buyer, (note,))
    if vat_id:
        note = _note(
            "Invalid VAT id",
            f"{vat_id!r} is not a well-formed {buyer} VAT id: the customer is treated as a "
            f"consumer and {seller} VAT applies",
            "businessIdentificationNo",
            "Warning",
        )
        return Sourcing(domestic.levies, True, seller, (note,))
    return domestic


def _us(rules: TaxRules, buyer: str, region: str | None) -> Sourcing:
    if buyer != "US":
        note = _note(
            "No US sales tax",
            f"services sold to a buyer in {buyer}: outside US sales tax",
            "addresses.shipTo.country",
        )
        levy = Levy("US", None, "CNT", "US", rules.name("US"), "US SALES TAX", Decimal(0))
        return Sourcing((levy,), False, "US", (note,))
    if region is None or region not in rules.us_states:
        raise RuleError("addresses.shipTo.region", "a US state code is required (e.g. WA)")
    rate = rules.us_service_rates.get(region)
    levy = Levy(
        "US",
        region,
        "STA",
        region,
        rules.name(region),
        f"{region} STATE TAX",
        rate if rate is not None else Decimal(0),
    )
    if rate is None:
        note = _note(
            "Not taxable",
            f"{region} does not tax these services",
            "addresses.shipTo.region",
        )
        return Sourcing((levy,), False, "US", (note,))
    return Sourcing((levy,), True, "US")


def _gst(rules: TaxRules, s_region: str | None, buyer: str, b_region: str | None) -> Sourcing:
    india = rules.name("IN")
    if buyer != "IN":
        note = _note(
            "Zero-rated export",
            f"export of services to {buyer}: zero-rated, no IGST charged",
            "addresses.shipTo.country",
        )
        levy = Levy("IN", None, "CNT", "IN", india, "IGST", Decimal(0))
        return Sourcing((levy,), False, "IN", (note,))
    if s_region is None:
        raise RuleError("addresses.shipFrom.region", "the seller's Indian state is required")
    if b_region is None:
        raise RuleError("addresses.shipTo.region", "the buyer's Indian state is required")
    if s_region == b_region:
        half = rules.gst_rate / 2
        central = Levy("IN", None, "CNT", "IN", india, "CGST", half)
        state = Levy("IN", b_region, "STA", b_region, rules.name(b_region), "SGST", half)
        return Sourcing((central, state), True, "IN")
    return Sourcing((Levy("IN", None, "CNT", "IN", india, "IGST", rules.gst_rate),), True, "IN")


def _allocate(exact: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Round the sum once and share it out by largest remainder (see the module docstring)."""
    total = sum(exact, Decimal(0)).quantize(quantum, ROUND_HALF_UP)
    shares = [e.quantize(quantum, ROUND_FLOOR) for e in exact]
    missing = int((total - sum(shares, Decimal(0))) / quantum)
    by_remainder = sorted(range(len(exact)), key=lambda k: (shares[k] - exact[k], k))
    for k in by_remainder[:missing]:
        shares[k] += quantum
    return shares


@dataclass(frozen=True, slots=True)
class LineIn:
    number: str
    amount: Decimal  # already a whole number of minor units
    tax_code: str | None


def compute(
    rules: TaxRules, sourcing: Sourcing, lines: Sequence[LineIn], quantum: Decimal
) -> tuple[list[bool], tuple[list[Decimal], ...]]:
    """Whether each line is charged, and each levy's tax on each line (per levy, per line),
    rounded at the jurisdiction's level. ``mocks._tax_lines`` makes AvaTax's line, detail
    and summary rows of them."""
    charged = [sourcing.charged and ln.tax_code not in rules.non_taxable_codes for ln in lines]
    level = rules.rounding.get(sourcing.jurisdiction, rules.default_rounding)
    # a line not charged is taxed 0 at the minor unit, whatever the rounding: one shared zero
    zero = Decimal(0).quantize(quantum)
    taxes: list[list[Decimal]] = []  # per levy, per line
    for levy in sourcing.levies:
        exact = [
            ln.amount * levy.rate if c else Decimal(0) for ln, c in zip(lines, charged, strict=True)
        ]
        if level == "document":
            taxes.append(_allocate(exact, quantum))
        else:
            taxes.append(
                [e.quantize(quantum, ROUND_HALF_UP) if c else zero
                 for e, c in zip(exact, charged, strict=True)]
            )  # fmt: skip
    return charged, tuple(taxes)
