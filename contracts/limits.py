"""The vendors' published request limits, one table for the mocks' faults and the core's pacing.

Plain data, shared like the specs: a mock enforces a preset (``mocks.QUOTA_PRESETS`` holds each
as a ``QuotaRule`` that answers 429 past it), a scenario picks one by name (``quota: {preset:
...}``), and the core paces itself under the window it chooses (``orchestrator._resilience``'s
``QUOTAS``). So the vendor's number is written once, beside where it was published. The core
keeping inside a limit and the mock enforcing the same limit is the point; what each does at the
edge (the core's 10% margin, the mock's 429 and headers) stays each one's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["PRESETS", "Limits", "Window"]


@dataclass(frozen=True, slots=True)
class Window:
    """At most ``limit`` calls in any ``seconds`` (a sliding window), counting the calls of
    ``applies_to`` (reads = GET/HEAD, writes = the rest); ``per_endpoint``: counted apart for
    each operation (method and path template: reads of two ids are one endpoint), as Stripe
    counts its endpoint limits."""

    limit: int
    seconds: float
    applies_to: Literal["all", "reads", "writes"] = "all"
    per_endpoint: bool = False


@dataclass(frozen=True, slots=True)
class Limits:
    """One vendor's published limits: its windows and how many calls it processes at once
    (None: not published as a number, or not for calls as short as the sandbox's), per
    ``scope`` (whose allowance a call spends). ``queue``: calls past ``concurrency`` wait in a
    queue of at most this many (latency builds up) before the vendor answers 429; None: a
    call past ``concurrency`` gets 429 at once."""

    vendor: str
    scope: Literal["user", "account", "org", "tenant", "company"]
    windows: tuple[Window, ...]
    concurrency: int | None
    source: str
    queue: int | None = None
    queue_timeout_s: float | None = None  # a queued call waits at most this long, then 503


# Each limit as the vendor publishes it, with the page (URL, section) and the day it was read.
PRESETS: dict[str, Limits] = {
    # 6,000 requests per user (or service principal) in a 5-minute sliding window, 429 past it:
    # learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/
    # dynamics-rate-limits and .../training/modules/work-with-api/4-limits ("Number of
    # requests"). OData: 5 requests processed at once, the rest wait in a queue; 100
    # connections (processing + queued, so a queue of 95), 429 past them:
    # .../dev-itpro/administration/operational-limits-online, "OData request limits" (Max
    # concurrent requests 5, Max connections 100, Max request queue size 95; a queued request
    # "wait[s] in the queue until [it times] out after 8 minutes", answered 503). Consulted
    # 2026-12-07.
    "business_central": Limits(
        vendor="Microsoft Dynamics 365 Business Central online",
        scope="user",
        windows=(Window(6000, 300.0),),
        concurrency=5,
        queue=95,
        queue_timeout_s=480.0,
        source='learn.microsoft.com Business Central: "Working with API limits" and '
        '"Operational limits for Business Central online" (OData request limits), 2026-12-07',
    ),
    # Global rate limit per account: 25 requests per second in a sandbox/test mode, 100 in live
    # mode (reads and writes together); "API endpoints have a default limit of 25 requests per
    # second", each named operation its own endpoint (POST /v1/payment_intents and GET
    # /v1/payment_intents/{id} are two; reads of different ids count against one):
    # docs.stripe.com/rate-limits, "Rate limits" table (Global API rate limit; Individual API
    # endpoints). Consulted 2026-12-07. Not modelled: the concurrency limiter (not published as
    # a number), the Payment Intents API's 1,000 updates per intent per hour (the sandbox's
    # intents change a handful of times). In test mode the endpoint limit equals the global
    # one, so it never binds first; it is kept so that both modes read as Stripe publishes them.
    "stripe_test": Limits(
        vendor="Stripe (test mode / sandbox)",
        scope="account",
        windows=(Window(25, 1.0), Window(25, 1.0, per_endpoint=True)),
        concurrency=None,
        source='docs.stripe.com/rate-limits, "Rate limits" (global API rate limit; individual '
        "API endpoints), 2026-12-07",
    ),
    "stripe_live": Limits(
        vendor="Stripe (live mode)",
        scope="account",
        windows=(Window(100, 1.0), Window(25, 1.0, per_endpoint=True)),
        concurrency=None,
        source='docs.stripe.com/rate-limits, "Rate limits" (global API rate limit; individual '
        "API endpoints), 2026-12-07",
    ),
    # 3,000 calls per hour per account plus a burst limit of 500 calls in 30 seconds:
    # developers.docusign.com, eSignature "API rules and limits" (Rate limits). Consulted
    # 2026-12-07 (unchanged).
    "docusign": Limits(
        vendor="DocuSign eSignature",
        scope="account",
        windows=(Window(3000, 3600.0), Window(500, 30.0)),
        concurrency=None,
        source='DocuSign developer docs, "API rules and limits", 2026-12-07',
    ),
    # Enterprise Edition: 100,000 requests per rolling 24 hours (before per-licence additions):
    # developer.salesforce.com, "Salesforce Developer Limits and Allocations Quick Reference",
    # "API Request Limits and Allocations". The 25 concurrent requests cap counts only
    # requests running 20 s or longer (same page, "Concurrent API Request Limits"); the
    # sandbox's calls never run that long, so no concurrency cap. Usage is reported on every
    # answer in the Sforce-Limit-Info header (REST API Developer Guide, "Limit Info Header").
    # Consulted 2026-12-07.
    "salesforce": Limits(
        vendor="Salesforce Platform (Enterprise Edition)",
        scope="org",
        windows=(Window(100_000, 86_400.0),),
        concurrency=None,
        source='Salesforce Developer Limits Quick Reference, "API Request Limits and '
        'Allocations", 2026-12-07',
    ),
    # Per tenant: 60 calls a minute, 5 in progress at once; daily limit 1,000 calls on the
    # default (Starter) tier of the developer pricing in force since 2 March 2026 (5,000
    # before): developer.xero.com/documentation/guides/oauth2/limits, "API rate limits"
    # and the 2026 tiers. Consulted 2026-12-07. Also the model for vendors that publish no
    # number (AvaTax, Kantata).
    "xero": Limits(
        vendor="Xero Accounting API (default tier)",
        scope="tenant",
        windows=(Window(60, 60.0), Window(1000, 86_400.0)),
        concurrency=5,
        source='developer.xero.com/documentation/guides/oauth2/limits, "API rate limits", '
        "2026-12-07",
    ),
    # Per company, requests per minute: pub:workflows:read 400 (GET, HEAD) and
    # pub:workflows:write 40 (POST, PUT, PATCH, DELETE) on /public/api/v1/workflows*;
    # pub:records:read 600 on /public/api/v1/records*:
    # developer.ironcladapp.com/reference/clm-api-rate-limits (updated 2026-08-18), "Public
    # API Buckets"; 429 "Too Many Requests" past them (changelog "New API Rate Limits",
    # effective 2023-09-19). Consulted 2026-12-07. The preset of the CLM mock (a scenario's
    # CLM quota without a preset) and of the core's pacing. Simplified, on the strict side:
    # the workflow buckets count every CLM call, record reads too (600 a minute at Ironclad).
    "ironclad": Limits(
        vendor="Ironclad CLM Public API",
        scope="company",
        windows=(Window(400, 60.0, "reads"), Window(40, 60.0, "writes")),
        concurrency=None,
        source='developer.ironcladapp.com/reference/clm-api-rate-limits, "Public API '
        'Buckets", 2026-12-07',
    ),
}
