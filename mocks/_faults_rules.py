"""The fault layer's rules: what can go wrong with a vendor, as validated, frozen data.

One model per kind of fault (``kind`` tells them apart in JSON), ``parse_rule`` for rules that
arrive as JSON (the admin API of ``q2c serve``), and the vendors' published limits
(``contracts.limits``) as ready-made quota rules. ``mocks._faults.FaultyVendor`` applies them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from contracts.limits import PRESETS, Limits

__all__ = [
    "QUOTA_PRESETS",
    "ErrorRule",
    "LatencyRule",
    "LostResponseRule",
    "OutageRule",
    "QuotaRule",
    "QuotaWindow",
    "Rule",
    "SchemaDriftRule",
    "parse_rule",
    "quota_rule",
    "quota_signals",
]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuotaWindow(_Rule):
    limit: int = Field(ge=1)
    window_s: float = Field(gt=0)
    applies_to: Literal["all", "reads", "writes"] = "all"
    per_endpoint: bool = Field(
        default=False,
        description="counted apart per operation (method and path template), as Stripe's "
        "endpoint limits are",
    )
    shared: float = Field(
        default=0, ge=0, lt=1,
        description="share of the limit other clients of the same user take, on average; "
        "their traffic comes in bursts, so what is left jumps from call to call",
    )  # fmt: skip


class QuotaRule(_Rule):
    """Per-tenant sliding windows and a cap on calls processed at once; over a window: 429.
    Past ``concurrency``, a call waits in a queue of up to ``queue`` calls (Business
    Central's model: its latency builds up) and only past the queue gets 429; without a
    ``queue`` it gets 429 at once. A call whose wait would pass ``queue_timeout_s`` gets
    503 once that long has passed (BC: 8 minutes)."""

    kind: Literal["quota"] = "quota"
    windows: list[QuotaWindow] = []
    concurrency: int | None = Field(default=None, ge=1)
    queue: int | None = Field(default=None, ge=0)
    queue_timeout_s: float | None = Field(
        default=None, gt=0,
        description="a call that would wait longer in the queue gets 503 after this long",
    )  # fmt: skip

    @model_validator(mode="after")
    def _limits_something(self) -> QuotaRule:
        if not self.windows and self.concurrency is None:
            raise ValueError("a quota with at least one window or a concurrency cap")
        return self


class OutageRule(_Rule):
    kind: Literal["outage"] = "outage"
    start: AwareDatetime
    end: AwareDatetime
    mode: Literal["http", "refused"] = "http"

    @model_validator(mode="after")
    def _ordered(self) -> OutageRule:
        if self.end <= self.start:
            raise ValueError("an outage whose end is after its start")
        return self


class ErrorRule(_Rule):
    kind: Literal["errors"] = "errors"
    rate: float = Field(ge=0, le=1)
    burst: int = Field(default=1, ge=1)
    statuses: list[Literal[500, 502, 503, 504]] = Field(default=[500, 502], min_length=1)


class LostResponseRule(_Rule):
    kind: Literal["lost_responses"] = "lost_responses"
    rate: float = Field(ge=0, le=1)
    methods: list[Literal["GET", "POST", "PATCH", "PUT", "DELETE"]] = ["POST", "PATCH", "DELETE"]


class LatencyRule(_Rule):
    """Lognormal latency fitted to a median and a 99th percentile (a heavy right tail)."""

    kind: Literal["latency"] = "latency"
    median_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)


class SchemaDriftRule(_Rule):
    """From ``start`` the ERP speaks Business Central API v1.0 to its v2.0 clients (the real
    differences between the two versions: ``mocks._faults_drift``)."""

    kind: Literal["schema_drift"] = "schema_drift"
    start: AwareDatetime


Rule = Annotated[
    QuotaRule | OutageRule | ErrorRule | LostResponseRule | LatencyRule | SchemaDriftRule,
    Field(discriminator="kind"),
]
_RULE: TypeAdapter[Any] = TypeAdapter(Rule)


def parse_rule(data: Any) -> Rule:
    """A rule from JSON-shaped data (``{"kind": "quota", ...}``); raises pydantic's
    ValidationError naming the bad field (``mocks._http.invalid`` turns it into a 422)."""
    rule: Rule = _RULE.validate_python(data)
    return rule


def _preset(limits: Limits) -> QuotaRule:
    return QuotaRule(
        windows=[
            QuotaWindow(
                limit=w.limit,
                window_s=w.seconds,
                applies_to=w.applies_to,
                per_endpoint=w.per_endpoint,
            )
            for w in limits.windows
        ],
        concurrency=limits.concurrency,
        queue=limits.queue,
        queue_timeout_s=limits.queue_timeout_s,
    )


# The vendors' published limits (contracts.limits), as rules. A rule refuses with a 429;
# each vendor app words it as its vendor does (``VendorApp.refine``): past Salesforce's daily
# allocation the CRM answers 403 REQUEST_LIMIT_EXCEEDED (mocks._crm_errors).
QUOTA_PRESETS: dict[str, QuotaRule] = {name: _preset(p) for name, p in PRESETS.items()}


def quota_rule(
    preset: str,
    limit: int | None = None,
    window_s: float | None = None,
    concurrency: int | None = None,
    extra: list[QuotaWindow] | None = None,
    shared: float = 0,
) -> QuotaRule:
    """A preset's limits, with its main window and concurrency cap replaced where given,
    ``shared`` of its windows taken by the user's other clients, and ``extra`` windows
    added."""
    base = QUOTA_PRESETS[preset]
    windows = list(base.windows)
    if limit is not None and window_s is not None:
        windows = [QuotaWindow(limit=limit, window_s=window_s)]
    if shared:
        windows = [w.model_copy(update={"shared": shared}) for w in windows]
    return QuotaRule(
        windows=windows + list(extra or []),
        concurrency=concurrency if concurrency is not None else base.concurrency,
        queue=base.queue if concurrency is None else None,
        queue_timeout_s=base.queue_timeout_s if concurrency is None else None,
    )


def quota_signals(vendor: str, usage: tuple[int, int] | None) -> dict[str, str]:
    """The throttling headers the mirrored vendor itself sends, on its 429 and on the answers
    a quota admitted, and no others. Business Central (its API limits pages), Stripe
    (docs.stripe.com/rate-limits), Kantata (developer.kantata.com, "Rate Limits"), AvaTax and
    Ironclad document a bare 429 with no rate-limit or Retry-After header, so a client paces
    on its own budget.
    Salesforce reports the org's usage on every answer, ``Sforce-Limit-Info:
    api-usage=n/m`` (REST API Developer Guide, "Limit Info Header"; consulted 2026-12-07).
    Xero's ``X-MinLimit-Remaining``/``X-DayLimit-Remaining``/``X-AppMinLimit-Remaining``,
    ``Retry-After`` and ``X-Rate-Limit-Problem`` belong to no mock here: the ``xero``
    preset only lends its numbers to vendors that publish none."""
    if vendor == "crm" and usage is not None:
        return {"sforce-limit-info": f"api-usage={usage[0]}/{usage[1]}"}
    return {}
