"""The ``faults:`` section of a scenario: how the firm's vendors misbehave, as pure data.

THIS IS THE SHARED CONTRACT between the fault layer (``mocks.FaultyVendor``, applied by
``sim.world.runtime``), webhook chaos and crash/restart (``sim.world.courier``,
``sim.world.world``) and the swarm
(``sim.swarm``), which draws these settings per seed. Change field names only by agreement.

Defaults mean "no faults": a scenario without ``faults:`` runs exactly as before. Times are UTC
(a datetime written without an offset is read as UTC). From 00:00 on ``heal`` no fault fires (the
liveness phase): the core must then recover everything it owes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.limits import PRESETS
from contracts.specs import FEED_VENDORS, VENDORS, WEBHOOK_VENDORS

__all__ = [
    "QUOTA_PRESETS",
    "CrashAfterCall",
    "CrashSpec",
    "ErrorBurstSpec",
    "FaultsSpec",
    "LatencySpec",
    "LostResponseSpec",
    "OutageSpec",
    "QuotaSpec",
    "QuotaWindowSpec",
    "SchemaDriftSpec",
    "VendorFaultsSpec",
    "WebhookChaosSpec",
]

# Literals built from the vendor registry, so a scenario's JSON schema lists the vendors.
if TYPE_CHECKING:
    Vendor = str
    WebhookVendor = str
else:
    Vendor = Literal[VENDORS]
    # webhook chaos: on the webhooks of those that push, on the feed of the PSA (Kantata's
    # Subscribed Events: a duplicate event, a late one, or one never generated)
    WebhookVendor = Literal[tuple(v for v in VENDORS if v in WEBHOOK_VENDORS + FEED_VENDORS)]
Probability = Annotated[float, Field(ge=0, le=1)]

# Named quota presets (a scenario picks one with ``quota: {preset: NAME}``): the vendors'
# published limits in contracts.limits, which the fault layer (mocks.QUOTA_PRESETS) enforces.
QUOTA_PRESETS: tuple[str, ...] = tuple(PRESETS)
if TYPE_CHECKING:
    QuotaPreset = str
else:
    QuotaPreset = Literal[QUOTA_PRESETS]

# The preset a vendor gets when its quota names none: the real vendor each mock mirrors. AvaTax
# publishes no per-tenant limit, so the tax engine gets the Xero model the brief recommends for
# any vendor without its own.
VENDOR_QUOTA_PRESET: dict[str, str] = {
    "crm": "salesforce",
    "clm": "ironclad",
    "psa": "xero",
    "erp": "business_central",
    "tax": "xero",
    "payments": "stripe_test",
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_utc)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuotaWindowSpec(_Spec):
    """One sliding window: at most ``limit`` calls per tenant in any ``window_s`` seconds."""

    limit: int = Field(ge=1)
    window_s: float = Field(gt=0, le=86_400)
    applies_to: Literal["all", "reads", "writes"] = Field(
        default="all", description="reads = GET/HEAD, writes = the rest (Stripe counts apart)"
    )


class QuotaSpec(_Spec):
    """A per-tenant quota: sliding windows plus a cap on calls in flight, answered with 429.

    ``preset`` gives the published limits of a real vendor (absent: the vendor's own, see
    VENDOR_QUOTA_PRESET); ``limit``/``window_s`` replace the preset's main window, ``windows``
    adds more (a burst or daily limit), ``concurrency`` replaces its cap.
    """

    preset: QuotaPreset | None = None
    limit: int | None = Field(default=None, ge=1)
    window_s: float | None = Field(default=None, gt=0, le=86_400)
    concurrency: int | None = Field(default=None, ge=1)
    windows: list[QuotaWindowSpec] = []
    shared: float = Field(
        default=0, ge=0, lt=1,
        description="share of the preset's window the same user's other clients (a BI "
        "extract, another sync) take, on average and in bursts: the integration gets real "
        "429s even when it paces itself",
    )  # fmt: skip


class LatencySpec(_Spec):
    """A heavy-tailed latency: a lognormal fitted to the median and the 99th percentile."""

    median_ms: float = Field(gt=0, le=60_000)
    p99_ms: float = Field(gt=0, le=600_000)


class OutageSpec(_Spec):
    """The vendor is down from ``start`` to ``end``: 503 problem+json, or connection refused."""

    start: Instant
    end: Instant
    mode: Literal["http", "refused"] = "http"


class ErrorBurstSpec(_Spec):
    """Each call starts a burst with probability ``rate``; a burst fails ``burst`` calls in a row
    with one of ``statuses`` (problem+json, nothing committed)."""

    rate: Probability
    burst: int = Field(default=1, ge=1, le=10_000)
    statuses: list[Literal[500, 502, 503, 504]] = Field(default=[500, 502], min_length=1)


class LostResponseSpec(_Spec):
    """With probability ``rate`` the vendor commits the call but its answer never arrives: the
    caller sees a timeout (httpx.ReadTimeout after 30 simulated seconds)."""

    rate: Probability
    methods: list[Literal["GET", "POST", "PATCH", "PUT", "DELETE"]] = Field(
        default=["POST", "PATCH", "DELETE"], min_length=1
    )


class SchemaDriftSpec(_Spec):
    """From 00:00 on ``from`` the ERP speaks Business Central API v1.0 to its v2.0 clients
    (the real differences between the versions: ``mocks._faults_drift``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date = Field(alias="from")


class VendorFaultsSpec(_Spec):
    quota: QuotaSpec | None = None
    latency: LatencySpec | None = Field(
        default=None, description="replaces vendors.<vendor>.latency_ms when given"
    )
    outages: list[OutageSpec] = []
    errors: ErrorBurstSpec | None = None
    lost_responses: LostResponseSpec | None = None
    schema_drift: SchemaDriftSpec | None = Field(default=None, description="ERP only")


class WebhookChaosSpec(_Spec):
    """How a sending vendor's webhooks misbehave (delivery is sim.world.courier's)."""

    duplicate: Probability = 0.0
    reorder: Probability = 0.0
    max_delay_s: float = Field(default=0.0, ge=0, le=7 * 86_400)
    drop: Probability = 0.0


class CrashAfterCall(_Spec):
    """Crash right after the core's ``nth`` matching call has reached the vendor."""

    vendor: Vendor
    method: Literal["GET", "POST", "PATCH", "PUT", "DELETE"] | None = None
    path_prefix: str = ""
    nth: int = Field(default=1, ge=1)


class CrashSpec(_Spec):
    """Kill the core once (at a moment, or after a given call) and restart it after the downtime."""

    at: Instant | None = None
    after_call: CrashAfterCall | None = None
    downtime_minutes: float = Field(default=30, ge=0, le=7 * 24 * 60)


class FaultsSpec(_Spec):
    heal: date | None = Field(
        default=None,
        description="from 00:00 on this date no fault fires (absent: the day after the last "
        "billing run; after the run's end: faults never heal)",
    )
    vendors: dict[Vendor, VendorFaultsSpec] = {}
    webhooks: dict[WebhookVendor, WebhookChaosSpec] = {}
    crash: CrashSpec | None = None

    @property
    def configured(self) -> bool:
        """Whether any fault is configured at all (the runtime's fast path depends on it)."""
        return bool(self.vendors or self.webhooks or self.crash)
