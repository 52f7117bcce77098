"""The scenario format: a firm, its clients and contracts, its people and habits, one period.

Scenarios are data, validated by pydantic. Field rules live on the models; rules that tie one
part of a file to another (a staffed role needs a rate) live in ``sim.scenario.rules`` so each error
can name the exact field path that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contracts.currencies import MinorUnits
from sim.scenario.faults import FaultsSpec, Vendor

__all__ = [
    "BehaviourSpec",
    "ClientSpec",
    "ContractSpec",
    "ContractVersionSpec",
    "ExpensePolicySpec",
    "LegalEntitySpec",
    "MilestoneSpec",
    "Scenario",
    "StaffingSpec",
]

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# The currencies a scenario may bill and spend in: those the world can price, i.e. for which the
# ERP publishes a daily exchange rate (expenses are converted at it; a test keeps the two lists
# equal). Adding one means adding its rate series first.
Currency = Literal["EUR", "GBP", "USD", "INR", "JPY", "CHF", "SEK", "PLN", "CAD", "AUD", "SGD"]
# Their ISO 4217 minor units, from Babel (contracts.currencies); the simulator and the oracle read
# them here, the core and the mocks each through their own accessor.
CURRENCIES: Mapping[str, int] = MinorUnits(get_args(Currency))
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}_[A-Z]{2}$")]
Rate = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Probability = Annotated[float, Field(ge=0, le=1)]


# How many of each a scenario may hold: a firm, not a country. Past these a run would not finish
# on one machine anyway; the caps make a generated file fail at once, with its field path.
MAX_ENTITIES = 100
MAX_CLIENTS = 2_000
MAX_CONTRACTS = 2_000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntRange(_Spec):
    """An inclusive range, drawn uniformly."""

    min: int = Field(ge=0, le=10_000)
    max: int = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.max < self.min:
            raise ValueError("a range whose max is at least its min")
        return self


class Period(_Spec):
    start: date
    end: date


Region = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")]
Subdivision = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ._-]{1,40}$")]


class LegalEntitySpec(_Spec):
    id: Code
    name: str = Field(min_length=1)
    country: Country
    currency: Currency
    locale: Locale
    region: Region | None = Field(default=None, description="state, for US and Indian taxes")
    holiday_subdivision: Subdivision | None = Field(
        default=None,
        description="the region whose public holidays the entity keeps and dates its invoices "
        "by (e.g. BY for a company in Munich); absent: holiday_subdivisions for its country",
    )


class ClientSpec(_Spec):
    id: Code
    country: Country
    locale: Locale
    legal_entity: Code = Field(description="the firm's legal entity that contracts and bills")
    name: str | None = Field(default=None, description="filled by Faker when absent")
    industry: str | None = None
    region: Region | None = Field(default=None, description="state, for US and Indian taxes")
    vat_id: Literal["valid", "malformed", "none"] = Field(
        default="valid", description="the client's VAT/GST registration as the firm holds it"
    )


class ContractVersionSpec(_Spec):
    number: int = Field(ge=1)
    effective: date
    signed: date | None = Field(
        default=None,
        description="when a change order created this version (absent: part of the signed "
        "SOW); an effective date before it makes the change retroactive",
    )
    rates: dict[str, dict[Country, Rate]] = Field(description="role -> country -> hourly rate")
    budget: Money | None = Field(
        default=None, description="time-and-materials budget from this version on (PSA)"
    )


class MilestoneSpec(_Spec):
    id: Code
    title: str = Field(min_length=1)
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
    due: date
    version: int = Field(default=1, ge=1, description="the contract version that adds it")


class StaffingSpec(_Spec):
    role: str
    country: Country
    count: int = Field(ge=1, le=500)
    subcontractor: str | None = Field(
        default=None, description="the subcontracting firm these people come from"
    )
    start: date | None = None
    end: date | None = None


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ExpensePolicySpec(_Spec):
    """How the contract bills expenses: which categories, at what markup, with what proof."""

    markup_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal(0)
    billable_categories: list[str] = ["travel", "lodging", "meals"]
    receipt_required_above: Money = Field(
        default=Decimal("75.00"),
        description="in the contract currency: a dearer expense without a receipt is held",
    )
    conversion: Literal["convert_then_markup", "markup_then_convert"] = Field(
        default="convert_then_markup",
        description="convert the cost at the ERP's rate, then add the markup; or mark up the "
        "cost in its own currency, then convert (the same figure unless rounding is each_step)",
    )
    rounding: Literal["once", "each_step"] = Field(
        default="once",
        description="round once, at the end; or after each step, to the minor unit of the "
        "currency at hand (what a client re-checking the printed line by hand does)",
    )


class ServiceLevelSpec(_Spec):
    """SLA terms: each breach earns the client a fixed credit, capped per calendar month."""

    credit_per_breach: Money = Field(gt=0, description="in the contract currency")
    monthly_cap: Money = Field(gt=0, description="most credit the client earns in one month")
    breaches: list[date] = Field(
        default=[], max_length=1_000, description="when the service level was missed"
    )
    vat_treatment: Literal["price_reduction", "compensation"] = Field(
        default="price_reduction",
        description="price_reduction: the credit reduces the price and the VAT base (EU VAT "
        "Directive 2006/112/EC Art. 90; HMRC VAT Notice 700); compensation: damages outside "
        "the scope of VAT (Germany, UStAE 1.3), no tax on the credit",
    )


class PurchaseOrderSpec(_Spec):
    """The client requires its purchase order number on every invoice."""

    number: str = Field(min_length=1, max_length=35)
    arrives: date | None = Field(
        default=None, description="when the client sends it; absent: never during the run"
    )


class ContractSpec(_Spec):
    id: Code
    client: Code
    legal_entity: Code
    currency: Currency
    rounding: Literal["half_up", "half_even", "down"] = "half_up"
    close_date: date
    deal_amount: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] | None = None
    versions: list[ContractVersionSpec] = Field(min_length=1, max_length=100)
    milestones: list[MilestoneSpec] = Field(default=[], max_length=500)
    staffing: list[StaffingSpec] = Field(min_length=1, max_length=200)
    expense_policy: ExpensePolicySpec | None = Field(
        default=None, description="absent: consultants on this contract file no expenses"
    )
    purchase_order: PurchaseOrderSpec | None = Field(
        default=None, description="present: no invoice without the client's PO number"
    )
    service_level: ServiceLevelSpec | None = None
    payment_terms_days: int = Field(default=30, ge=0, le=120)
    retro_settlement: Literal["adjustment_lines", "credit_and_reissue"] = Field(
        default="adjustment_lines",
        description="how a retroactive change order settles work already invoiced: the "
        "difference on the next invoice, or a credit note for the old charges and a reissue",
    )


class AmountRange(_Spec):
    """An inclusive range of amounts, in euros (converted to the spender's currency)."""

    min: Money
    max: Money

    @model_validator(mode="after")
    def _ordered(self) -> AmountRange:
        if self.max < self.min:
            raise ValueError("a range whose max is at least its min")
        return self


class ExpenseBehaviourSpec(_Spec):
    """What consultants spend, in their own country's currency, filed in a monthly report."""

    per_consultant_per_month: IntRange = IntRange(min=0, max=3)
    categories: dict[str, AmountRange] = {
        "travel": AmountRange(min=Decimal("40.00"), max=Decimal("650.00")),
        "lodging": AmountRange(min=Decimal("90.00"), max=Decimal("420.00")),
        "meals": AmountRange(min=Decimal("8.00"), max=Decimal("95.00")),
        "software": AmountRange(min=Decimal("15.00"), max=Decimal("240.00")),
    }
    missing_receipt_rate: Probability = 0.06


class PaymentBehaviourSpec(_Spec):
    """How clients pay: shares of invoices paid on time, late, in part first, or disputed."""

    on_time: Probability = 0.6
    late: Probability = 0.25
    partial: Probability = 0.1
    disputed: Probability = 0.05
    early_days: IntRange = Field(default=IntRange(min=0, max=5), description="before due")
    late_days: IntRange = Field(default=IntRange(min=5, max=40), description="after due")

    @model_validator(mode="after")
    def _shares(self) -> PaymentBehaviourSpec:
        if self.on_time + self.late + self.partial + self.disputed > 1.0000001:
            raise ValueError("shares (on_time + late + partial + disputed) of at most 1")
        return self


class SubcontractorBehaviourSpec(_Spec):
    """Subcontracting firms bill their cost monthly; the firm approves it, late or never."""

    cost_share: Annotated[Decimal, Field(gt=0, le=1)] = Decimal("0.70")
    approval_lag_business_days: IntRange = IntRange(min=3, max=12)
    dispute_rate: Probability = Field(
        default=0.1, description="share of monthly bills the firm never approves in the run"
    )


class BehaviourSpec(_Spec):
    """How the firm's people work: the source of realistic lag and mess."""

    subcontractors: SubcontractorBehaviourSpec = SubcontractorBehaviourSpec()

    payments: PaymentBehaviourSpec = PaymentBehaviourSpec()

    expenses: ExpenseBehaviourSpec = ExpenseBehaviourSpec()

    entries_per_day: IntRange = IntRange(min=1, max=3)
    quarter_hours_per_day: IntRange = Field(
        default=IntRange(min=28, max=38), description="hours worked per day, in 15-minute steps"
    )
    approval_lag_business_days: IntRange = IntRange(min=0, max=4)
    legal_lag_business_days: IntRange = IntRange(min=1, max=4)
    acceptance_lag_business_days: IntRange = IntRange(min=1, max=6)
    late_entry_rate: Probability = 0.03
    late_entry_days: IntRange = IntRange(min=3, max=12)
    correction_rate: Probability = 0.02
    rejection_rate: Probability = 0.03
    absence_rate: Probability = Field(default=0.04, description="chance of a day off (leave)")


class BillingSpec(_Spec):
    run_business_day: int = Field(default=3, ge=1, le=15, description="of the following month")


TaxRate = Annotated[Decimal, Field(ge=0, lt=1, decimal_places=5)]
EU_MEMBERS = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR",
              "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI",
              "SK")  # fmt: skip


class TaxSpec(_Spec):
    """The jurisdictions' rules the tax engine applies and the oracle checks against."""

    vat_rates: dict[Country, TaxRate] = {
        "DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21"),
        "IT": Decimal("0.22"), "ES": Decimal("0.21"), "AT": Decimal("0.20"),
        "BE": Decimal("0.21"), "IE": Decimal("0.23"), "PL": Decimal("0.23"),
        "SE": Decimal("0.25"), "GB": Decimal("0.20"), "CH": Decimal("0.081"),
    }  # fmt: skip
    us_service_rates: dict[Region, TaxRate] = Field(
        default={
            "WA": Decimal("0.065"), "NM": Decimal("0.04875"), "SD": Decimal("0.042"),
            "HI": Decimal("0.04"), "TX": Decimal("0.0625"), "CT": Decimal("0.0635"),
        },
        description="US states that tax services; every other state exempts them",
    )  # fmt: skip
    gst_rate: TaxRate = Decimal("0.18")
    rounding: dict[Country, Literal["line", "document"]] = Field(
        default={}, description="per taxing country: round each line's tax, or the total once"
    )
    default_rounding: Literal["line", "document"] = "line"


class VendorSpec(_Spec):
    latency_ms: int = Field(default=120, ge=0, le=60_000)


class Scenario(_Spec):
    name: Code
    description: str = ""
    tenant: Code = "firm"
    period: Period
    run_out_days: int = Field(default=40, ge=0, le=366)
    legal_entities: list[LegalEntitySpec] = Field(min_length=1, max_length=MAX_ENTITIES)
    clients: list[ClientSpec] = Field(min_length=1, max_length=MAX_CLIENTS)
    roles: list[str] = Field(min_length=1, max_length=200)
    contracts: list[ContractSpec] = Field(min_length=1, max_length=MAX_CONTRACTS)
    behaviour: BehaviourSpec = BehaviourSpec()
    billing: BillingSpec = BillingSpec()
    tax: TaxSpec = TaxSpec()
    holiday_subdivisions: dict[Country, Subdivision] = Field(
        default={"GB": "ENG"},
        description="per country, the region whose public holidays its people keep, where the "
        "national calendar leaves days out (GB: ENG, WLS, SCT or NIR; the UK-wide calendar lacks "
        "Easter Monday, a bank holiday in England, Wales and Northern Ireland)",
    )
    vendors: dict[Vendor, VendorSpec] = {}
    faults: FaultsSpec = Field(
        default=FaultsSpec(), description="vendor faults, webhook chaos, crash (absent: none)"
    )

    @property
    def starts(self) -> date:
        """Simulation start: early enough for the first deal's sales cycle."""
        first_close = min(c.close_date for c in self.contracts)
        return min(self.period.start, first_close) - timedelta(days=30)

    def staffing_window(self, contract: ContractSpec, staff: StaffingSpec) -> tuple[date, date]:
        """When staff work: as stated, else from two weeks after the deal closes to period end."""
        start = staff.start or max(self.period.start, contract.close_date + timedelta(days=14))
        return start, staff.end or self.period.end

    @property
    def ends(self) -> date:
        return self.period.end + timedelta(days=self.run_out_days)
