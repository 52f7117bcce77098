"""A fault layer in front of a vendor mock: the vendor breaking the way real vendors break.

``FaultyVendor`` wraps a ``VendorApp`` without touching it and decides, per request and in the
clock it is given (simulated or wall), whether the request is refused, answered 503 (outage),
429 (quota or concurrency), 500/502 (error burst), or handled by the mock, and then whether the
answer is lost (the mock committed, the caller never hears) or reshaped (schema drift). Rules
are added, listed and removed at run time, Toxiproxy-style, so the simulator (from the
scenario's ``faults:``) and ``q2c serve``'s admin API drive the same code. Every random choice
comes from the ``random.Random`` it is given, one stream per rule, so runs replay exactly.

The simulator calls ``arrive``/``depart`` (it renders a refusal as ``httpx.ConnectError`` and a
lost answer as ``httpx.ReadTimeout`` after the caller's timeout) and spends ``latency_s`` in
simulated time. Served over HTTP (``handle``, ``asgi``), nothing can be refused from inside an
app and a client's timeout is not ours to know, so a refusal is a 503 with ``x-fault: refused``
and a lost answer is a 504 problem+json with ``x-fault: lost-response`` after the mock
committed: the same unknown outcome to a caller.

Over HTTP (``asgi``) the layer also spends the latency rule's draw on the wall clock, with
``asyncio.sleep`` after the mock handled the call and before its answer is sent, so other
requests go on meanwhile; the call holds its concurrency slot until its answer is written (it
yields to the event loop once even without latency, so requests that arrived together are in
flight together, as on a vendor's threads). The simulator splits the same latency in two
halves around the handling instead; the draws come from the same rule either way.

Quotas and concurrency caps are counted per caller. When the mock enforces OAuth (``q2c
serve``, the contract tests) the caller is the OAuth client its bearer token was issued to
(``Authority.client_of``: the layer runs before the mock's gate), and a call without a valid
token counts under its remote address, so neither a changed ``X-Tenant`` header nor dropping
the token dodges a quota. Without enforcement (the simulator) the ``X-Tenant`` header names
the tenant the mock acts in, and the caller is that tenant, as it always was.

The published spec (``GET /openapi.json``) is the sandbox's, not the vendor's: no fault
touches it, so a contract tester can load it during an outage.
"""

from __future__ import annotations

import asyncio
import builtins
import math
import random
from collections import Counter, deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from contracts.specs import SPEC_PATH
from mocks._faults_drift import drifts, v1_request, v2_response
from mocks._faults_rules import (
    QUOTA_PRESETS,
    ErrorRule,
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
from mocks._http import Problem, VendorApp, to_response

__all__ = [
    "QUOTA_PRESETS",
    "Arrival",
    "ErrorRule",
    "FaultyVendor",
    "LatencyRule",
    "LostResponseRule",
    "OutageRule",
    "QuotaRule",
    "QuotaWindow",
    "Rule",
    "SchemaDriftRule",
    "parse_rule",
    "quota_rule",
]

Clock = Callable[[], datetime]
Z99 = 2.3263478740408408  # the standard normal's 99th percentile


@dataclass(slots=True)
class Arrival:
    """What became of one request: ``response`` None means the connection was refused;
    ``lost`` means the vendor handled it but the caller never gets the answer."""

    response: httpx.Response | None
    lost: bool = False
    fault: str | None = None  # the kind of fault that fired on it (the last, if several)
    tenant: str | None = None  # the caller whose concurrency slot the call holds, while held


@dataclass(slots=True)
class _Served:
    """One HTTP request in flight through ``FaultyVendor.asgi``: who sent it, and what
    ``handle`` decided (the arrival to depart, the latency to spend before answering)."""

    peer: str
    arrival: Arrival | None = None
    delay_s: float = 0.0

    @property
    def waits(self) -> bool:
        """Whether the answer waits on the event loop: for its latency, or (holding a
        concurrency slot) for one turn, so that calls that arrived together overlap."""
        arrival = self.arrival
        return arrival is not None and (self.delay_s > 0 or arrival.tenant is not None)


# The request ``asgi`` is serving in this task; ``handle`` reads it (VendorApp.asgi calls
# ``handle`` synchronously, in the same task and so the same context).
_SERVED: ContextVar[_Served | None] = ContextVar("q2c_faults_served", default=None)


@dataclass
class _State:
    rule: Rule
    rng: random.Random
    windows: dict[tuple[str, int], deque[float]]
    burst_left: int = 0
    until: datetime | None = None  # the rule stops firing here (a served scenario's heal)


class FaultyVendor:
    """A vendor app behind fault rules; see the module docstring."""

    def __init__(
        self, app: VendorApp, clock: Clock, rng: random.Random, heal_at: datetime | None = None
    ) -> None:
        self.app = app
        self.name = app.name
        self.clock = clock
        self.heal_at = heal_at
        self.fired: Counter[str] = Counter()
        self._rng = rng
        self._rules: dict[str, _State] = {}
        self._next_id = 1
        self._in_flight: Counter[str] = Counter()

    def _problem(
        self, status: int, title: str, detail: str, headers: dict[str, str]
    ) -> httpx.Response:
        """A fault's answer, worded as the vendor words errors (Stripe adds its error object),
        so that it matches the ``TooManyRequests``/``ServiceUnavailable``/``ServerError``
        responses the specs declare."""
        problem = self.app.refine(Problem(status, title, detail, headers=headers))
        return to_response(problem.reply())

    # -- the control API (also served by q2c serve's admin endpoints) ------------------------

    def add(
        self, rule: Rule, rng: random.Random | None = None, until: datetime | None = None
    ) -> str:
        """Install a rule; returns its id. Each rule draws from its own random stream: ``rng``,
        or one drawn from the layer's (the simulator names one per rule, so that adding a rule
        never shifts another's draws). From ``until`` on the rule no longer fires (``q2c serve
        --scenario`` heals the scenario's rules this way, leaving rules added later alone)."""
        rule_id = f"{rule.kind}-{self._next_id}"
        self._next_id += 1
        stream = rng if rng is not None else random.Random(self._rng.getrandbits(64))
        self._rules[rule_id] = _State(rule, stream, {}, until=until)
        return rule_id

    def list(self) -> list[dict[str, Any]]:
        """Installed rules as JSON-ready dicts, each with its ``id`` (and ``until`` when it
        heals on its own), in the order added."""
        listed = []
        for rule_id, state in self._rules.items():
            entry = {"id": rule_id, **state.rule.model_dump(mode="json")}
            if state.until is not None:
                entry["until"] = state.until.isoformat().replace("+00:00", "Z")  # as pydantic
            listed.append(entry)
        return listed

    def remove(self, rule_id: str) -> bool:
        return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        self._rules.clear()

    def _active(self, now: datetime) -> builtins.list[_State]:
        if self.heal_at is not None and now >= self.heal_at:
            return []
        return [s for s in self._rules.values() if s.until is None or now < s.until]

    # -- per request ---------------------------------------------------------------------------

    def latency_s(self) -> float | None:
        """This call's latency in seconds, drawn from the latency rule (None: no rule). After
        healing the latency is the median, without a draw."""
        for state in self._rules.values():
            rule = state.rule
            if isinstance(rule, LatencyRule):
                if state.until is not None and self.clock() >= state.until:
                    continue
                if self.heal_at is not None and self.clock() >= self.heal_at:
                    return rule.median_ms / 1000
                sigma = math.log(max(rule.p99_ms, rule.median_ms) / rule.median_ms) / Z99
                drawn = state.rng.lognormvariate(math.log(rule.median_ms), sigma)
                if drawn >= rule.p99_ms:
                    self.fired["latency_tail"] += 1
                return drawn / 1000
        return None

    def caller(self, request: httpx.Request, peer: str | None = None) -> str:
        """Whose allowance a call spends (see the module docstring): the OAuth client of its
        bearer token when the mock enforces OAuth, else its remote address ``peer``; the
        ``X-Tenant`` header's tenant when the mock does not enforce OAuth."""
        gate = self.app.gate
        if gate is not None and gate.enforce:
            client = gate.client_of(request.headers.get("authorization", ""))
            if client is not None:
                return f"client:{client}"
            return f"peer:{peer or 'unknown'}"
        return request.headers.get("x-tenant", "default")

    def arrive(self, request: httpx.Request, peer: str | None = None) -> Arrival:
        """Decide and (unless refused or rejected) let the mock handle the request. A call
        admitted under a concurrency cap holds its slot until ``depart``. ``peer`` is the
        remote address of a served call (the quota key of a call without a valid token)."""
        now = self.clock()
        active = self._active(now)
        if not active or request.url.path == self.app.prefix + SPEC_PATH:
            return Arrival(self.app.handle(request))  # the sandbox's spec is not the vendor's
        tenant = self.caller(request, peer)
        for state in active:
            rule = state.rule
            if isinstance(rule, OutageRule) and rule.start <= now < rule.end:
                if rule.mode == "refused":
                    self.fired["refused"] += 1
                    return Arrival(None, fault="refused")
                self.fired["outage"] += 1
                wait = min(3600, math.ceil((rule.end - now).total_seconds()))
                detail = f"{self.name} is down for maintenance"
                return Arrival(
                    self._problem(
                        503, "Service Unavailable", detail, {"retry-after": str(max(1, wait))}
                    ),
                    fault="outage",
                )
        held: str | None = None
        limits: dict[str, str] = {}
        for state in active:
            if isinstance(state.rule, QuotaRule):
                rejected, limits = self._over_quota(state, state.rule, tenant, request.method, now)
                if rejected is not None:
                    return Arrival(rejected, fault=limits["fault"])
                if state.rule.concurrency is not None:
                    held = tenant
        drift: SchemaDriftRule | None = None
        for state in active:
            rule = state.rule
            if isinstance(rule, ErrorRule):
                if state.burst_left or state.rng.random() < rule.rate:
                    state.burst_left = (state.burst_left or rule.burst) - 1
                    self.fired["error"] += 1
                    status = state.rng.choice(rule.statuses)
                    title = "Internal Server Error" if status == 500 else "Bad Gateway"
                    failed = self._problem(status, title, f"{self.name} failed", {})
                    return Arrival(failed, fault="error")
            elif isinstance(rule, SchemaDriftRule) and now >= rule.start:
                drift = rule
        drifted = drift is not None and drifts(request.url.path)
        if drifted:
            rewritten = v1_request(request)
            if isinstance(rewritten, Problem):
                self.fired["schema_drift"] += 1
                return Arrival(to_response(rewritten.reply()), fault="schema_drift")
            request = rewritten
        if held is not None:
            self._in_flight[held] += 1
        response = self.app.handle(request)
        fault = None
        if drifted:
            response = v2_response(response, request.url.path)
            self.fired["schema_drift"] += 1
            fault = "schema_drift"
        if limits:
            response.headers.update(limits)
        lost = False
        for state in active:
            rule = state.rule
            if (
                isinstance(rule, LostResponseRule)
                and request.method in rule.methods
                and state.rng.random() < rule.rate
            ):
                self.fired["lost_response"] += 1
                lost, fault = True, "lost_response"
        return Arrival(response, lost, fault, held)

    def depart(self, arrival: Arrival) -> None:
        """The call is over (answered, timed out or abandoned): free its concurrency slot."""
        if arrival.tenant is not None:
            self._in_flight[arrival.tenant] -= 1
            arrival.tenant = None

    def _over_quota(
        self, state: _State, rule: QuotaRule, tenant: str, method: str, now: datetime
    ) -> tuple[httpx.Response | None, dict[str, str]]:
        """A 429 if the call breaks a window or the concurrency cap, else count the call in
        and give the rate-limit headers of the window with the fewest calls left (on a 429,
        the second item names the fault instead)."""
        t = now.timestamp()
        write = method not in ("GET", "HEAD")
        counted: list[deque[float]] = []
        remaining, reset, tightest = math.inf, 0.0, 0
        for index, window in enumerate(rule.windows):
            if window.applies_to == ("reads" if write else "writes"):
                continue
            calls = state.windows.get((tenant, index))
            if calls is None:
                calls = state.windows[(tenant, index)] = deque()
            while calls and calls[0] <= t - window.window_s:
                calls.popleft()
            others = _others(state, window)
            if len(calls) + others >= window.limit:
                self.fired["quota"] += 1
                wait = max(1, math.ceil(calls[0] + window.window_s - t)) if calls else 1
                if others:  # the slots free up at the others' pace
                    excess = len(calls) + others - window.limit + 1
                    wait = max(1, math.ceil(window.window_s * excess / window.limit))
                return self._problem(
                    429,
                    "Too Many Requests",
                    f"more than {window.limit} calls in {window.window_s:g} s",
                    _limit_headers(window.limit, 0, wait, retry=True),
                ), {"fault": "quota"}
            counted.append(calls)
            left = window.limit - len(calls) - others - 1
            if left < remaining:
                remaining, tightest = left, window.limit
                reset = (calls[0] if calls else t) + window.window_s - t
        if rule.concurrency is not None and self._in_flight[tenant] >= rule.concurrency:
            self.fired["concurrency"] += 1
            return self._problem(
                429,
                "Too Many Requests",
                f"more than {rule.concurrency} concurrent calls",
                _limit_headers(rule.concurrency, 0, 1, retry=True),
            ), {"fault": "concurrency"}
        for calls in counted:
            calls.append(t)
        if not counted:
            return None, {}
        return None, _limit_headers(tightest, int(remaining), reset, retry=False)

    # -- served over HTTP ------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """One request end to end (see the module docstring). Served by ``asgi``, the call
        keeps its concurrency slot and leaves its latency to ``asgi``, which departs it once
        the answer is written; called directly (``transport``), it departs at once."""
        served = _SERVED.get()
        if served is None:
            arrival = self.arrive(request)
            self.depart(arrival)
        else:
            served.delay_s = self.latency_s() or 0.0
            arrival = served.arrival = self.arrive(request, served.peer)
        if arrival.response is None:
            return self._problem(
                503,
                "Service Unavailable",
                f"{self.name} refused the connection",
                {"x-fault": "refused"},
            )
        if arrival.lost:
            return self._problem(
                504,
                "Gateway Timeout",
                f"{self.name} did not answer in time",
                {"x-fault": "lost-response"},
            )
        return arrival.response

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The faulty vendor as an ASGI app: ``VendorApp.asgi`` reads the request and calls
        ``self.handle``; the answer waits here for its latency (``asyncio.sleep``, so other
        requests go on) and the call departs once the answer is written."""
        if scope.get("type") != "http":
            return await VendorApp.asgi(self, scope, receive, send)  # type: ignore[arg-type]
        served = _Served(peer=str((scope.get("client") or ("unknown", 0))[0]))

        async def answer(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and served.waits:
                await asyncio.sleep(served.delay_s)
            await send(message)

        token = _SERVED.set(served)
        try:
            await VendorApp.asgi(self, scope, receive, answer)  # type: ignore[arg-type]
        finally:
            _SERVED.reset(token)
            if served.arrival is not None:
                self.depart(served.arrival)


def _others(state: _State, window: QuotaWindow) -> int:
    """Calls the user's other clients have in the window right now: about ``shared`` of the
    limit, spread like independent arrivals (a standard deviation of its square root)."""
    if not window.shared:
        return 0
    mean = window.shared * window.limit
    return max(0, round(state.rng.gauss(mean, math.sqrt(mean))))


def _limit_headers(limit: int, remaining: int, reset: float, retry: bool) -> dict[str, str]:
    headers = {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(max(0, remaining)),
        "x-ratelimit-reset": str(max(0, math.ceil(reset))),
    }
    if retry:
        headers["retry-after"] = headers["x-ratelimit-reset"]
    return headers
