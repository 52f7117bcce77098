"""The point-to-point design: each webhook handled inline, by direct calls to the next system.

What a hand-rolled script or a simple iPaaS recipe does, done competently:

- *Inline.* A webhook's answer waits for the downstream calls it starts (``handle`` returns a
  deferred answer, see ``contracts/design.yaml``): 200 when they all went through, 500 when
  one failed, so the vendor's own redelivery is the only retry of the work. A webhook whose
  processing outlasts the vendor's delivery timeout is redelivered while the first processing
  still runs, and may be processed twice.
- *No durable state.* What it keeps between webhooks (the contracts it set up, the approved
  items it collected and not yet invoiced, the invoices it asked payment for) lives in memory,
  keyed by the vendors' ids the way a recipe's lookup table is: a second copy of the same
  approval overwrites, it does not add. A crash loses all of it; no inbox, no outbox.
- *A plain HTTP client* (``PlainClient``): the default single retry of a well-kept client,
  nothing more: no backoff, no quota pacing, no circuit breaker.
- *No idempotency beyond that*: invoices, credit memos and payments are POSTed without looking
  first (Business Central has no idempotency key, and a recipe that posts an invoice per
  billing run does not search the ERP before it writes), and no idempotency keys are derived
  from the business data (Stripe's are the SDK's, per request: not sent here either).
- *The PSA polled the recipe way*: Kantata pushes no webhooks, so a scheduled recipe reads its
  Subscribed Events every ``feed_minutes`` (default 60) from the moment the previous poll
  began, no overlap, and processes each approval inline, one after the other; an event that
  appears late (stamped before that moment) is never read, one whose processing fails is
  logged and left, and a restarted design polls from its start.
- *No reconciliation*: ``POST /reconciliations`` answers 404. Work whose webhook never arrived,
  or whose vendor stopped redelivering, is never found.
- *Billing* on finance's trigger (acknowledged at once, run in the background as an iPaaS
  scheduled recipe runs): invoices built from what it collected, taxed by the tax engine,
  created and posted in the ERP; an invoice that failed is forgotten and its items, still
  unbilled in memory, go on the next run's invoice.

Pricing, billing, tax, credit notes, holds and cash are the reference core's parts
(``orchestrator.parts``), reused: the design differs in how work reaches them and what
survives a failure, not in the arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import httpx

from orchestrator._feed import FEED_WORK
from orchestrator._tokens import TokenRuntime
from orchestrator._wire import decode
from orchestrator.parts import (
    Billing,
    Cash,
    ChangeOrders,
    Collection,
    Contracting,
    CoreContext,
    CoreState,
    Holds,
    Store,
    WebhookVerifier,
    json_response,
    period_end,
    unverified,
    webhook_events,
)
from orchestrator.runtime import Flow, Runtime, RuntimeLayer

Event = tuple[str, str, tuple[Any, ...]]  # (event id, work name, the flow's arguments)

__all__ = [
    "OPTIONS",
    "ForgetfulBilling",
    "PlainClient",
    "PointToPointCore",
    "build",
    "option_problems",
]

RETRY_INTERVAL_S = 1.0
RETRIED_STATUSES = frozenset({429, 503})
CONTRACT_WAIT_S = 1.0  # how often a contract waiting for another one's set-up looks again


class PlainClient(RuntimeLayer):
    """The HTTP client a script gets by default, modelled on Apache HttpClient 5's
    ``DefaultHttpRequestRetryStrategy()``: at most one retry, ``Retry-After`` seconds or 1 s
    later, of a 429 or 503 answer, whatever the method. A timeout or a refused connection is
    not retried (``InterruptedIOException`` and ``ConnectException`` are on its list of
    non-retriable exceptions): the error goes to the caller, and from there to the webhook's
    answer. Source: httpcomponents-client 5.x, ``DefaultHttpRequestRetryStrategy`` (the no-argument
    constructor: ``this(1, TimeValue.ofSeconds(1L))``, retriable codes 429 and 503).

    ``Idempotency-Key`` headers are dropped: keys derived from the business data are what the
    reference does, not what a recipe does (see the module docstring)."""

    def __init__(self, inner: Runtime) -> None:
        super().__init__(inner)
        self.retries: Counter[str] = Counter()

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
        sent = {k.lower(): v for k, v in (headers or {}).items() if k.lower() != "idempotency-key"}
        response = yield from self._inner.send(
            vendor, method, path, content=content, params=params, headers=sent
        )
        if response.status_code not in RETRIED_STATUSES:
            return response
        wait = _retry_after(response)
        self.retries[vendor] += 1
        self._inner.record("core.retry", vendor=vendor, method=method, path=path,
                           failure=str(response.status_code), attempt=1, wait_s=wait)  # fmt: skip
        yield from self._inner.sleep(wait)
        sent["x-attempt"] = "2"
        retried: httpx.Response = yield from self._inner.send(
            vendor, method, path, content=content, params=params, headers=sent
        )
        return retried


def _retry_after(response: httpx.Response) -> float:
    """``Retry-After`` in seconds (the sandbox's vendors send seconds), else the default 1 s."""
    raw = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return RETRY_INTERVAL_S


class ForgetfulBilling(Billing):
    """The reference's billing runs without the outbox's second chance."""

    def finish_outbox(self) -> Flow[int]:
        """No outbox: an invoice an earlier run left half made is forgotten; its items are
        still unbilled in memory, so this run invoices them afresh (without looking for the
        first one in the ERP)."""
        for key in list(self.state.outbox):
            if key not in self.state.issuing:
                del self.state.outbox[key]
        return 0
        yield


class PointToPointCore:
    """The reference core's parts, reached inline from each webhook, over memory only."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str] | None = None):
        self.options = dict(options or {})
        self.state = CoreState(Store(None))  # memory only: ``store`` (set for crashes) unused
        authorized: Runtime = runtime
        if self.options.get("client_id") and self.options.get("client_secret"):
            authorized = TokenRuntime(
                runtime, self.options["client_id"], self.options["client_secret"]
            )
        self.client = PlainClient(authorized)
        # CoreContext is typed for the reference's ResilientRuntime; its parts use only the
        # Runtime protocol of it (the reconciliation, not composed here, reads its switches)
        self.ctx = CoreContext(
            self.client,  # type: ignore[arg-type]
            tenant,
            self.state,
            look_before_write=False,
        )
        self.contracting = Contracting(self.ctx)
        self.change_orders = ChangeOrders(self.ctx, self.contracting)
        self.collection = Collection(self.ctx)
        self.holds = Holds(self.ctx)
        self.cash = Cash(self.ctx)
        self.billing = ForgetfulBilling(self.ctx, self.holds, self.cash)
        self.flows: dict[str, Callable[..., Flow[None]]] = {
            "deal": self.contracting.quote_to_contract,
            "contract_workflow": self._workflow_completed,
            "contract_record": self._one_contract_at_a_time,
            "breach": self.collection.collect_breach,
            "timesheet": self.collection.collect_time,
            "milestone": self.collection.collect_milestone,
            "milestones_due": self.collection.collect_due_milestones,
            "expenses": self.collection.collect_expenses,
            "payment_event": self.cash.on_payment_event,
            "billing_run": self.billing.billing_run,
        }
        self._setting_up = False  # a contract being set up (see _one_contract_at_a_time)
        self.verifier = WebhookVerifier(self.options, runtime.now)  # vendors' signatures
        minutes = float(self.options.get("feed_minutes", "60"))
        self._polled_from: datetime = runtime.now()
        if minutes > 0:
            self.ctx.rt.spawn(self._poll_feed(minutes * 60), "psa feed recipe")

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response | Flow[httpx.Response]:
        """Webhooks: parsed at once (a malformed one is a 400), answered when processed.
        Billing runs: acknowledged, run in the background. No reconciliation (404)."""
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path.startswith("/webhooks/"):
                vendor = path.removeprefix("/webhooks/")
                refused = unverified(self.ctx, self.verifier, vendor, request)
                if refused is not None:
                    return refused
                events = webhook_events(vendor, decode(request.content))
                if events is None:
                    return _problem(404, f"no receiver for {vendor}")
                return self._inline(vendor, events)
            if method == "POST" and path == "/billing-runs":
                body = decode(request.content)
                period, when = str(body["period"]), date.fromisoformat(body["invoiceDate"])
                period_end(period)
                args: tuple[Any, ...] = (period, when)
                if body.get("legalEntities") is not None:  # absent: every entity's contracts
                    args += (tuple(sorted(str(e) for e in body["legalEntities"])),)
                self.ctx.rt.spawn(self._background(args), f"billing_run {period} {when}")
                return json_response(202, {"accepted": True, "period": period})
            if method == "GET" and path == "/status":
                return json_response(200, self.status())
            if method == "GET" and path == "/exceptions":
                return json_response(200, {"exceptions": list(self.state.exceptions)})
        except (KeyError, TypeError, ValueError) as exc:
            return _problem(400, str(exc))
        return _problem(404, f"{path}: not served by this design (no reconciliation here)")

    def _inline(self, vendor: str, events: list[Event]) -> Flow[httpx.Response]:
        """Process the webhook's events one after the other; the first failure is the answer
        (500), and the vendor's redelivery is the retry. A failure is logged in the exception
        queue, as a recipe's job history shows a failed job; a later success clears it."""
        for event_id, work, args in events:
            subject = f"{work} {event_id}"
            try:
                yield from self.flows[work](*args)
            except Exception as exc:
                detail = f"{type(exc).__name__}: {exc}"
                self.ctx.raise_exception("webhook_failed", subject, detail)
                return _problem(500, f"{subject}: {detail}")
            self.ctx.resolve_exception("webhook_failed", subject)
        return json_response(200, {"processed": len(events), "vendor": vendor})

    def _poll_feed(self, every_s: float) -> Flow[None]:
        """The scheduled recipe: every ``every_s`` the approvals created since the last poll
        began, processed inline; a failure is logged and the recipe moves on."""
        while True:
            yield from self.ctx.rt.sleep(every_s)
            started = self.ctx.rt.now()
            try:
                rows, side = yield from self.ctx.psa.subscribed_events(
                    self._polled_from, tuple(FEED_WORK)
                )
            except Exception as exc:
                detail = f"{type(exc).__name__}: {exc}"
                self.ctx.raise_exception("webhook_failed", "psa feed", detail)
                continue  # the same window next time
            self._polled_from = started
            for event in rows:
                work, wanted = FEED_WORK[str(event["event_type"])]
                ref = event.get("subject_ref")
                subject = None if ref is None else side.get(ref["key"], {}).get(ref["id"])
                if wanted is not None and (subject is None or subject.get("status") != wanted):
                    continue
                args = (str(event["subject_id"]),)
                yield from self._inline("psa", [(f"psa:{event['id']}", work, args)])

    def _workflow_completed(self, workflow_id: str) -> Flow[None]:
        """Ironclad names the workflow only: read its record, then set the contract up."""
        record_id = yield from self.ctx.clm.workflow_record(workflow_id)
        yield from self._one_contract_at_a_time(record_id)

    def _one_contract_at_a_time(self, record_id: str) -> Flow[None]:
        """Executed contracts are set up one at a time, as a recipe whose concurrency is 1 or
        a single-worker script would: two contracts of one client executed at the same moment
        would otherwise both look the client up in the ERP, find nothing and create it twice
        (seen in firm-year, fault-free). The wait counts against the CLM's delivery timeout."""
        while self._setting_up:
            yield from self.ctx.rt.sleep(CONTRACT_WAIT_S)
        self._setting_up = True
        try:
            yield from self.change_orders.on_contract_record(record_id)
        finally:
            self._setting_up = False

    def _background(self, args: tuple[Any, ...]) -> Flow[None]:
        """A billing run: what fails stays unbilled in memory for the next run."""
        try:
            yield from self.billing.billing_run(*args)
        except Exception as exc:
            self.ctx.rt.record("core.run_incomplete", period=str(args[0]),
                               error=f"{type(exc).__name__}: {exc}")  # fmt: skip

    def status(self) -> dict[str, Any]:
        return {
            "engagements": len(self.state.engagements),
            "pending_items": len(self.state.ledger.pending),
            "billed_items": len(self.state.ledger.billed),
            "resilience": {"retries": dict(sorted(self.client.retries.items()))},
        }


OPTIONS = {  # what --option KEY=VALUE may set on this design
    "feed_minutes": "N: the recipe polls Kantata's Subscribed Events every N simulated minutes "
    "(default 60; 0: never)",
    "store": "ignored: this design keeps nothing durable (the simulator sets it for crashes)",
    "client_id": "the design's OAuth client id at every vendor (the simulator sets it)",
    "client_secret": "its secret",
    "webhook_secret_payments": "Stripe's webhook endpoint secret: signatures checked (the "
    "simulator sets it)",
    "webhook_key_clm": "Ironclad's webhook verification key, PEM (the simulator sets it)",
}


def option_problems(options: dict[str, str]) -> list[str]:
    """What is wrong with ``options`` for this design (empty: nothing)."""
    problems = [f"unknown option {k!r} (known: {', '.join(OPTIONS)})"
                for k in options if k not in OPTIONS]  # fmt: skip
    raw = options.get("feed_minutes")
    if raw is not None:
        try:
            ok = float(raw) >= 0
        except ValueError:
            ok = False
        if not ok:
            problems.append(f"option feed_minutes={raw!r}: expected a number of minutes, 0 or more")
    return problems


def _problem(status: int, detail: str) -> httpx.Response:
    title = {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
    return json_response(status, {"title": title, "status": status, "detail": detail},
                         problem=True)  # fmt: skip


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> PointToPointCore:
    """The design entry point (``--design point-to-point``)."""
    return PointToPointCore(runtime, tenant, options)
