"""Stateful mocks of the six vendors the firm runs on, and the fault layer in front of them.

This is the package's public face: the simulator, ``q2c serve``, the contract tooling and the
tests import from ``mocks`` only; the underscored modules are the mocks' own business and may
change shape freely. Each mock speaks its vendor's vocabulary and shares nothing with the core
but the specs in ``contracts/`` (the vendor registry, ``contracts.VENDORS``, is there too).

- the vendors: ``build(vendor, clock, sink)`` makes any of them; the classes, the CLM's signed
  terms and the tax engine's rule book for those that configure one;
- webhooks: what a vendor sends (``Webhook``) to whom (``WebhookSink``), on whose ``Clock``;
  who registered for them (``Endpoint``, ``Subscriptions``; ``url_problem`` checks a URL
  against ``WEBHOOK_URL``), and how each vendor signs them and a receiver verifies them
  (``stripe_header``/``verify_stripe``, ``ironclad_headers``/``verify_ironclad`` with an
  ``IroncladKey``; ``SIGNING`` says which vendors sign at all);
- the fault layer: ``FaultyVendor`` and its rules (outages, quotas, error bursts, lost answers,
  latency, schema drift), ``parse_rule`` for JSON-shaped rules and ``quota_rule`` for a
  vendor's published limits (``QUOTA_PRESETS``, from ``contracts.limits``) with overrides;
- HTTP plumbing for whoever serves or calls the mocks: ``VendorApp``, ``Mount``, ``Call``,
  ``Reply``, ``Problem``, ``invalid``, ``to_response`` and ``served_path`` (a served request's
  path as the mocks route it);
- the ERP's published exchange rates (``PER_EUR``, units per euro at the series' mid-point),
  at which the simulated consultants' expenses are converted.

Importing ``mocks`` loads all six (a few hundred milliseconds, mostly pydantic and httpx); the
command line's help and ``q2c contracts diff`` do not import it.
"""

from mocks._exchange_rates import PER_EUR
from mocks._faults import (
    QUOTA_PRESETS,
    Arrival,
    ErrorRule,
    FaultyVendor,
    LatencyRule,
    LostResponseRule,
    OutageRule,
    QuotaRule,
    QuotaWindow,
    Rule,
    SchemaDriftRule,
    parse_rule,
    quota_rule,
)
from mocks._http import (
    Call,
    LocalTransport,
    Problem,
    Reply,
    VendorApp,
    invalid,
    to_response,
)
from mocks._mount import Mount
from mocks._served_head import served_path
from mocks._signatures import (
    IRONCLAD_EVENT_ID,
    IRONCLAD_VERIFICATION,
    SIGNING,
    STRIPE_SIGNATURE,
    STRIPE_TOLERANCE_S,
    IroncladKey,
    SignatureError,
    ironclad_headers,
    stripe_header,
    stripe_secret,
    verify_ironclad,
    verify_stripe,
)
from mocks._state import Clock, Webhook, WebhookSink
from mocks._subscriptions import WEBHOOK_URL, Endpoint, Subscriptions, url_problem
from mocks.catalog import Mock, build
from mocks.clm import AmendmentTerms, ClmMock, ExecutedTerms
from mocks.crm import CrmMock
from mocks.erp import ErpMock
from mocks.payments import LIVEMODE as STRIPE_LIVEMODE
from mocks.payments import PaymentsMock
from mocks.psa import PsaMock
from mocks.tax import TaxMock, TaxRules

__all__ = [
    "IRONCLAD_EVENT_ID",
    "IRONCLAD_VERIFICATION",
    "PER_EUR",
    "QUOTA_PRESETS",
    "SIGNING",
    "STRIPE_LIVEMODE",
    "STRIPE_SIGNATURE",
    "STRIPE_TOLERANCE_S",
    "WEBHOOK_URL",
    "AmendmentTerms",
    "Arrival",
    "Call",
    "ClmMock",
    "Clock",
    "CrmMock",
    "Endpoint",
    "ErpMock",
    "ErrorRule",
    "ExecutedTerms",
    "FaultyVendor",
    "IroncladKey",
    "LatencyRule",
    "LocalTransport",
    "LostResponseRule",
    "Mock",
    "Mount",
    "OutageRule",
    "PaymentsMock",
    "Problem",
    "PsaMock",
    "QuotaRule",
    "QuotaWindow",
    "Reply",
    "Rule",
    "SchemaDriftRule",
    "SignatureError",
    "Subscriptions",
    "TaxMock",
    "TaxRules",
    "VendorApp",
    "Webhook",
    "WebhookSink",
    "build",
    "invalid",
    "ironclad_headers",
    "parse_rule",
    "quota_rule",
    "served_path",
    "stripe_header",
    "stripe_secret",
    "to_response",
    "url_problem",
    "verify_ironclad",
    "verify_stripe",
]
