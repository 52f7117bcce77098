"""The six vendor mocks by role name, built one way.

Contract testing, ``q2c serve`` and the tests each need "every vendor, on this clock": the
constructors differ (the ERP sends no webhooks, the tax engine takes its rules), so this is the
one place that knows how to build each.
"""

from __future__ import annotations

from typing import Any

from contracts.specs import VENDORS
from mocks._state import Clock, WebhookSink
from mocks.clm import ClmMock
from mocks.crm import CrmMock
from mocks.erp import ErpMock
from mocks.payments import PaymentsMock
from mocks.psa import PsaMock
from mocks.tax import TaxMock

__all__ = ["Mock", "build"]

Mock = CrmMock | ClmMock | PsaMock | ErpMock | TaxMock | PaymentsMock


def build(vendor: str, clock: Clock, sink: WebhookSink | None = None, **options: Any) -> Mock:
    """A fresh mock of ``vendor`` (one of ``contracts.VENDORS``); ``sink`` receives its webhooks."""
    if vendor == "crm":
        return CrmMock(clock, sink, **options)
    if vendor == "clm":
        return ClmMock(clock, sink, **options)
    if vendor == "psa":
        return PsaMock(clock, **options)  # Kantata pushes no webhooks: a pull feed
    if vendor == "erp":
        return ErpMock(clock, **options)
    if vendor == "tax":
        return TaxMock(clock, **options)
    if vendor == "payments":
        return PaymentsMock(clock, sink, **options)
    raise ValueError(f"unknown vendor {vendor!r}: use one of {', '.join(VENDORS)}")
