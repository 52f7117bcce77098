"""How the core calls vendors that fail: retries with capped, jittered exponential backoff that
honour ``Retry-After``; pacing under each vendor's published quota; a circuit per vendor.

It wraps the runtime, so adapters stay plain: they build a request, the wrapper decides whether
sending it again is safe. A read, a keyed write (``Idempotency-Key``) and an action that is
idempotent by nature (posting a posted invoice, committing a committed tax document, a PUT) may
be repeated after any failure. Any other write is repeated only when the failure proves the
vendor did nothing (429, 503, a refused connection); any other 5xx is handed back to the
caller, and when the outcome is unknown (a timeout, a dropped connection) the flow stops with
``OutcomeUnknown`` and its work goes to the dead-letter queue, to be
re-driven by code that looks before it writes.

Only a vendor that really offers idempotency keys gets them (Stripe). Business Central has none:
its creates are plain POSTs, so an unknown outcome goes back to the ERP adapter, which looks the
document up by its business key before it posts again. With ``idempotency=false`` keys are not
sent and the adapter does not look (retries still happen): that is the naive design whose
duplicates the lost-responses scenario shows.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from contracts.limits import PRESETS
from orchestrator._wire import VendorError
from orchestrator.runtime import Flow, Runtime, RuntimeLayer

__all__ = [
    "QUOTAS",
    "OutcomeUnknown",
    "Quota",
    "ResilientRuntime",
    "RetryPolicy",
    "VendorUnavailable",
]


class OutcomeUnknown(VendorError):
    """A write timed out: the vendor may or may not have made it, and repeating it is unsafe."""

    def __init__(self, vendor: str, method: str, path: str) -> None:
        super().__init__(vendor, method, path, 504, "no answer; the write may have happened")


class VendorUnavailable(VendorError):
    """The vendor could not be reached (refused, or no answer to a safe request) for as long
    as the retry policy allows."""

    def __init__(self, vendor: str, method: str, path: str, failure: str) -> None:
        super().__init__(vendor, method, path, 503, f"unavailable ({failure})")


@dataclass(frozen=True)
class Quota:
    """A vendor's published request limit: ``limit`` per sliding ``window_s``, and at most
    ``concurrency`` requests in flight."""

    limit: int
    window_s: float
    concurrency: int | None = None


def _paced_by(preset: str, window: int = 0) -> Quota:
    """A quota the core paces itself by: one window of a vendor's published limits
    (``contracts.limits``) and the vendor's cap on calls in flight."""
    limits = PRESETS[preset]
    chosen = limits.windows[window]
    return Quota(chosen.limit, chosen.seconds, limits.concurrency)


# Per vendor role, the published window the core keeps under, with a margin of 10% kept free
# for other integrations sharing the tenant: the core's own budget, since none of these
# vendors sends headers saying how much is left.
QUOTAS: dict[str, Quota] = {
    "erp": _paced_by("business_central"),  # 6,000 per 5-minute window, 5 processed at once
    "payments": _paced_by("stripe_test"),  # 25 per second, reads and writes together
    # Ironclad's read bucket, 400 a minute; its 40 writes a minute are not paced apart (the
    # core's only CLM write is one workflow launch per won deal): past them, 429 and backoff
    "clm": _paced_by("ironclad"),
    "psa": Quota(60 * 60, 3600.0),  # Kantata does not publish one; the core's own hourly budget
}


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff; give up after ``attempts`` tries or ``deadline_s`` of trying
    (the work then waits in the dead-letter queue for replay)."""

    attempts: int = 12
    base_s: float = 2.0
    cap_s: float = 900.0
    deadline_s: float = 4 * 3600.0
    breaker_threshold: int = 5
    breaker_cool_off_s: float = 120.0


@dataclass
class _Circuit:
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False


@dataclass
class _Pace:
    sent: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    paused_until: float = 0.0


_RETRY_SAFE_SUFFIXES = ("/Microsoft.NAV.post", "/commit", "/void", "/createoradjust")


def retry_safe(method: str, path: str, headers: Mapping[str, str]) -> bool:
    """May this request be sent again after an unknown outcome without doing it twice?"""
    if method in ("GET", "PUT", "PATCH", "DELETE", "HEAD"):
        return True
    return "idempotency-key" in headers or path.endswith(_RETRY_SAFE_SUFFIXES)


class ResilientRuntime(RuntimeLayer):
    """The core's runtime, with retries, pacing and circuits around ``send``."""

    def __init__(
        self,
        inner: Runtime,
        *,
        retries: bool = True,
        idempotency: bool = True,
        policy: RetryPolicy | None = None,
        quotas: Mapping[str, Quota] | None = None,
        before_wait: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(inner)
        self.retries_enabled = retries
        self.idempotency = idempotency
        self.policy = policy or RetryPolicy()
        self.quotas = dict(QUOTAS if quotas is None else quotas)
        self._before_wait = before_wait
        self._circuits: dict[str, _Circuit] = {}
        self._paces: dict[str, _Pace] = {}
        self._epoch: datetime | None = None
        self.retries: Counter[str] = Counter()
        self.circuit_opens: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()

    def sleep(self, seconds: float) -> Flow[None]:
        self._before_wait()
        yield from self._inner.sleep(seconds)

    # -- send --------------------------------------------------------------------------------

    def send(
        self,
        vendor: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Flow[httpx.Response]:
        sent_headers = {k.lower(): v for k, v in (headers or {}).items()}
        safe = retry_safe(method, path, sent_headers)
        if not self.idempotency:
            sent_headers.pop("idempotency-key", None)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            probe = yield from self._admit(vendor)
            if attempt > 1:
                sent_headers["x-attempt"] = str(attempt)
                self.retries[vendor] += 1
            failure: str
            retry_after: float | None = None
            pace = self._pace(vendor)
            pace.in_flight += 1
            self._before_wait()
            try:
                response = yield from self._inner.send(
                    vendor, method, path, content=content, params=params, headers=sent_headers
                )
            except httpx.ConnectError:
                failure = "refused"
            except httpx.TransportError:  # a timeout, a dropped connection: outcome unknown
                failure = "timeout"
            else:
                self._observe_quota(vendor, response)
                status = 429 if _allocation_spent(response) else response.status_code
                if status < 500 and status != 429:
                    self._succeeded(vendor)
                    return response
                failure = str(status)
                retry_after = _retry_after(response)
                if status not in (429, 503) and not safe:
                    self._failed(vendor)
                    return response  # the vendor may have done it: the caller decides
            finally:
                pace.in_flight -= 1
                if probe:  # whatever happened, the next call may probe
                    self._release_probe(vendor)
            if failure != "429":
                self._failed(vendor)
            if failure == "timeout" and not safe:
                raise OutcomeUnknown(vendor, method, path)
            waited = self._clock() - started
            if (
                not self.retries_enabled
                or attempt >= self.policy.attempts
                or waited >= self.policy.deadline_s
            ):
                if failure in ("refused", "timeout"):
                    raise VendorUnavailable(vendor, method, path, failure)
                return response
            delay = self._backoff(vendor, path, attempt)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if failure == "429":  # the vendor's budget is spent for every flow, not just this one
                self._pause(vendor, delay)
            self._inner.record(
                "core.retry", vendor=vendor, method=method, path=path, failure=failure,
                attempt=attempt, wait_s=round(delay, 3),
            )  # fmt: skip
            self._before_wait()
            yield from self._inner.sleep(delay)

    # -- pacing and circuits -----------------------------------------------------------------

    def _clock(self) -> float:
        now = self._inner.now()
        if self._epoch is None:
            self._epoch = now
        return (now - self._epoch).total_seconds()

    def _pace(self, vendor: str) -> _Pace:
        pace = self._paces.get(vendor)
        if pace is None:
            pace = self._paces[vendor] = _Pace()
        return pace

    def _admit(self, vendor: str) -> Flow[bool]:
        """Wait until the vendor's circuit lets a call through and its quota has room; True
        when this call is the half-open circuit's probe."""
        while True:
            now = self._clock()
            circuit = self._circuits.get(vendor)
            if circuit is not None and circuit.open_until > now:
                self._before_wait()
                yield from self._inner.sleep(circuit.open_until - now)
                continue
            half_open = circuit is not None and circuit.failures >= self.policy.breaker_threshold
            if half_open and circuit is not None and circuit.probing:
                self._before_wait()  # one probe at a time, the others wait
                yield from self._inner.sleep(self.policy.breaker_cool_off_s / 4)
                continue
            pace = self._pace(vendor)
            wait = max(0.0, pace.paused_until - now)
            quota = self.quotas.get(vendor)
            if quota is not None:
                while pace.sent and pace.sent[0] <= now - quota.window_s:
                    pace.sent.popleft()
                if len(pace.sent) >= max(1, int(quota.limit * 0.9)):
                    wait = max(wait, pace.sent[0] + quota.window_s - now)
                if quota.concurrency is not None and pace.in_flight >= quota.concurrency:
                    wait = max(wait, 1.0)
            if wait > 0:
                self.throttled[vendor] += 1
                self._before_wait()
                yield from self._inner.sleep(wait)
                continue
            if half_open and circuit is not None:
                circuit.probing = True  # claimed only when the call really goes out
            pace.sent.append(now)
            return half_open

    def _observe_quota(self, vendor: str, response: httpx.Response) -> None:
        """Pace on the usage a vendor itself reports, and only on that: Salesforce's
        ``Sforce-Limit-Info: api-usage=n/m`` (its rolling 24-hour allowance). Past 90% used,
        the core leaves the rest to the org's other integrations for an hour at a time. No
        other mirrored vendor reports its usage (``contracts.limits``): their pacing is the
        core's own budget (``QUOTAS``) and backing off on 429."""
        info = response.headers.get("sforce-limit-info")
        if info is None:
            return
        used = _api_usage(info)
        if used is not None and used[1] > 0 and used[0] >= 0.9 * used[1]:
            self._pause(vendor, 3600.0)

    def _pause(self, vendor: str, seconds: float) -> None:
        pace = self._pace(vendor)
        pace.paused_until = max(pace.paused_until, self._clock() + seconds)

    def _succeeded(self, vendor: str) -> None:
        circuit = self._circuits.get(vendor)
        if circuit is not None:
            circuit.failures, circuit.probing, circuit.open_until = 0, False, 0.0

    def _release_probe(self, vendor: str) -> None:
        """A throttled probe proves nothing either way: let the next call probe again."""
        circuit = self._circuits.get(vendor)
        if circuit is not None:
            circuit.probing = False

    def _failed(self, vendor: str) -> None:
        circuit = self._circuits.setdefault(vendor, _Circuit())
        circuit.failures += 1
        circuit.probing = False
        if circuit.failures >= self.policy.breaker_threshold:
            if circuit.open_until <= self._clock():
                self.circuit_opens[vendor] += 1
                self._inner.record("core.circuit_open", vendor=vendor, failures=circuit.failures)
            circuit.open_until = self._clock() + self.policy.breaker_cool_off_s

    def _backoff(self, vendor: str, path: str, attempt: int) -> float:
        """``base * 2^(attempt-1)``, capped, with +-25% jitter drawn from a hash of the call and
        the instant (deterministic in simulation, spread out in production)."""
        ceiling = min(self.policy.cap_s, self.policy.base_s * float(2 ** (attempt - 1)))
        digest = hashlib.blake2b(
            f"{vendor}|{path}|{attempt}|{self._inner.now().isoformat()}".encode(), digest_size=4
        ).digest()
        spread = int.from_bytes(digest, "big") / 0xFFFFFFFF  # 0..1
        return ceiling * (0.75 + 0.5 * spread)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _api_usage(info: str) -> tuple[int, int] | None:
    """``api-usage=18/5000`` (possibly among other ``key=value`` items, comma-separated) as
    (18, 5000); None when absent or malformed."""
    for item in info.split(","):
        key, _, value = item.strip().partition("=")
        if key == "api-usage":
            used, _, limit = value.partition("/")
            if used.isdigit() and limit.isdigit():
                return int(used), int(limit)
    return None


def _allocation_spent(response: httpx.Response) -> bool:
    """Salesforce's daily API allocation spent: 403 ``[{"errorCode": "REQUEST_LIMIT_EXCEEDED",
    ...}]`` (REST API Developer Guide, "Status Codes and Error Responses"), its throttling
    answer in place of a 429, so the core backs off on it as on any 429."""
    if response.status_code != 403:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, list)
        and bool(body)
        and isinstance(body[0], dict)
        and body[0].get("errorCode") == "REQUEST_LIMIT_EXCEEDED"
    )
