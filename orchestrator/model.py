"""The canonical model: one vocabulary for the core, whatever each vendor calls things.

Adapters translate vendor payloads into these models at the edge, so process flows never see a
``rate_in_cents`` or an ``@odata.nextLink``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.money import Currency, Money, RoundingRule

__all__ = [
    "Contract",
    "ContractVersion",
    "Customer",
    "Expense",
    "ExpensePolicy",
    "Invoice",
    "InvoiceLine",
    "LegalEntity",
    "Milestone",
    "Project",
    "RateCardVersion",
    "Resource",
    "ServiceLevel",
    "TimeEntry",
]


class _Model(BaseModel):
    """Frozen models whose copies share their field-name sets.

    pydantic gives every instance its own ``__pydantic_fields_set__`` (which fields were
    given), and ``model_copy`` a copy of it: for a taxed invoice line kept by the ledger for
    the whole run, that set (~470 bytes) weighed more than the line's values (issue 14). The
    sets are read only (a frozen model refuses ``setattr``, and ``model_copy`` copies the set
    before it adds to it), so copies and unpickled models share one set per distinct set of
    names (``_shared_names``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        object.__setattr__(copied, "__pydantic_fields_set__",
                           _shared_names(copied.__pydantic_fields_set__))  # fmt: skip
        return copied

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        object.__setattr__(self, "__pydantic_fields_set__",
                           _shared_names(self.__pydantic_fields_set__))  # fmt: skip


# one set per distinct set of field names given (a few dozen at most: bounded by the models)
_NAMES: dict[frozenset[str], set[str]] = {}


def _shared_names(names: set[str]) -> set[str]:
    key = frozenset(names)
    shared = _NAMES.get(key)
    if shared is None:
        shared = _NAMES[key] = set(key)
    return shared


class LegalEntity(_Model):
    """A company of the firm that contracts, issues invoices and books revenue."""

    id: str
    name: str
    country: str
    currency: Currency
    erp_company_id: str
    region: str | None = None


class Customer(_Model):
    """A client as the ERP knows it, in the legal entity that bills it."""

    id: str
    name: str
    country: str
    legal_entity_id: str
    currency: Currency
    tax_id: str | None = None
    region: str | None = None


class RateCardVersion(_Model):
    """Hourly rates by role and country, in force from ``effective_from``."""

    version: int
    effective_from: date
    currency: Currency
    rates: dict[str, dict[str, Decimal]] = Field(description="role -> country -> hourly rate")

    def rate(self, role: str, country: str) -> Decimal | None:
        return self.rates.get(role, {}).get(country)


class Milestone(_Model):
    """A fixed-fee deliverable billed once the client accepts it."""

    id: str
    title: str
    amount: Money
    due: date


class ExpensePolicy(_Model):
    """Which expenses a contract bills, at what markup, and above what cost a receipt is due."""

    markup_percent: Decimal
    billable_categories: tuple[str, ...]
    receipt_required_above: Decimal
    # the order of conversion and markup, and rounding once or after each step: see pricing
    conversion: Literal["convert_then_markup", "markup_then_convert"] = "convert_then_markup"
    rounding: Literal["once", "each_step"] = "once"


class ServiceLevel(_Model):
    """SLA terms: a fixed credit per missed service level, capped per calendar month."""

    credit_per_breach: Decimal
    monthly_cap: Decimal
    # a price reduction (reduces the VAT base) or compensation (outside VAT): see _credits
    vat_treatment: Literal["price_reduction", "compensation"] = "price_reduction"


class ContractVersion(_Model):
    """One executed version of a statement of work (the original, or an amendment)."""

    id: str
    number: int
    executed_at: datetime
    rate_card: RateCardVersion
    budget: Money | None = None


class Contract(_Model):
    """An executed SOW: who bills whom, in what currency, by which rounding rule."""

    id: str
    reference: str
    customer_name: str
    customer_country: str
    customer_tax_id: str | None = None
    legal_entity_id: str
    currency: Currency
    rounding: RoundingRule
    opportunity_id: str
    versions: tuple[ContractVersion, ...]
    milestones: tuple[Milestone, ...] = ()
    expense_policy: ExpensePolicy | None = None
    purchase_order_required: bool = False
    purchase_order: str | None = None
    service_level: ServiceLevel | None = None
    payment_terms_days: int = 30
    retro_settlement: Literal["adjustment_lines", "credit_and_reissue"] = "adjustment_lines"

    def version_on(self, day: date) -> ContractVersion | None:
        """The version whose rate card is in force on ``day`` (latest effective date wins)."""
        # one pass, no list or key function: asked twice per time entry (issue 14)
        best: ContractVersion | None = None
        best_key: tuple[date, int] | None = None
        for version in self.versions:
            effective = version.rate_card.effective_from
            if effective <= day and (best_key is None or (effective, version.number) > best_key):
                best, best_key = version, (effective, version.number)
        return best


class Resource(_Model):
    """A consultant as the PSA knows them: the role and country their rate depends on."""

    id: str
    name: str
    role: str
    country: str
    subcontractor_vendor: str | None = None


class Project(_Model):
    """The PSA workspace delivering a contract."""

    id: str
    contract_id: str
    customer_id: str
    legal_entity_id: str


class TimeEntry(_Model):
    """Approved time, the main billable source item."""

    id: str
    project_id: str
    resource_id: str
    work_date: date
    minutes: int
    billable: bool
    approved_at: datetime | None = None


class Expense(_Model):
    """Approved spend, in the currency it was paid in; billed converted, with any markup."""

    id: str
    project_id: str
    resource_id: str
    day: date
    category: str
    currency: Currency
    amount: Decimal
    billable: bool
    has_receipt: bool
    approved_at: datetime | None = None


class InvoiceLine(_Model):
    """One priced line; ``source_ids`` are the audit trail back to the PSA."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    source_ids: tuple[str, ...]
    contract_version_id: str
    kind: Literal["charge", "adjustment", "credit"] = "charge"
    tax: Decimal = Decimal(0)
    tax_code: str | None = None


class Invoice(_Model):
    """One invoice per contract per billing period."""

    contract_id: str
    customer_id: str
    legal_entity_id: str
    period: str
    invoice_date: date
    currency: Currency
    lines: tuple[InvoiceLine, ...]
    purchase_order: str | None = None
    due_date: date | None = None

    @property
    def idempotency_key(self) -> str:
        """Same items, same key: a retry after a lost answer finds the invoice it created;
        an invoice with other items (next month's run) is another invoice."""
        sources = sorted(s for line in self.lines for s in line.source_ids)
        digest = hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]
        return f"inv:{self.contract_id}:{self.period}:{digest}"
