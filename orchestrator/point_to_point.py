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
- *No reconciliation*: ``POST /reconciliations`` answers 404. Work whose webhook never arrived,
  or whose vendor stopped redelivering, is never found.
- *Billing* on finance's trigger (acknowledged at once, run in the background as an iPaaS
  scheduled recipe runs): invoices built from what it collected, taxed by the tax engine,
  created and posted in the ERP; an invoice that failed is forgotten and its items, still
  unbilled in memory, go on the next run's invoice.

Pricing, billing, tax, credit notes, holds and cash are the reference core's, reused: the
design differs in how work reaches them and what survives a failure, not in the arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx

from orchestrator._inbox import Envelope
from orchestrator._state import CoreState
from orchestrator._store import Store
from orchestrator._tokens import TokenRuntime
from orchestrator._wire import encode
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.erp import ErpAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.adapters.tax import TaxAdapter
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, Runtime, RuntimeLayer

__all__ = ["OPTIONS", "PlainClient", "PointToPointCore", "build", "option_problems"]

RETRY_INTERVAL_S = 1.0
RETRIED_STATUSES = frozenset({429, 503})


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


class PointToPointCore(ReferenceCore):
    """The reference core's flows, reached inline from each webhook, over memory only."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str] | None = None):
        # not ReferenceCore.__init__: no store file, no resilience layer, nothing to resume
        self.options = dict(options or {})
        self.store = Store(None)  # memory only: ``store`` (set by the world for crashes) unused
        self.state = CoreState(self.store)
        authorized: Runtime = runtime
        if self.options.get("client_id") and self.options.get("client_secret"):
            authorized = TokenRuntime(
                runtime, self.options["client_id"], self.options["client_secret"]
            )
        self.client = PlainClient(authorized)
        self.resilience = self.client
        self.reconciling = False
        self._rt = self.client
        self._crm = CrmAdapter(self._rt, tenant)
        self._clm = ClmAdapter(self._rt, tenant)
        self._psa = PsaAdapter(self._rt, tenant)
        self._erp = ErpAdapter(self._rt, tenant, look_before_write=False)
        self._tax = TaxAdapter(self._rt, tenant)
        self._payments = PaymentsAdapter(self._rt, tenant)
        self._taken: list[tuple[str, str, tuple[Any, ...]]] | None = None

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response | Flow[httpx.Response]:  # type: ignore[override]
        """Webhooks: parsed at once (a malformed one is a 400), answered when processed.
        Billing runs: acknowledged, run in the background. No reconciliation (404)."""
        path, method = request.url.path, request.method
        if method == "POST" and path == "/reconciliations":
            absent = {"title": "Not Found", "status": 404, "detail": "no reconciliation here"}
            return _json(404, absent, problem=True)
        if not (method == "POST" and path.startswith("/webhooks/")):
            return super().handle(request)  # billing runs go to _accept, below
        self._taken = []
        try:
            parsed = super().handle(request)  # the reference's parsing, each event to _accept
            taken = self._taken
        finally:
            self._taken = None
        if parsed.status_code >= 300:
            return parsed
        return self._inline(path.removeprefix("/webhooks/"), taken)

    def _accept(self, event_id: str, work: str, args: tuple[Any, ...]) -> None:
        """No inbox: a webhook's events are kept for its inline answer; a billing run starts."""
        if self._taken is not None:
            self._taken.append((event_id, work, args))
            return
        self._rt.spawn(self._background(event_id, work, args), f"{work} {event_id}")

    def _inline(
        self, vendor: str, events: list[tuple[str, str, tuple[Any, ...]]]
    ) -> Flow[httpx.Response]:
        """Process the webhook's events one after the other; the first failure is the answer
        (500), and the vendor's redelivery is the retry. A failure is logged in the exception
        queue, as a recipe's job history shows a failed job; a later success clears it."""
        for event_id, work, args in events:
            subject = f"{work} {event_id}"
            try:
                yield from self._flow_for(Envelope(event_id, work, args, 0))
            except Exception as exc:
                detail = f"{type(exc).__name__}: {exc}"
                self._raise("webhook_failed", subject, detail)
                return _json(500, {"title": "Internal Server Error", "status": 500,
                                   "detail": f"{subject}: {detail}"}, problem=True)  # fmt: skip
            self._resolve("webhook_failed", subject)
        return _json(200, {"processed": len(events), "vendor": vendor})

    def _background(self, event_id: str, work: str, args: tuple[Any, ...]) -> Flow[None]:
        """A billing run: what fails stays unbilled in memory for the next run."""
        try:
            yield from self._flow_for(Envelope(event_id, work, args, 0))
        except Exception as exc:
            self._rt.record("core.run_incomplete", run=event_id,
                            error=f"{type(exc).__name__}: {exc}")  # fmt: skip

    def status(self) -> dict[str, Any]:
        return {
            "engagements": len(self.state.engagements),
            "pending_items": len(self.state.ledger.pending),
            "billed_items": len(self.state.ledger.billed),
            "resilience": {"retries": dict(sorted(self.client.retries.items()))},
        }

    # -- what this design does not have ------------------------------------------------------

    def finish_outbox(self) -> Flow[int]:
        """No outbox: an invoice an earlier run left half made is forgotten; its items are
        still unbilled in memory, so this run invoices them afresh (without looking for the
        first one in the ERP)."""
        for key in list(self.state.outbox):
            if key not in self.state.issuing:
                del self.state.outbox[key]
        return 0
        yield

    def reconcile(self) -> Flow[None]:
        """Never called: ``POST /reconciliations`` is not served."""
        return
        yield


OPTIONS = {  # what --option KEY=VALUE may set on this design
    "store": "ignored: this design keeps nothing durable (the simulator sets it for crashes)",
    "client_id": "the design's OAuth client id at every vendor (the simulator sets it)",
    "client_secret": "its secret",
}


def option_problems(options: dict[str, str]) -> list[str]:
    """What is wrong with ``options`` for this design (empty: nothing)."""
    return [f"unknown option {k!r} (known: {', '.join(OPTIONS)})"
            for k in options if k not in OPTIONS]  # fmt: skip


def _json(status: int, body: Any, problem: bool = False) -> httpx.Response:
    kind = "application/problem+json" if problem else "application/json"
    return httpx.Response(status, content=encode(body), headers={"content-type": kind})


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> PointToPointCore:
    """The design entry point (``--design point-to-point``)."""
    return PointToPointCore(runtime, tenant, options)
