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

A quota rule answers as the mirrored vendor does (``quota_signals``, and the app's ``refine`` for
the body and status): a bare 429 for Business Central, Stripe, Kantata, AvaTax and Ironclad
(none documents a Retry-After or rate-limit header), ``Sforce-Limit-Info`` on every
Salesforce answer and 403 ``REQUEST_LIMIT_EXCEEDED`` past its allocation. A rule with a
``queue`` (Business Central's 5 processed at once, 95 waiting) admits calls past its
concurrency with a wait, ``Arrival.queued_s``: a round of the latency rule's median per
``concurrency`` calls ahead; a call whose wait would pass the rule's ``queue_timeout_s``
(BC: 8 minutes) holds its place that long and then gets 503.
Served, the wait is spent on the event loop with the latency; the simulator's runtime adds it
to the response half (in simulated time), so a queued call comes back later, or times out.

The published spec (``GET /openapi.json``) is the sandbox's, not the vendor's: no fault
touches it, so a contract tester can load it during an outage.
"""

from __future__ import annotations

import asyncio
import builtins
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from contracts.specs import SPEC_PATH
from mocks._faults_call import Inbound
from mocks._faults_drift import drifts, from_mock, to_mock
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
    quota_signals,
)
from mocks._http import LocalTransport, Problem, VendorApp, to_response

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
    queued_s: float = 0.0  # how long it waited in the vendor's queue before being processed


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


@dataclass(slots=True)
class _Verdict:
    """A quota rule's decision on one call: the 429 (and the fault's name) when refused,
    else the vendor's usage headers and the time the call waits in its queue."""

    rejected: httpx.Response | None
    fault: str | None
    headers: dict[str, str] = field(default_factory=dict)
    queued_s: float = 0.0


@dataclass
class _State:
    rule: Rule
    rng: random.Random
    windows: dict[tuple[str, int, str], deque[float]]  # (tenant, window, endpoint or "")
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
        self._local = LocalTransport(app)  # the mock's lean path, for ``inbound`` calls

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

    def caller(self, request: httpx.Request | Inbound, peer: str | None = None) -> str:
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

    def inbound(
        self,
        host: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Inbound:
        """The simulator's call ``httpx.Request(method, f"http://{host}{path}", params=...,
        headers=..., content=...)`` for ``arrive``, without building that request where no
        rule needs it (``mocks._faults_call``)."""
        return Inbound(self._local, host, method, path, params, headers, content)

    def arrive(self, request: httpx.Request | Inbound, peer: str | None = None) -> Arrival:
        """Decide and (unless refused or rejected) let the mock handle the request. A call
        admitted under a concurrency cap holds its slot until ``depart``. ``peer`` is the
        remote address of a served call (the quota key of a call without a valid token)."""
        call = request if isinstance(request, Inbound) else Inbound.of(request, self._local)
        now = self.clock()
        active = self._active(now)
        if not active or call.path == self.app.prefix + SPEC_PATH:
            return Arrival(call.handle())  # the sandbox's spec is not the vendor's
        tenant: str | None = None  # worked out when a quota asks (headers cost a little)
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
        queued_s = 0.0
        for state in active:
            if isinstance(state.rule, QuotaRule):
                if tenant is None:
                    tenant = self.caller(call, peer)
                endpoint = call.method  # the route template only where a window needs it
                if any(w.per_endpoint for w in state.rule.windows):
                    endpoint = self.app.template(call.method, call.path)
                verdict = self._over_quota(state, state.rule, tenant, endpoint, now)
                if verdict.rejected is not None and verdict.queued_s:  # held while it waited
                    self._in_flight[tenant] += 1
                    return Arrival(verdict.rejected, fault=verdict.fault, tenant=tenant,
                                   queued_s=verdict.queued_s)  # fmt: skip
                if verdict.rejected is not None:
                    return Arrival(verdict.rejected, fault=verdict.fault)
                limits.update(verdict.headers)
                queued_s = max(queued_s, verdict.queued_s)
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
        drifted = drift is not None and drifts(call.path)
        if drifted:  # the translation works on httpx objects
            rewritten = to_mock(call.request())
            if isinstance(rewritten, Problem):
                self.fired["schema_drift"] += 1
                return Arrival(
                    to_response(self.app.refine(rewritten).reply()), fault="schema_drift"
                )
            call = Inbound.of(rewritten, self._local)
        if held is not None:
            self._in_flight[held] += 1
        response = call.handle()
        fault = None
        if drifted:
            response = from_mock(response, call.request())
            self.fired["schema_drift"] += 1
            fault = "schema_drift"
        if limits:
            response.headers.update(limits)
        lost = False
        for state in active:
            rule = state.rule
            if (
                isinstance(rule, LostResponseRule)
                and call.method in rule.methods
                and state.rng.random() < rule.rate
            ):
                self.fired["lost_response"] += 1
                lost, fault = True, "lost_response"
        return Arrival(response, lost, fault, held, queued_s)

    def depart(self, arrival: Arrival) -> None:
        """The call is over (answered, timed out or abandoned): free its concurrency slot."""
        if arrival.tenant is not None:
            self._in_flight[arrival.tenant] -= 1
            arrival.tenant = None

    def _over_quota(
        self, state: _State, rule: QuotaRule, tenant: str, endpoint: str, now: datetime
    ) -> _Verdict:
        """A 429 if the call breaks a window or finds the vendor's processing slots and queue
        full; else count the call in, with the time it waits in the queue (past the slots)
        and the usage headers the vendor sends on every answer (``quota_signals``). ``endpoint``:
        the call's method and path template, the key of a ``per_endpoint`` window."""
        t = now.timestamp()
        write = endpoint.split(" ", 1)[0] not in ("GET", "HEAD")
        counted: list[deque[float]] = []
        usage: tuple[int, int] | None = None  # (calls made, limit) of the longest window
        longest = 0.0
        for index, window in enumerate(rule.windows):
            if window.applies_to == ("reads" if write else "writes"):
                continue
            key = (tenant, index, endpoint if window.per_endpoint else "")
            calls = state.windows.get(key)
            if calls is None:
                calls = state.windows[key] = deque()
            while calls and calls[0] <= t - window.window_s:
                calls.popleft()
            others = _others(state, window)
            if len(calls) + others >= window.limit:
                self.fired["quota"] += 1
                headers = quota_signals(self.name, (window.limit, window.limit))
                detail = f"more than {window.limit} calls in {window.window_s:g} s"
                return _Verdict(self._throttled(detail, headers), "quota")
            counted.append(calls)
            if window.window_s >= longest:
                longest, usage = window.window_s, (len(calls) + others + 1, window.limit)
        queued_s = 0.0
        if rule.concurrency is not None:
            busy = self._in_flight[tenant]
            room = rule.concurrency + (rule.queue or 0)
            if busy >= room:
                self.fired["concurrency"] += 1
                detail = f"more than {room} concurrent calls"
                return _Verdict(
                    self._throttled(detail, quota_signals(self.name, usage)), "concurrency"
                )
            if busy >= rule.concurrency:  # processed once the calls ahead of it are done
                self.fired["queued"] += 1
                ahead = busy - rule.concurrency + 1
                queued_s = math.ceil(ahead / rule.concurrency) * self._service_s()
        for calls in counted:
            calls.append(t)
        timeout = rule.queue_timeout_s
        if timeout is not None and queued_s > timeout:  # waits its time out in the queue
            self.fired["queue_timeout"] += 1
            detail = f"waited {timeout:g} s in the queue without a processing slot"
            gone = self._problem(503, "Service Unavailable", detail, {})
            return _Verdict(gone, "queue_timeout", queued_s=timeout)
        return _Verdict(None, None, quota_signals(self.name, usage), queued_s)

    def _throttled(self, detail: str, headers: dict[str, str]) -> httpx.Response:
        return self._problem(429, "Too Many Requests", detail, headers)

    def _service_s(self) -> float:
        """How long the vendor takes to process one call, for the queue's wait: the latency
        rule's median (without a draw, so the queue never shifts a random stream), 0 without
        one (the mock answers at once)."""
        for state in self._rules.values():
            if isinstance(state.rule, LatencyRule):
                return state.rule.median_ms / 1000
        return 0.0

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
            served.delay_s += arrival.queued_s  # waits in the vendor's queue, on the loop
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

    def served(self) -> VendorApp | None:
        """With no rule installed this layer adds nothing to a call (``arrive`` hands it on as
        it is: no latency, no slot, no draw), so the vendor answers a served call from its
        scope itself (``VendorApp.asgi``'s path without httpx objects); with any rule, even one
        healed or past its end, every call comes through ``handle``."""
        return None if self._rules else self.app

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
