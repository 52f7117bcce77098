"""Webhook delivery from the vendors to the core: at least once, the way real vendors do it.

A vendor POSTs each notification a short, simulated network delay after the change. A 2xx
answer ends it; any other answer, or a refused connection (the core is down), makes the vendor
try again on its own published schedule until it succeeds or gives up (``REDELIVERY``).

From the scenario's ``faults.webhooks`` the courier also misbehaves the way webhook pipelines
do in production, each notification drawn on its own from a seeded stream:

- *duplicate*: a second copy is sent as well (an independent delivery, with its own retries);
- *reorder*: the copy is held back by a delay drawn up to ``max_delay_s``, so later
  notifications overtake it;
- *drop*: the copy is never sent; the core can only find the work by polling or reconciliation.

*The PSA pushes no webhooks* (Kantata offers a pull feed, Subscribed Events: ``mocks._psa_events``),
so its chaos acts on the feed instead, drawn the same way from the same stream (``feed``):
*duplicate* files a second event (its own id) for the change; *reorder* holds a copy back up to
``max_delay_s``: it appears late and out of order, stamped with its on-time ``created_at``, so a
reader whose ``created_after`` moved past the stamp misses it unless it reads with an overlap;
*drop* means the event is never generated: no read of the feed ever shows it, and only a full
read of the records (the reference core's daily reconciliation) finds that work. The counts
keep the webhook names (``delivered`` is copies filed in the feed).

No chaos from ``faults.heal`` on (a vendor's retries of a failed delivery go on: that is how it
works, not a fault). With no webhook chaos configured nothing is drawn and nothing is traced
beyond the deliveries themselves, so the trace is what it was before the courier existed.

*Inline answers.* A design that handles a webhook inline (``point-to-point``) answers it with a
deferred answer: a flow that makes its downstream calls and then returns the ``httpx.Response``.
The world runs that flow on the clock (``answer_later``) and the vendor waits for it at most
its own delivery timeout (``DELIVERY_TIMEOUT_S``). Past it the vendor hangs up: the delivery
failed and is tried again on the vendor's schedule, while the first processing runs on to its
end, as a real server's request handler does once the client has gone. A core that crashes
while it processes drops the connection: a failed delivery too. Designs that answer at once
(the reference acknowledges and spawns its work) never take this path.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import simplejson
import simpy

from mocks import STRIPE_LIVEMODE, Webhook
from sim.record.trace import Trace
from sim.scenario.faults import WebhookChaosSpec, WebhookVendor
from sim.seeds import stream
from sim.world.signing import WebhookSigner

__all__ = [
    "DELIVERY_TIMEOUT_S",
    "REDELIVERY",
    "STRIPE_REDELIVERY",
    "WEBHOOK_DELAY_S",
    "CoreRefused",
    "Courier",
    "RetrySchedule",
    "WebhookCounts",
    "answer_later",
]

WEBHOOK_DELAY_S = 2.0
"""Network delay between the vendor's change and its POST reaching the core."""


class CoreRefused(httpx.ConnectError):
    """The core is down: nothing listens on its port (connection refused)."""


@dataclass(frozen=True)
class RetrySchedule:
    """When a vendor tries a failed delivery again: ``first_s`` after the first failure, each
    wait ``factor`` times the one before, at most ``cap_s``; it gives up after ``max_retries``
    retries or when the next try would come later than ``horizon_s`` after the first one."""

    first_s: float
    factor: float
    cap_s: float
    horizon_s: float
    max_retries: int | None = None
    then_s: float | None = None  # a fixed wait from the second retry on (e.g. DocuSign's holds)
    source: str = ""
    gone_disables: bool = False  # a 410 answer disables the subscription at once
    disable_after: tuple[int, float] | None = None  # (failures in a row, over at least seconds)

    def wait(self, retry: int, since_first_s: float) -> float | None:
        """Seconds before retry number ``retry`` (1-based), or None: the vendor gives up."""
        if self.max_retries is not None and retry > self.max_retries:
            return None
        if retry > 1 and self.then_s is not None:
            wait = self.then_s
        else:
            wait = min(self.first_s * self.factor ** (retry - 1), self.cap_s)
        if since_first_s + wait > self.horizon_s:
            return None
        return wait


HOUR = 3600.0
# Stripe retries per mode: "In live mode, Stripe attempts to deliver a given event to your
# webhook endpoint for up to 3 days with an exponential back off. In sandboxes, Stripe retries
# three times over a few hours" (https://docs.stripe.com/webhooks, "Retry behavior", read
# 2026-12-07). Neither mode's intervals are published (the Dashboard shows the next attempt).
# Ours: live, 5 min doubling, capped at 12 h, for 72 h; test, an hour apart, three times.
STRIPE_REDELIVERY: dict[str, RetrySchedule] = {
    "live": RetrySchedule(
        first_s=5 * 60.0, factor=2.0, cap_s=12 * HOUR, horizon_s=72 * HOUR,
        source="Stripe live mode: exponential backoff for up to 3 days (5 min doubling: ours)",
    ),
    "test": RetrySchedule(
        first_s=HOUR, factor=1.0, cap_s=HOUR, horizon_s=4 * HOUR, max_retries=3,
        source="Stripe test mode: 3 retries over a few hours (hourly: ours)",
    ),
}  # fmt: skip
REDELIVERY: dict[str, RetrySchedule] = {
    # Salesforce outbound messages: retried with growing intervals capped at 2 h, dropped from
    # the queue once 24 h old (Salesforce publishes the cap and the age, not the first wait).
    "crm": RetrySchedule(
        first_s=15.0, factor=2.0, cap_s=2 * HOUR, horizon_s=24 * HOUR,
        source="Salesforce outbound messages: up to 24 h, interval capped at 2 h",
    ),
    # Ironclad (the CLM mirrors it): "A total of up to 10 retries will be attempted over 13.6
    # hours; the time between retries is determined by an exponential backoff" after a 4xx or
    # 5xx (https://developer.ironcladapp.com/reference/webhooks, updated 2026-08-26, read
    # 2026-12-07). The page gives the count and the span, not the first wait: doubling waits
    # (the factor of Ironclad's earlier page) from 48 s span 48 x (2^10 - 1) s = 13.64 h.
    # Deactivation: "Webhooks that receive a 410 (Gone) response are immediately disabled";
    # any other 4xx/5xx counts as a failure, a 2xx resets the count, and a webhook that "has
    # failed at least 100 consecutive times" over "a minimum of 7 consecutive days" is disabled
    # (https://developer.ironcladapp.com/reference/webhook-deactivation, updated 2026-09-26,
    # read 2026-12-07; an older copy of the page said 10 days). A disabled webhook sends
    # nothing more; nothing in the sandbox enables it again.
    "clm": RetrySchedule(
        first_s=48.0, factor=2.0, cap_s=48.0 * 2**9, horizon_s=14 * HOUR, max_retries=10,
        source="Ironclad: up to 10 retries over 13.6 h, exponential (48 s doubling: ours)",
        gone_disables=True, disable_after=(100, 7 * 24 * HOUR),
    ),
    # Stripe, in the mode the payments mock simulates (``mocks.STRIPE_LIVEMODE``: test mode).
    "payments": STRIPE_REDELIVERY["live" if STRIPE_LIVEMODE else "test"],
}  # fmt: skip
# A vendor without a published schedule (the sandbox's own test senders): first retry after a
# minute, doubling, at most an hour apart, abandoned after 24 h. Our choice. (The PSA sends no
# webhooks: Kantata's change feed is pulled, see ``feed``.)
_DEFAULT_SCHEDULE = RetrySchedule(
    first_s=60.0, factor=2.0, cap_s=HOUR, horizon_s=24 * HOUR,
    source="our choice (no published schedule): 1 min doubling, capped 1 h, for 24 h",
)  # fmt: skip

DELIVERY_TIMEOUT_S: dict[str, float] = {
    # Salesforce: "The timeout for an outbound message is 60 seconds" (Salesforce Help,
    # Outbound Message Considerations, platform.workflow_om_considerations, read 2026-12-07).
    "crm": 60.0,
    # Ironclad publishes its retries (up to 10 over 13.6 h, developer.ironcladapp.com/reference/
    # webhooks) but no response timeout. Ours: 10 s, as ``q2c serve`` delivers.
    "clm": 10.0,
    # Stripe publishes no number: a delivery "Timed out" when the server "took too long"
    # (support.stripe.com/questions/webhooks-how-to-investigate-and-fix-timed-out) and the
    # endpoint must answer "prior to any complex logic that could cause a timeout"
    # (docs.stripe.com/webhooks#acknowledge-events-immediately). Payload CMS's maintainers
    # observed 10-20 s (payloadcms/payload commit 4179bf3): we take 20 s.
    "payments": 20.0,
}
"""How long each vendor waits for the core's answer to one delivery before it hangs up."""
_DEFAULT_TIMEOUT_S = 10.0


@dataclass
class WebhookCounts:
    """What happened to one vendor's notifications (copies, not distinct events)."""

    delivered: int = 0  # copies the core accepted (2xx)
    duplicated: int = 0  # extra copies sent by the duplicate fault
    dropped: int = 0  # copies never sent
    redelivered: int = 0  # tries after a copy's first one
    gave_up: int = 0  # copies the vendor abandoned when its schedule ran out
    delayed: int = 0  # copies held back (and so possibly overtaken)
    timed_out: int = 0  # tries the vendor hung up on: an inline answer took too long
    unsent: int = 0  # copies not sent: the vendor had disabled the webhook (Ironclad's 410)

    def as_dict(self, inline: bool = False) -> dict[str, int]:
        """The counts; ``timed_out`` only for a core that answers inline (the reference's
        metrics stay what they were)."""
        counts = {
            "delivered": self.delivered,
            "duplicated": self.duplicated,
            "dropped": self.dropped,
            "redelivered": self.redelivered,
            "gave_up": self.gave_up,
            "delayed": self.delayed,
        }
        if inline:
            counts["timed_out"] = self.timed_out
        if self.unsent:  # only where a vendor disabled its webhook (the metrics stay the same)
            counts["unsent"] = self.unsent
        return counts


Answer = httpx.Response | simpy.Process
"""What the core gives a delivery: its answer, or a process whose value will be the answer
(None if the core died first: the connection dropped)."""
CallCore = Callable[..., Answer]
"""``call_core(method, path, content)``, or with a fourth argument, the request's headers (the
vendor's signature), when the courier has a signer."""


def answer_later(
    env: simpy.Environment,
    flow: Generator[Any, Any, httpx.Response],
    alive: Callable[[], bool],
    answered: Callable[[int | str], None] = lambda status: None,
) -> simpy.Process:
    """Run a core's deferred answer on the clock, step by step like the runtime's flows (so a
    crash, ``alive()`` turning false, ends it between two steps). The process's value is the
    answer; a flow that raises answers 500, as a web server does with an unhandled error; a
    flow that dies with its core gives None. It never fails: nobody may be waiting for it any
    more (the vendor hung up), and a failed SimPy process nobody waits for stops the world.
    ``answered`` hears the status (or "dropped") when the answer is ready."""

    def drive() -> Generator[Any, Any, httpx.Response | None]:
        value: Any = None
        error: Exception | None = None
        try:
            while True:
                if not alive():
                    flow.close()
                    answered("dropped")
                    return None
                if error is None:
                    event = flow.send(value)
                else:
                    event, error = flow.throw(error), None
                try:
                    value = yield event
                except Exception as exc:  # a failed event: the flow gets to handle it
                    value, error = None, exc
        except StopIteration as stop:
            response: httpx.Response = stop.value
        except Exception as exc:  # an unhandled error in the design's handler
            response = httpx.Response(
                500, json={"title": "Internal Server Error", "status": 500,
                           "detail": f"{type(exc).__name__}: {exc}"},
            )  # fmt: skip
        answered(response.status_code)
        return response

    return env.process(drive())


class Courier:
    """Carries each vendor webhook to the core, at least once, with the configured chaos."""

    def __init__(
        self,
        env: simpy.Environment,
        now: Callable[[], datetime],
        call_core: CallCore,
        trace: Trace,
        seed: int,
        chaos: Mapping[WebhookVendor, WebhookChaosSpec],
        heal_at: datetime,
        signer: WebhookSigner | None = None,
    ) -> None:
        self._env = env
        self._signer = signer  # None: deliveries go unsigned (the unit tests' couriers)
        self._now = now
        self._call_core = call_core
        self._trace = trace
        self._chaos: dict[str, WebhookChaosSpec] = {
            v: c for v, c in sorted(chaos.items()) if _active(c)
        }
        self._heal_at = heal_at
        self._rngs = {v: stream(seed, "courier", v) for v in sorted(self._chaos)}
        self.counts: dict[str, WebhookCounts] = {}
        self.listening: tuple[str, ...] | None = None  # None: the design takes every vendor's
        self.attempts = 0  # every POST the core received (the old ``webhooks_delivered``)
        self.inline = False  # has the core answered any delivery inline (deferred)?
        self.disabled: dict[str, str] = {}  # vendor -> why its webhook was disabled
        self._failing: dict[str, tuple[int, float]] = {}  # vendor -> (failures in a row, since)

    def __call__(self, webhook: Webhook) -> None:
        """The mocks' webhook sink: plan the copies of this notification and send them."""
        if self.listening is not None and webhook.vendor not in self.listening:
            return  # no subscription registered for the design: the vendor sends nothing
        counts = self.counts.setdefault(webhook.vendor, WebhookCounts())
        if webhook.vendor in self.disabled:
            counts.unsent += 1
            self._trace.write("webhook.unsent", vendor=webhook.vendor, event=webhook.event)
            return
        event_id = self._signer.event_id() if self._signer is not None else ""
        chaos = self._chaos.get(webhook.vendor)
        if chaos is None or self._now() >= self._heal_at:
            self._env.process(self._deliver(webhook, WEBHOOK_DELAY_S, counts, event_id))
            return
        rng = self._rngs[webhook.vendor]
        copies = 2 if rng.random() < chaos.duplicate else 1
        if copies == 2:
            counts.duplicated += 1
            self._trace.write("webhook.duplicated", vendor=webhook.vendor, event=webhook.event)
        for copy in range(1, copies + 1):
            if rng.random() < chaos.drop:
                counts.dropped += 1
                self._trace.write("webhook.dropped", vendor=webhook.vendor, event=webhook.event)
                continue
            delay = WEBHOOK_DELAY_S
            if chaos.max_delay_s > 0 and rng.random() < chaos.reorder:
                delay += round(rng.uniform(0.0, chaos.max_delay_s), 3)
                counts.delayed += 1
            self._env.process(self._deliver(webhook, delay, counts, event_id, copy))

    def feed(self, vendor: str) -> Callable[[str, str], list[float]]:
        """The chaos of ``vendor``'s pull feed (see the module docstring), as the mock's
        ``Appearance``: the seconds each copy of an event appears late (none: never made)."""

        def appearance(tenant: str, event_type: str) -> list[float]:
            counts = self.counts.setdefault(vendor, WebhookCounts())
            chaos = self._chaos.get(vendor)
            if chaos is None or self._now() >= self._heal_at:
                counts.delivered += 1
                return [0.0]
            rng = self._rngs[vendor]
            copies = 2 if rng.random() < chaos.duplicate else 1
            if copies == 2:
                counts.duplicated += 1
                self._trace.write("feed.duplicated", vendor=vendor, event=event_type)
            delays: list[float] = []
            for _ in range(copies):
                if rng.random() < chaos.drop:
                    counts.dropped += 1
                    self._trace.write("feed.dropped", vendor=vendor, event=event_type)
                    continue
                delay = 0.0
                if chaos.max_delay_s > 0 and rng.random() < chaos.reorder:
                    delay = round(rng.uniform(0.0, chaos.max_delay_s), 3)
                    counts.delayed += 1
                counts.delivered += 1
                delays.append(delay)
            return delays

        return appearance

    def _deliver(
        self,
        webhook: Webhook,
        delay: float,
        counts: WebhookCounts,
        event_id: str,
        copy: int = 1,
    ) -> Generator[Any, Any, None]:
        yield self._env.timeout(delay)
        schedule = REDELIVERY.get(webhook.vendor, _DEFAULT_SCHEDULE)
        first_try = self._env.now
        attempt = 1
        while webhook.vendor not in self.disabled:  # a disabled webhook's retries stop too
            content = simplejson.dumps(webhook.body, use_decimal=True, sort_keys=True).encode()
            status: int | str
            path = f"/webhooks/{webhook.vendor}"
            try:
                if self._signer is None:
                    answer = self._call_core("POST", path, content)
                else:  # signed afresh on every attempt, as the vendors do
                    headers = self._signer.headers(
                        webhook, event_id, content, self._now(), attempt, copy
                    )
                    answer = self._call_core("POST", path, content, headers)
            except httpx.TransportError:
                status = "refused"
            else:
                if isinstance(answer, httpx.Response):
                    status = answer.status_code
                else:
                    status = yield from self._wait(webhook.vendor, answer, counts)
            self.attempts += 1
            fields: dict[str, Any] = {"vendor": webhook.vendor, "event": webhook.event}
            if attempt > 1:
                fields["attempt"] = attempt
            self._trace.write("webhook", **fields, status=status)
            if isinstance(status, int) and 200 <= status < 300:
                counts.delivered += 1
                self._failing.pop(webhook.vendor, None)
                return
            if self._disables(webhook.vendor, schedule, status):
                return
            wait = schedule.wait(attempt, self._env.now - first_try)
            if wait is None:
                counts.gave_up += 1
                self._trace.write("webhook.gave_up", **fields)
                return
            yield self._env.timeout(wait)
            attempt += 1
            counts.redelivered += 1
        counts.unsent += 1  # disabled while this copy waited for its (next) try

    def _disables(self, vendor: str, schedule: RetrySchedule, status: int | str) -> bool:
        """Count a failed try; True when it makes the vendor disable its webhook (a 410, or
        the run of failures its deactivation rule names), traced once."""
        failures, since = self._failing.get(vendor, (0, self._env.now))
        self._failing[vendor] = (failures + 1, since)
        why = ""
        if status == 410 and schedule.gone_disables:
            why = "410 Gone"
        elif schedule.disable_after is not None:
            most, span = schedule.disable_after
            if failures + 1 >= most and self._env.now - since >= span:
                why = f"{failures + 1} failures in a row since {since:.0f} s"
        if why:
            self.disabled[vendor] = why
            self._trace.write("webhook.disabled", vendor=vendor, why=why)
        return bool(why)

    def _wait(
        self, vendor: str, answer: simpy.Process, counts: WebhookCounts
    ) -> Generator[Any, Any, int | str]:
        """Wait for an inline answer at most the vendor's delivery timeout: its status,
        "timeout" when the vendor hung up first, "dropped" when the core died on it."""
        self.inline = True
        limit = self._env.timeout(DELIVERY_TIMEOUT_S.get(vendor, _DEFAULT_TIMEOUT_S))
        done = yield answer | limit
        if answer not in done:
            counts.timed_out += 1
            return "timeout"
        response: httpx.Response | None = answer.value
        return "dropped" if response is None else response.status_code

    def metrics(self) -> dict[str, dict[str, int]]:
        return {vendor: c.as_dict(self.inline) for vendor, c in sorted(self.counts.items())}


def _active(chaos: WebhookChaosSpec) -> bool:
    return bool(chaos.duplicate or chaos.drop or (chaos.reorder and chaos.max_delay_s))
