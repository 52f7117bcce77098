"""The reference core's parts the nightly-batch design reuses, behind one small seam.

The batch design prices, bills (invoices, tax, credit notes), holds and applies cash exactly as
the reference core does; only how work reaches those flows differs (a nightly file instead of
webhooks). This module assembles them and names the flows the batch loads through, so the
design never reaches into how the core is put together.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orchestrator._state import CoreState
from orchestrator._store import Store
from orchestrator._tokens import SCOPES as TOKEN_SCOPES
from orchestrator._tokens import TokenRuntime
from orchestrator.adapters.clm import ClmAdapter
from orchestrator.adapters.crm import CrmAdapter
from orchestrator.adapters.payments import PaymentsAdapter
from orchestrator.adapters.psa import PsaAdapter
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, Runtime

__all__ = ["SCOPES", "BatchParts"]

# the reference core's scopes, plus reading Stripe's events (the extract polls them instead of
# taking webhooks)
SCOPES = {**TOKEN_SCOPES, "payments": (*TOKEN_SCOPES["payments"], "payments:events.read")}
_CORE_OPTIONS = ("retries", "store")


class BatchParts:
    """Runtime, state, adapters, exception queue and the flows the batch loads through."""

    def __init__(self, runtime: Runtime, tenant: str, options: dict[str, str]) -> None:
        authorized: Runtime = runtime
        if options.get("client_id") and options.get("client_secret"):
            authorized = TokenRuntime(runtime, options["client_id"], options["client_secret"],
                                      SCOPES)  # fmt: skip
        core_options = {k: v for k, v in options.items() if k in _CORE_OPTIONS}
        core_options["reconciliation"] = "false"  # the next night is this design's recovery
        self._core = core = ReferenceCore(authorized, tenant, core_options)
        self.rt: Runtime = core._rt
        self.state: CoreState = core.state
        self.store: Store = core.store
        self.crm: CrmAdapter = core._crm
        self.clm: ClmAdapter = core._clm
        self.psa: PsaAdapter = core._psa
        self.payments: PaymentsAdapter = core._payments

    def raise_exception(
        self, reason: str, item: str, detail: str, items: list[str] | None = None
    ) -> None:
        self._core._raise(reason, item, detail, items)

    def resolve_exception(self, reason: str, item: str) -> None:
        self._core._resolve(reason, item)

    def status(self) -> dict[str, Any]:
        return self._core.status()

    # -- the flows a batch line loads through --------------------------------------------------

    def quote_to_contract(self, opportunity_id: str) -> Flow[None]:
        return self._core.quote_to_contract(opportunity_id)

    def on_contract_record(self, record_id: str) -> Flow[None]:
        return self._core.on_contract_record(record_id)

    def collect_breach(self, record_id: str, breach_id: str) -> Flow[None]:
        return self._core.collect_breach(record_id, breach_id)

    def collect_time(self, submission_id: str) -> Flow[None]:
        return self._core.collect_time(submission_id)

    def collect_expenses(self, report_id: str) -> Flow[None]:
        return self._core.collect_expenses(report_id)

    def collect_milestone(self, psa_id: str) -> Flow[None]:
        return self._core.collect_milestone(psa_id)

    def on_payment_event(self, event: dict[str, Any]) -> Flow[None]:
        return self._core.on_payment_event(event)

    def billing_run(
        self, period: str, invoice_date: date, entities: tuple[str, ...] | None
    ) -> Flow[None]:
        return self._core.billing_run(period, invoice_date, entities)

    def finish_outbox(self) -> Flow[int]:
        return self._core.finish_outbox()
