"""The nightly-batch design: the legacy file-transfer pattern, done the way a careful team does it.

No webhooks (``webhooks = ()``: the firm registers none for this integration). Every night at
``night_at`` (UTC, default 23:00: the end-of-day run, after the day's approvals and payments, so
that finance's billing run the next morning bills what was approved up to the evening) one job:

1. plans tonight's batch: id ``B<date>``, window from the last batch's cut-off to now;
2. runs every batch not yet loaded, oldest first: a batch whose extract or load failed last
   night is re-run tonight under the same id, over the same window, before tonight's; a failure
   stops the night there (later batches may need its contracts) and opens ``batch_failed``;
3. extracts the window's changes from CRM, CLM, PSA and Stripe with each vendor's incremental
   query (``orchestrator._batch_extract``) and writes the batch file (JSON lines,
   ``orchestrator._batch_file``; into ``batch_dir`` when the options name one; the simulator
   also copies every batch file into the run folder, ``batch_files``);
4. loads it line by line through the reference core's parts (``orchestrator._batch_parts``):
   a won deal starts the SOW in the CLM, a new contract becomes an ERP customer (looked up by
   its number before it is created: Business Central has no idempotency keys) and an active
   PSA project with its rate cards, a change order reaches the PSA, approved time, expenses and
   billable milestones become priced billable items, Stripe payments are applied in the ERP. A
   line loaded is counted in the batch's durable record, so a re-run resumes after it: loads
   are idempotent by batch id;
5. runs the billing runs finance asked for since (``POST /billing-runs``) and finishes what
   earlier invoices left (tax commit, PSA marking, payment request).

Finance's billing run starts at once when the loads are up to date, from the loaded data
(pricing, tax, invoices, credit notes, holds and cash are the reference core's); when a night
failed it waits for the next successful load ("a failed night delays everything a day",
``billing_deferred`` says so). Work approved after a billing run's extract cut-off but loaded
after the run waits for the next month's run; when it was changed before the run started, it
is listed in the exception queue as ``loaded_after_billing_run`` until a later run bills it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import httpx

from orchestrator._batch_extract import Extract
from orchestrator._batch_file import Batch, batch_id, render, write
from orchestrator._batch_parts import BatchParts
from orchestrator._billing import period_end
from orchestrator._collect import source_id_of_breach
from orchestrator._store import DurableMap
from orchestrator._wire import decode, encode
from orchestrator.runtime import Flow, Runtime

__all__ = ["OPTIONS", "BatchCore", "build", "option_problems"]

OPTIONS = {  # what --option KEY=VALUE may set on this design
    "night_at": "HH:MM (UTC): when the nightly job starts (default 23:00, the end of the day)",
    "batch_dir": "PATH: a folder to write each night's batch file into (the simulator also "
    "copies them into the run folder's batches/)",
    "retries": "true|false: the HTTP client's retries with backoff (default true)",
    "store": "PATH: the SQLite file of the design's durable state (default: in memory)",
    "client_id": "the design's OAuth client id at every vendor (the simulator sets it)",
    "client_secret": "its secret",
    "webhook_secret_payments": "ignored: this design takes no webhooks (the simulator sets it)",
    "webhook_key_clm": "ignored: this design takes no webhooks (the simulator sets it)",
}
_WAIT_S = 60.0  # how often a billing run looks whether tonight's load is over


class BatchCore:
    """The nightly job and the experience endpoints that remain: billing runs, status and the
    exception queue. Webhook receivers answer 404: nobody should send any."""

    webhooks: tuple[str, ...] = ()  # the vendors whose webhooks this design listens to: none

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str] | None = None):
        self.options = dict(options or {})
        self.core = BatchParts(runtime, tenant, self.options)
        self.ctx = ctx = self.core.ctx
        self._rt: Runtime = ctx.rt
        state = self.core.state
        self.batches = DurableMap(self.core.store, "batches")  # id -> Batch, in night order
        self.runs = DurableMap(self.core.store, "billing_runs")  # asked for, not yet done
        self.meta = DurableMap(self.core.store, "batch_meta")
        self.night_at = _clock_time(self.options.get("night_at", "23:00"))
        self.batch_dir = self.options.get("batch_dir") or None
        self.running = False  # tonight's job is at work
        self.billing = False  # a billing run is at work
        self.extract = Extract(
            ctx.crm, ctx.clm, ctx.psa, ctx.payments,
            versions_known=lambda record: _versions(state.engagements.get(record)),
            breach_known=lambda breach: state.ledger.knows(source_id_of_breach(breach)),
            milestones_waited=self.core.collection.milestones_waited,
        )  # fmt: skip
        if "epoch" not in self.meta:
            self.meta["epoch"] = self._rt.now()
        self._rt.spawn(self._nights(), "nightly batch")

    # -- experience endpoints ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path == "/billing-runs":
                body = decode(request.content)
                period, when = str(body["period"]), date.fromisoformat(body["invoiceDate"])
                period_end(period)
                entities = body.get("legalEntities")
                chosen = None if entities is None else tuple(sorted(str(e) for e in entities))
                key = f"{period}:{when}:{','.join(chosen or ())}"
                if key not in self.runs:
                    self.runs[key] = (period, when, chosen, self._rt.now())
                    self._rt.spawn(self._bill(), f"billing run {key}")
                return _json(202, {"accepted": True, "period": period})
            if method == "GET" and path == "/status":
                return _json(200, self.status())
            if method == "GET" and path == "/exceptions":
                return _json(200, {"exceptions": list(self.core.state.exceptions)})
        except (KeyError, TypeError, ValueError) as exc:
            return _json(400, {"title": "Bad Request", "status": 400, "detail": str(exc)},
                         problem=True)  # fmt: skip
        finally:
            self.core.store.flush()
        return _json(404, {"title": "Not Found", "status": 404, "detail": path}, problem=True)

    def status(self) -> dict[str, Any]:
        batches = list(self.batches.values())
        status = self.core.status()
        status["batches"] = {
            "planned": len(batches),
            "loaded": sum(1 for b in batches if b.done),
            "waiting": [b.id for b in batches if not b.done],
            "billing_runs_waiting": sorted(self.runs),
        }
        return status

    def batch_files(self) -> dict[str, bytes]:
        """Every batch file extracted so far, by file name (what the run folder keeps)."""
        return {b.file_name: render(b) for b in self.batches.values() if b.lines is not None}

    # -- the nightly job ---------------------------------------------------------------------

    def _nights(self) -> Flow[None]:
        while True:
            now = self._rt.now()
            tonight = datetime.combine(now.date(), self.night_at, tzinfo=now.tzinfo)
            if tonight <= now:
                tonight += timedelta(days=1)
            yield from self._rt.sleep((tonight - now).total_seconds())
            yield from self.night(tonight)

    def night(self, cutoff: datetime) -> Flow[bool]:
        """Tonight's job: plan, re-run what failed, extract, load, bill. True when every batch
        up to ``cutoff`` is loaded."""
        while self.billing:  # a billing run started before the night: let it finish
            yield from self._rt.sleep(_WAIT_S)
        self.running = True
        try:
            self._plan(cutoff)
            for key in sorted(self.batches):
                batch = self.batches[key]
                if batch.done:
                    continue
                if not (yield from self._run(batch)):
                    return False
        finally:
            self.running = False
        yield from self._bill()
        yield from self.core.billing.finish_outbox()
        return True

    def _plan(self, cutoff: datetime) -> None:
        last = self.batches[max(self.batches)] if len(self.batches) else None
        start = self.meta["epoch"] if last is None else last.end
        if cutoff > start and batch_id(cutoff) not in self.batches:
            self.batches[batch_id(cutoff)] = Batch(batch_id(cutoff), start, cutoff)

    def _run(self, batch: Batch) -> Flow[bool]:
        """Extract (unless the file exists) and load ``batch``; False if it failed (the
        next night re-runs it)."""
        batch.tries += 1
        self.batches.touch(batch.id)
        step = "extract"
        try:
            if batch.lines is None:
                batch.lines = yield from self.extract.lines(batch)
                self.batches.touch(batch.id)
                if self.batch_dir is not None:
                    write(batch, self.batch_dir)
                self._rt.record(
                    "batch.extracted", batch=batch.id, lines=len(batch.lines),
                    start=batch.start.isoformat(), end=batch.end.isoformat(),
                )  # fmt: skip
            step = "load"
            while batch.loaded < len(batch.lines):
                yield from self._load(batch, batch.lines[batch.loaded])
                batch.loaded += 1
                self.batches.touch(batch.id)
        except Exception as exc:
            self.ctx.raise_exception("batch_failed", f"batch:{batch.id}",
                             f"{step} failed (try {batch.tries}; re-run next night): "
                             f"{type(exc).__name__}: {exc}")  # fmt: skip
            self._rt.record("batch.failed", batch=batch.id, step=step, loaded=batch.loaded)
            return False
        self.ctx.resolve_exception("batch_failed", f"batch:{batch.id}")
        self._rt.record("batch.loaded", batch=batch.id, lines=len(batch.lines), tries=batch.tries)
        return True

    def _load(self, batch: Batch, line: dict[str, Any]) -> Flow[None]:
        """One line into the ERP, PSA and ledger, through the reference core's flows."""
        core, kind = self.core, line["kind"]
        before = len(core.state.ledger.pending)
        if kind == "deal":
            yield from core.contracting.quote_to_contract(line["id"])
        elif kind == "contract":
            yield from core.change_orders.on_contract_record(line["id"])
        elif kind == "breach":
            yield from core.collection.collect_breach(line["record"], line["id"])
        elif kind == "timesheet":
            yield from core.collection.collect_time(line["id"])
        elif kind == "expenses":
            yield from core.collection.collect_expenses(line["id"])
        elif kind == "milestone":
            yield from core.collection.collect_milestone(line["id"])
        elif kind == "payment":
            yield from core.cash.on_payment_event(line["event"])
        self._note_late(batch, line, len(core.state.ledger.pending) - before)

    def _note_late(self, batch: Batch, line: dict[str, Any], added: int) -> None:
        """Items a billing run would have billed, had they been loaded before it started:
        listed in the exception queue until a later run takes them."""
        last = self.meta.get("last_run")  # (started at, period end) of the last billing run
        changed = line.get("at")
        if added <= 0 or last is None or changed is None:
            return
        if datetime.fromisoformat(str(changed).replace("Z", "+00:00")) >= last[0]:
            return  # changed after the run started: the next run's, on time
        pending = self.core.state.ledger.pending  # rare: a line changed before the last run
        keys = [k for k in list(pending)[-added:] if pending[k].due_by <= last[1]]
        if keys:
            batch.late += keys
            self.batches.touch(batch.id)
            self.ctx.raise_exception("loaded_after_billing_run", f"batch:{batch.id}",
                             f"{len(batch.late)} item(s) approved before the billing run of "
                             f"{last[1]:%Y-%m} but loaded after it: billed by the next run",
                             items=list(batch.late))  # fmt: skip

    # -- billing -----------------------------------------------------------------------------

    def _loads_current(self) -> bool:
        return all(b.done for b in self.batches.values())

    def _bill(self) -> Flow[None]:
        """Every billing run asked for, oldest first, from the loaded data; one that fails is
        tried again after the next night's load."""
        while self.running or self.billing:
            yield from self._rt.sleep(_WAIT_S)
        if not self._loads_current():
            for key in sorted(self.runs):
                self.ctx.raise_exception("billing_deferred", f"billing-run:{key}",
                                 "last night's batch did not load; the run waits for the next "
                                 "night's load")  # fmt: skip
            return
        self.billing = True
        try:
            for key in sorted(self.runs, key=lambda k: (self.runs[k][3], k)):
                period, when, entities, _ = self.runs[key]
                started = self._rt.now()
                try:
                    yield from self.core.billing.billing_run(period, when, entities)
                except Exception:  # each contract's failure is in the queue already
                    self._rt.record("batch.billing_incomplete", run=key)
                    continue
                del self.runs[key]
                self.ctx.resolve_exception("billing_deferred", f"billing-run:{key}")
                last = self.meta.get("last_run")
                if last is None or last[0] <= started:
                    self.meta["last_run"] = (started, period_end(period))
                self._settle_late(period_end(period))
        finally:
            self.billing = False

    def _settle_late(self, billed_to: date) -> None:
        """A later run has taken the late items due by ``billed_to``: billed them, or held
        them under the hold's own exception (a PO, a subcontractor's cost). Their lists close."""
        pending = self.core.state.ledger.pending
        for batch in self.batches.values():
            if batch.late and all(k not in pending or pending[k].due_by <= billed_to
                                  for k in batch.late):  # fmt: skip
                batch.late = []
                self.batches.touch(batch.id)
                self.ctx.resolve_exception("loaded_after_billing_run", f"batch:{batch.id}")


def _versions(engagement: Any) -> int:
    return 0 if engagement is None else len(engagement.contract.versions)


def _clock_time(text: str) -> time:
    hour, _, minute = text.partition(":")
    return time(int(hour), int(minute or 0))


def option_problems(options: dict[str, str]) -> list[str]:
    """What is wrong with ``options`` for this design (empty: nothing)."""
    problems = [f"unknown option {k!r} (known: {', '.join(OPTIONS)})"
                for k in options if k not in OPTIONS]  # fmt: skip
    if "night_at" in options:
        try:
            _clock_time(options["night_at"])
        except ValueError:
            problems.append(f"option night_at={options['night_at']!r}: expected HH:MM")
    return problems


def _json(status: int, body: Any, problem: bool = False) -> httpx.Response:
    kind = "application/problem+json" if problem else "application/json"
    return httpx.Response(status, content=encode(body), headers={"content-type": kind})


def build(runtime: Runtime, tenant: str, options: dict[str, str] | None = None) -> BatchCore:
    """The design entry point the simulator looks up by name (``--design nightly-batch``)."""
    return BatchCore(runtime, tenant, options)
