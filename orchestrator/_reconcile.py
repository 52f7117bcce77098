"""Reconciliation: compare what the vendors say happened with what the core knows, and re-drive
what is missing. Webhooks get lost and a change feed may never show an event (Kantata's
Subscribed Events, polled by ``orchestrator._feed``); this job is the fallback that finds the
work anyway.

- CRM won deals vs contracting launched; CLM executed records (and their versions) vs the
  engagements the core delivers, and their service-level breaches vs the credits granted;
- PSA approved timesheets and approved expense reports vs what the core collected (counted
  first, in one cheap call each; listed only when the counts differ), and the billing
  milestones the core waits on, asked by id whether Kantata says they are billable yet (their
  task completed: Kantata has no listing of billable milestones to count);
- payments received in Stripe vs cash applied in the ERP.

A daily run costs the day's changes, not the account's history (issue 14: listing every
record and intent every day made faulty runs quadratic). Contracts are read with Ironclad's
``lastUpdated`` filter and payments from Stripe's event log (``created[gt]``), each from a
watermark: the moment the previous successful read started, less a margin for a vendor clock
that runs behind the core's. The first run after a start (or a restart: watermarks are not
durable) reads everything once. What a run finds still open (a record whose terms the PSA
lacks, an uncredited breach, money not applied) is kept and looked at again each day until it
is closed, as the full listing did, since the vendor does not list it again unless it changes.

Each gap becomes ordinary work in the inbox (so it is de-duplicated, retried and dead-lettered
like a webhook). Replaying dead letters and finishing the outbox belong to the retry mechanism
and run here too, unless retries are switched off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orchestrator._billing import Billing
from orchestrator._cash import Cash
from orchestrator._collect import Collection, source_id_of_breach
from orchestrator._intake import Intake
from orchestrator._watermark import FinishedListing
from orchestrator.context import CoreContext
from orchestrator.runtime import Flow

__all__ = ["Reconciliation"]

_MAX_FIXES = 5  # tries at one gap before it is left to the exception queue
# How far a watermark is set back: a change the vendor stamped up to this long before the
# core's clock said the read started is read again (twice is harmless; missed is not).
_CLOCK_MARGIN = timedelta(minutes=10)
_MONEY_EVENTS = ("payment_intent.partially_funded", "payment_intent.succeeded")
# Stripe keeps events 30 days ("List all events ... going back 30 days",
# https://docs.stripe.com/api/events/list, read 2026-12-07): a watermark older than that reads
# every intent again instead
_EVENTS_KEPT = 29 * 86400

# PSA work the core collects: (listing, filter of finished records, inbox work name)
_PSA_WORK = (
    ("timesheet_submissions", {"statuses": "approved"}, "timesheet"),
    ("expense_reports", {"status": "approved"}, "expenses"),
)


class Reconciliation:
    """The polling fallback: finds what the webhooks missed and hands it to ``intake``; asks
    ``collection`` what it collected, ``billing`` to finish its outbox, ``cash`` to apply money
    received. ``reconciling=False`` keeps only the replay of dead letters (when retries are on).
    """

    def __init__(
        self,
        ctx: CoreContext,
        intake: Intake,
        collection: Collection,
        billing: Billing,
        cash: Cash,
        *,
        reconciling: bool = True,
    ) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.intake = intake
        self.collection = collection
        self.billing = billing
        self.cash = cash
        self.reconciling = reconciling
        self.fixes = 0  # gaps re-driven so far (the status call reports them)
        self._listings: dict[str, FinishedListing] = {}
        self._records_since: datetime | None = None  # CLM watermark (None: read everything)
        self._open_records: dict[str, tuple[int, tuple[str, ...]]] = {}  # id -> versions, breaches
        self._events_after: int | None = None  # Stripe watermark, Unix time (None: list intents)
        self._open_intents: dict[str, dict[str, Any]] = {}  # money not yet applied, latest state

    def reconcile(self) -> Flow[None]:
        if self.ctx.rt.retries_enabled:
            for envelope in self.state.inbox.dead_letters():
                self.state.inbox.replay(envelope)
                self.ctx.rt.record("core.replay", event=envelope.id, work=envelope.work)
                self.ctx.rt.spawn(
                    self.intake.drive(envelope), f"replay {envelope.work} {envelope.id}"
                )
            yield from self.billing.finish_outbox()
        if not self.reconciling:
            return
        steps = (
            ("deals", self._reconcile_deals),
            ("contracts", self._reconcile_contracts),
            ("psa", self.reconcile_psa),
            ("payments", self._reconcile_payments),
        )
        for name, step in steps:
            try:
                yield from step()
            except Exception as exc:  # the next run tries again; meanwhile it is visible
                self.ctx.raise_exception(
                    "reconciliation_failed", name, f"{type(exc).__name__}: {exc}"
                )
            else:
                self.ctx.resolve_exception("reconciliation_failed", name)

    def _fix(self, event_id: str, work: str, args: tuple[Any, ...], why: str) -> None:
        """Re-drive a gap as inbox work; a gap that an earlier fix did not close (its project
        was not set up yet) is tried again under a numbered id, a few times at most. Looks up
        the few ids it may have used, never the whole inbox."""
        attempt = self._next_try(event_id)
        if attempt is None:
            return
        event_id = attempt
        self.fixes += 1
        self.ctx.rt.record("core.reconciled", event=event_id, work=work, why=why)
        self.intake.accept(event_id, work, args)

    def _next_try(self, event_id: str) -> str | None:
        """The id a fix of ``event_id`` runs under now, or None: tried enough, or still at
        it (a dead letter is replayed, not re-fixed)."""
        inbox = self.state.inbox
        tries = [event_id, *(f"{event_id}#{n}" for n in range(2, _MAX_FIXES + 1))]
        earlier = [e for e in (inbox.get(t) for t in tries) if e is not None]
        if len(earlier) == len(tries) or (earlier and earlier[-1].status != "done"):
            return None
        return tries[len(earlier)]

    def _reconcile_deals(self) -> Flow[None]:
        for opportunity in (yield from self.ctx.crm.won_deals()):
            if opportunity not in self.state.launched:
                self._fix(f"reconcile:deal:{opportunity}", "deal", (opportunity,),
                          "won deal without contracting")  # fmt: skip

    def _reconcile_contracts(self) -> Flow[None]:
        """The records changed since the last read (all of them the first time), plus those
        an earlier run left open, checked against what the core delivers and credited."""
        started = self.ctx.rt.now()
        if self._records_since is None:
            records = yield from self.ctx.clm.records()
        else:
            records = yield from self.ctx.clm.records_updated_since(self._records_since)
        for record in records:  # in the order of change: the latest state of a record wins
            breaches = tuple(str(b["id"]) for b in record.get("breaches", []))
            self._open_records[str(record["id"])] = (len(record.get("versions", [])), breaches)
        for record_id, (versions, breaches) in list(self._open_records.items()):
            engagement = self.state.engagements.get(record_id)
            closed = engagement is not None and len(engagement.contract.versions) >= versions
            if not closed:
                self._fix(f"reconcile:record:{record_id}:{versions}", "contract_record",
                          (record_id,), "contract terms the PSA does not have")  # fmt: skip
            if self._reconcile_breaches(record_id, breaches) and closed:
                del self._open_records[record_id]
        ids = [str(r["id"]) for r in records]
        if len(dict.fromkeys(ids)) == len(ids):
            self._records_since = started - _CLOCK_MARGIN
        # else a record changed while the pages were read moved to the end of the listing
        # (listed twice) and may have pushed one past the reader: the same window is read again

    def _reconcile_breaches(self, record_id: str, breaches: tuple[str, ...]) -> bool:
        """A missed service level whose webhook never came (dropped) is a credit the client
        is owed: found on the record, collected like the webhook would have. True when every
        breach is credited or owned by its webhook's flow."""
        settled = True
        for breach_id in breaches:
            if self.state.ledger.knows(source_id_of_breach(breach_id)):
                continue  # credited (or on its way to an invoice)
            if self.state.inbox.get(f"clm:breach:{breach_id}") is not None:
                continue  # its webhook came: that flow owns it (a dead letter is replayed)
            settled = False
            self._fix(f"reconcile:breach:{breach_id}", "breach", (record_id, breach_id),
                      "service level breach in the CLM, never credited")  # fmt: skip
        return settled

    def reconcile_psa(self) -> Flow[None]:
        """Counted first (one cheap call each); listed only when the PSA finished more than
        the core collected, and then from the newest page back, only as far as needed. Also
        the feed poller's full read, when its watermark is older than the feed keeps."""
        for kind, finished, work in _PSA_WORK:
            count = yield from self.ctx.psa.count(kind, finished)
            if count <= self.collection.collected_count(work):
                continue
            listing = self._finished_listing(kind)
            yield from listing.catch_up(self.ctx.psa, kind, finished, count)
            collected = self.state.collected
            missing = [i for i in listing.uncollected(lambda i: f"{work}:{i}" in collected)  # noqa: B023
                       if self._next_try(f"reconcile:{work}:{i}") is not None]  # fmt: skip
            if work == "timesheet" and missing:
                yield from self._read_ahead(missing)
            for psa_id in missing:
                self._fix(f"reconcile:{work}:{psa_id}", work, (psa_id,),
                          f"{kind} finished in the PSA, never collected")  # fmt: skip
        waited = self.collection.milestones_waited()
        for psa_id in (yield from self.ctx.psa.billable_milestones(waited)) if waited else []:
            self._fix(f"reconcile:milestone:{psa_id}", "milestone", (psa_id,),
                      "billing milestone billable in the PSA, never collected")  # fmt: skip

    def _read_ahead(self, submission_ids: list[str]) -> Flow[None]:
        """The submissions about to be re-driven, and their time entries, read together (a
        call per 200 of each) so that their flows collect without a call; a failed read
        leaves each flow to read its own."""
        try:
            yield from self.ctx.psa.read_ahead_submissions(submission_ids)
        except Exception as exc:
            self.ctx.rt.record("core.read_ahead_failed", work="timesheet",
                               error=type(exc).__name__)  # fmt: skip

    def _finished_listing(self, kind: str) -> FinishedListing:
        return self._listings.setdefault(kind, FinishedListing())

    def _reconcile_payments(self) -> Flow[None]:
        """Intents whose money changed since the last read (Stripe's event log; every intent
        the first time), plus those an earlier run could not apply yet."""
        upto = int((self.ctx.rt.now() - _CLOCK_MARGIN).timestamp())
        if self._events_after is None or upto - self._events_after > _EVENTS_KEPT:
            self._events_after = None  # (re)start from one full listing
            intents = yield from self.ctx.payments.intents()
        else:
            events = yield from self.ctx.payments.events_between(self._events_after, upto)
            intents = [e["data"]["object"] for e in events if e["type"] in _MONEY_EVENTS]
        for intent in intents:  # events oldest first: the latest state of an intent wins
            self._open_intents[str(intent["id"])] = intent
        self._events_after = upto if self._events_after is None else max(self._events_after, upto)
        for intent_id, intent in list(self._open_intents.items()):
            received = int(intent.get("amount_received", 0))
            if received <= self.state.cash_applied.get(intent_id, 0):
                del self._open_intents[intent_id]
                continue
            invoice = intent.get("metadata", {}).get("invoice_id")
            if invoice in self.state.invoices:
                self.fixes += 1
                self.ctx.rt.record("core.reconciled", event=intent_id, work="cash",
                                   why="money received, not applied")  # fmt: skip
                yield from self.cash.apply_cash(intent)
