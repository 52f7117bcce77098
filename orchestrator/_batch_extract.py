"""The nightly extract: what changed in CRM, CLM, PSA and Stripe within a batch's window, read
with each vendor's own incremental query where it has one.

- CRM: Salesforce's sObject Get Updated (``/sobjects/Opportunity/updated/?start=&end=``):
  every opportunity added or changed; the load reads each and starts contracting for the won.
- CLM: Ironclad's records list with ``lastUpdated``: a record new to the core, or with more
  versions than the core delivers (a change order), and every service-level breach on a
  changed record that the core has not credited yet.
- PSA: Kantata's ``updated_after``/``updated_before`` on timesheet submissions (approved) and
  on expenses (approved, grouped by their expense report). Kantata has no such filter on
  billing milestones, nor a listing of the billable ones: the extract asks Kantata by id
  (``only``, their tasks side-loaded) which of the milestones the core made and has not
  collected are billable now: one call per 200 milestones waited on.
- Stripe: ``GET /v1/events?created[gt]=&created[lte]=``, the payment events of the window.

A change stamped after the window's end is left to the batch whose window holds it (Ironclad's
filter has no upper bound: the extract drops records updated at or after the cut-off; Kantata
and Salesforce take the bound).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from orchestrator._batch_file import LINE_ORDER, Batch
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.runtime import Flow

__all__ = ["PAYMENT_EVENTS", "Extract"]

PAYMENT_EVENTS = (
    "payment_intent.partially_funded",
    "payment_intent.succeeded",
    "charge.dispute.created",
)


class Extract:
    """Reads one window's changes from the four source systems into batch lines."""

    def __init__(
        self,
        crm: CrmAdapter,
        clm: ClmAdapter,
        psa: PsaAdapter,
        payments: PaymentsAdapter,
        versions_known: Callable[[str], int],
        breach_known: Callable[[str], bool],
        milestones_waited: Callable[[], list[str]],
    ) -> None:
        self._crm, self._clm, self._psa, self._payments = crm, clm, psa, payments
        self._versions_known = versions_known
        self._breach_known = breach_known
        self._milestones_waited = milestones_waited

    def lines(self, batch: Batch) -> Flow[list[dict[str, Any]]]:
        """Every change of ``batch``'s window, as file lines in load order."""
        found: list[dict[str, Any]] = []
        found += yield from self._deals(batch.start, batch.end)
        found += yield from self._contracts(batch.start, batch.end)
        found += yield from self._work(batch.start, batch.end)
        found += yield from self._milestone_lines()
        found += yield from self._payment_lines(batch.start, batch.end)
        rank = {kind: n for n, kind in enumerate(LINE_ORDER)}
        return sorted(found, key=lambda line: rank[line["kind"]])  # stable: source order kept

    def _deals(self, start: datetime, end: datetime) -> Flow[list[dict[str, Any]]]:
        ids = yield from self._crm.updated_opportunities(start, end)
        return [{"kind": "deal", "id": i} for i in ids]

    def _contracts(self, start: datetime, end: datetime) -> Flow[list[dict[str, Any]]]:
        lines: list[dict[str, Any]] = []
        for record in (yield from self._clm.records_updated_since(start)):
            if _moment(record["lastUpdated"]) >= end:
                continue  # tomorrow's batch
            record_id, versions = str(record["id"]), len(record.get("versions", []))
            if versions > self._versions_known(record_id):
                lines.append({"kind": "contract", "id": record_id, "versions": versions})
            for breach in record.get("breaches", []):
                if not self._breach_known(str(breach["id"])):
                    lines.append({"kind": "breach", "id": str(breach["id"]), "record": record_id,
                                  "at": breach.get("recordedAt")})  # fmt: skip
        return lines

    def _work(self, start: datetime, end: datetime) -> Flow[list[dict[str, Any]]]:
        lines: list[dict[str, Any]] = []
        start -= timedelta(microseconds=1)  # ``updated_after`` is strict: keep ``start`` itself
        approved = yield from self._psa.updated(
            "timesheet_submissions", start, end, {"statuses": "approved"}
        )
        for row in approved:
            at = row["current_resolution_created_at_date"]
            lines.append({"kind": "timesheet", "id": str(row["id"]), "at": at})
        expenses = yield from self._psa.updated("expenses", start, end, {"approved": "true"})
        reports: dict[str, str] = {}
        for row in expenses:
            report = row.get("active_submission_id")
            if report is not None:
                reports.setdefault(str(report), str(row["updated_at"]))
        lines += [{"kind": "expenses", "id": r, "at": at} for r, at in reports.items()]
        return lines

    def _milestone_lines(self) -> Flow[list[dict[str, Any]]]:
        waited = self._milestones_waited()
        billable = (yield from self._psa.billable_milestones(waited)) if waited else []
        return [{"kind": "milestone", "id": i} for i in billable]

    def _payment_lines(self, start: datetime, end: datetime) -> Flow[list[dict[str, Any]]]:
        first = int(start.timestamp()) - 1  # created[gt]: from ``start``'s second on
        last = int((end - timedelta(seconds=1)).timestamp())  # created[lte]: before ``end``
        events = yield from self._payments.events_between(first, last)
        return [{"kind": "payment", "id": str(e["id"]), "event": e}
                for e in events if e["type"] in PAYMENT_EVENTS]  # fmt: skip


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
