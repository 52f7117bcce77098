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
    ``applies_to`` (reads = GET/HEAD, writes = the rest)."""

    limit: int
    seconds: float
    applies_to: Literal["all", "reads", "writes"] = "all"


@dataclass(frozen=True, slots=True)
class Limits:
    """One vendor's published limits: its windows and how many calls may be in flight at once
    (None: not published as a number), per ``scope`` (whose allowance a call spends)."""

    vendor: str
    scope: Literal["user", "account", "org", "tenant"]
    windows: tuple[Window, ...]
    concurrency: int | None
    source: str


# Each limit as the vendor published it (../shared/vendor-specs/README.md and the vendors' docs).
PRESETS: dict[str, Limits] = {
    # 6,000 requests per user in a 5-minute sliding window, at most 100 simultaneous requests;
    # 429 when exceeded.
    "business_central": Limits(
        vendor="Microsoft Dynamics 365 Business Central online",
        scope="user",
        windows=(Window(6000, 300.0),),
        concurrency=100,
        source='Business Central administration docs, "API limits"',
    ),
    # 25 read and 25 write operations per second in test mode, counted apart (live mode: 100
    # each); concurrency is not published as a number.
    "stripe_test": Limits(
        vendor="Stripe (test mode)",
        scope="account",
        windows=(Window(25, 1.0, "reads"), Window(25, 1.0, "writes")),
        concurrency=None,
        source='Stripe docs, "Rate limits"',
    ),
    "stripe_live": Limits(
        vendor="Stripe (live mode)",
        scope="account",
        windows=(Window(100, 1.0, "reads"), Window(100, 1.0, "writes")),
        concurrency=None,
        source='Stripe docs, "Rate limits"',
    ),
    # 3,000 calls per hour per account plus a burst limit of 500 calls in 30 seconds.
    "docusign": Limits(
        vendor="DocuSign eSignature",
        scope="account",
        windows=(Window(3000, 3600.0), Window(500, 30.0)),
        concurrency=None,
        source='DocuSign developer docs, "API rules and limits"',
    ),
    # Enterprise Edition: 100,000 requests per rolling 24 hours (before per-licence additions),
    # 25 concurrent long-running requests in production.
    "salesforce": Limits(
        vendor="Salesforce Platform (Enterprise Edition)",
        scope="org",
        windows=(Window(100_000, 86_400.0),),
        concurrency=25,
        source='Salesforce developer limits, "API Request Limits and Allocations"',
    ),
    # Per tenant 60 calls a minute, 5,000 a day, 5 concurrent. Also the model for any vendor
    # without published limits (AvaTax, Kantata).
    "xero": Limits(
        vendor="Xero Accounting API",
        scope="tenant",
        windows=(Window(60, 60.0), Window(5000, 86_400.0)),
        concurrency=5,
        source='Xero developer docs, "OAuth 2.0 API limits"',
    ),
}
