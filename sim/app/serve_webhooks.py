"""Webhooks out of ``q2c serve``: to the client's URLs, at least once, signed as each vendor signs.

The served mocks hand every notification to ``Outbox.sink``, inside the request that caused it.
The sink only renders the body and schedules the deliveries on a background event loop (its own
thread), so no request ever waits on a receiver. Each registered endpoint that wants the event
gets its own delivery: POSTed at once, and on any answer but a 2xx (or no answer: refused,
timed out) tried again on the vendor's published schedule (``SCHEDULES``), until it succeeds or
the schedule runs out. Every attempt is signed afresh (Stripe: a new ``t``; Ironclad: a new
nonce) and written to the tenant's delivery log (``GET /_admin/webhooks/deliveries``).

Webhook chaos, per vendor, with the scenario's own model (``faults.webhooks``: duplicate,
reorder with ``max_delay_s``, drop) set from the scenario or the admin API, drawn from a
seeded stream per vendor as the simulation's courier draws it:

- *duplicate*: a second, independent copy (same event id, its own retries);
- *reorder*: the copy waits up to ``max_delay_s`` before its first attempt, so later events
  overtake it;
- *drop*: the copy's first attempt is lost on the way (logged as ``dropped``); the vendor sees
  no answer and retries on its schedule. Unlike the simulation's courier, where a dropped copy
  is never sent, a served drop is a drop-then-retry: the vendors promise at least once.

Wall-clock code, not simulated: real time, random signing secrets and nonces. Schedules are
the vendors' own; ``retry_scale`` (``q2c serve --webhook-retry-scale``) shrinks every wait by
the same factor for CI, explicitly, and the log shows the waits as scaled.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import simplejson

from mocks import (
    SIGNING,
    Endpoint,
    IroncladKey,
    Webhook,
    ironclad_headers,
    stripe_header,
)
from sim.scenario.faults import WebhookChaosSpec
from sim.seeds import derive_seed
from sim.world.courier import REDELIVERY, RetrySchedule

__all__ = ["SCHEDULES", "EndpointSource", "Outbox"]

SCHEDULES: dict[str, RetrySchedule] = {
    # Salesforce outbound messages: the simulation's schedule (sim.world.courier), sourced there.
    "crm": REDELIVERY["crm"],
    # Ironclad: the simulation's schedule (sim.world.courier), sourced there: up to 10 retries
    # over 13.6 h (developer.ironcladapp.com/reference/webhooks, updated 2026-08-26).
    "clm": REDELIVERY["clm"],
    # Stripe in the mode the mock simulates (test mode): the simulation's schedule, sourced
    # there (sim.world.courier.STRIPE_REDELIVERY).
    "payments": REDELIVERY["payments"],
}  # fmt: skip

TIMEOUT_S = 10.0  # how long a receiver may take to answer (our choice: vendors publish none)
LOG_LIMIT = 10_000  # attempts kept per tenant (oldest forgotten first)
STRIPE_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"  # the User-Agent Stripe sends


class EndpointSource(Protocol):
    """Where a vendor's endpoints are registered (a mock's own API, or the admin API)."""

    def matching(self, tenant: str, event: str) -> list[Endpoint]: ...


@dataclass(frozen=True)
class _Copy:
    vendor: str
    tenant: str
    event: str
    event_id: str
    endpoint: Endpoint
    payload: bytes
    copy: int  # 1, or 2 for the duplicate fault's extra copy
    delay_s: float  # the reorder fault's hold before the first attempt
    drop_first: bool


class Outbox:
    """Delivers the served mocks' webhooks to the registered endpoints (see module docstring)."""

    def __init__(self, seed: int, *, retry_scale: float = 1.0, timeout_s: float = TIMEOUT_S):
        if not 0 < retry_scale <= 1:
            raise ValueError("retry_scale must be in (0, 1]: schedules may shrink, never grow")
        self.retry_scale = retry_scale
        self.timeout_s = timeout_s
        self.sources: dict[str, EndpointSource] = {}
        self.chaos: dict[str, WebhookChaosSpec] = {}
        self._rngs = {
            vendor: random.Random(derive_seed(seed, "serve", "webhooks", vendor))
            for vendor in SCHEDULES
        }
        self._log: dict[str, deque[dict[str, Any]]] = {}
        self._seq = 0
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._ironclad_key: IroncladKey | None = None
        # endpoints their vendor disabled (Ironclad: a 410 answer), by (tenant, endpoint id)
        self._disabled: set[tuple[str, str]] = set()

    @property
    def ironclad_key(self) -> IroncladKey:
        """The CLM's signing key pair, made once on first use (an RSA key takes a moment)."""
        with self._lock:
            if self._ironclad_key is None:
                self._ironclad_key = IroncladKey.generate()
            return self._ironclad_key

    # -- the mocks' sink (runs inside the request: renders and schedules, never waits) --------

    def sink(self, webhook: Webhook) -> None:
        source = self.sources.get(webhook.vendor)
        if source is None:
            return
        endpoints = source.matching(webhook.tenant, webhook.event)
        if not endpoints:
            return
        payload = simplejson.dumps(
            webhook.body, use_decimal=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        event_id = _event_id(webhook)
        with self._lock:
            chaos = self.chaos.get(webhook.vendor)
            rng = self._rngs[webhook.vendor]
            copies: list[_Copy] = []
            for endpoint in endpoints:
                count = 2 if chaos is not None and rng.random() < chaos.duplicate else 1
                for n in range(1, count + 1):
                    delay, drop = 0.0, False
                    if chaos is not None:
                        drop = rng.random() < chaos.drop
                        if chaos.max_delay_s > 0 and rng.random() < chaos.reorder:
                            delay = round(rng.uniform(0.0, chaos.max_delay_s), 3)
                    copies.append(
                        _Copy(webhook.vendor, webhook.tenant, webhook.event, event_id,
                              endpoint, payload, n, delay, drop)
                    )  # fmt: skip
        loop = self._start()
        for item in copies:
            future = asyncio.run_coroutine_threadsafe(self._deliver(item), loop)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    # -- delivery (on the outbox's own loop) ---------------------------------------------------

    async def _deliver(self, item: _Copy) -> None:
        if item.delay_s:
            await asyncio.sleep(item.delay_s)
        schedule = SCHEDULES[item.vendor]
        first = time.monotonic()
        attempt = 1
        key = (item.tenant, item.endpoint.id)
        while True:
            status: int | str
            if key in self._disabled:
                self._record(item, attempt, "disabled", False, None)
                return
            if attempt == 1 and item.drop_first:
                status = "dropped"
            else:
                status = await self._post(item)
            ok = isinstance(status, int) and 200 <= status < 300
            wait = None
            if status == 410 and schedule.gone_disables:
                # "Webhooks that receive a 410 (Gone) response are immediately disabled"
                # (developer.ironcladapp.com/reference/webhook-deactivation, see courier)
                self._disabled.add(key)
            elif not ok:
                since = (time.monotonic() - first) / self.retry_scale
                plain = schedule.wait(attempt, since)
                wait = None if plain is None else plain * self.retry_scale
            self._record(item, attempt, status, ok, wait)
            if ok or wait is None:
                return
            await asyncio.sleep(wait)
            attempt += 1

    async def _post(self, item: _Copy) -> int | str:
        assert self._client is not None
        headers = self._headers(item)
        try:
            response = await self._client.post(
                item.endpoint.url, content=item.payload, headers=headers
            )
        except httpx.TimeoutException:
            return "timeout"
        except httpx.TransportError:
            return "refused"
        return response.status_code

    def _headers(self, item: _Copy) -> dict[str, str]:
        """The vendor's wire headers for one attempt, signed now."""
        headers = {"content-type": "application/json; charset=utf-8"}
        secret = item.endpoint.secret
        if item.vendor == "payments" and secret is not None:
            headers["user-agent"] = STRIPE_AGENT
            headers["stripe-signature"] = stripe_header(secret, item.payload, int(time.time()))
        elif item.vendor == "clm":
            headers.update(ironclad_headers(self.ironclad_key, item.event_id, item.payload))
        return headers

    def _record(
        self, item: _Copy, attempt: int, status: int | str, ok: bool, wait: float | None
    ) -> None:
        now = time.time()
        disabled = (item.tenant, item.endpoint.id) in self._disabled
        row = {
            "event": item.event,
            "event_id": item.event_id,
            "vendor": item.vendor,
            "endpoint": item.endpoint.id,
            "url": item.endpoint.url,
            "copy": item.copy,
            "held_s": item.delay_s,  # the reorder fault's hold before the first attempt
            "attempt": attempt,
            "status": status,
            "at": _iso(now),
            "next_retry": None if wait is None else _iso(now + wait),
            "outcome": _outcome(status, ok, wait, disabled),
        }
        with self._lock:
            self._seq += 1
            log = self._log.setdefault(item.tenant, deque(maxlen=LOG_LIMIT))
            log.append({"seq": self._seq, **row})

    # -- admin -----------------------------------------------------------------------------

    def deliveries(self, tenant: str, after: int = 0) -> list[dict[str, Any]]:
        """The tenant's attempts, oldest first, those after sequence number ``after``."""
        with self._lock:
            return [dict(row) for row in self._log.get(tenant, ()) if row["seq"] > after]

    def chaos_view(self) -> dict[str, Any]:
        return {v: c.model_dump(mode="json") for v, c in sorted(self.chaos.items())}

    def schedules(self) -> dict[str, Any]:
        return {
            vendor: {"source": s.source, "signing": SIGNING[vendor], "scale": self.retry_scale}
            for vendor, s in SCHEDULES.items()
        }

    def reset(self) -> None:
        """Forget pending deliveries and the logs (``POST /_admin/reset``)."""
        with self._lock:
            pending, self._pending = list(self._pending), set()
            self._log.clear()
            self._disabled.clear()
        for future in pending:
            future.cancel()

    # -- the loop --------------------------------------------------------------------------

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    self._client = httpx.AsyncClient(
                        timeout=self.timeout_s, follow_redirects=False, trust_env=False
                    )
                    ready.set()
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="q2c-webhooks", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Stop delivering (pending retries are abandoned) and free the loop and its client."""
        self.reset()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        client = self._client
        if client is not None:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        self._loop = self._thread = self._client = None


def _event_id(webhook: Webhook) -> str:
    """The id a receiver deduplicates on, the same for every copy and attempt of one event."""
    body: Mapping[str, Any] = webhook.body
    if webhook.vendor == "payments":
        return str(body["id"])
    if webhook.vendor == "crm":
        return str(body["Notification"][0]["Id"])
    return "webhookEvent" + secrets.token_hex(12)  # Ironclad's X-Ironclad-Webhook-Event-Id


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _outcome(status: int | str, ok: bool, wait: float | None, disabled: bool) -> str:
    """A delivery attempt's outcome in the log."""
    if ok:
        return "delivered"
    if disabled:
        return "disabled"  # the vendor disabled the endpoint (a 410 now, or before)
    return "retrying" if wait is not None else "gave_up"
