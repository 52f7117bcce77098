"""Change orders: a completed CLM workflow is a new SOW or an amendment to one; amendments
bring new rate card versions, milestones and budgets to the PSA, and a retroactive one settles
work already invoiced the way the contract says (adjustment lines, or credit note + reissue).

One flow per contract runs at a time, so two change orders signed together never interleave.
"""

from __future__ import annotations

from orchestrator._contracting import Contracting
from orchestrator._ledger import BillingLedger
from orchestrator._state import Engagement
from orchestrator.context import CoreContext
from orchestrator.model import Invoice
from orchestrator.runtime import Flow

__all__ = ["ChangeOrders"]


class ChangeOrders:
    """Completed CLM workflows: a new SOW goes to contracting, a change order is applied here."""

    def __init__(self, ctx: CoreContext, contracting: Contracting) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self.contracting = contracting

    def _credit_and_reissue(self, engagement: Engagement, version_id: str) -> Flow[None]:
        """Credit every charge the change order reprices (a credit note, taxed by the engine)
        and queue the items to be charged again at the terms now in force."""
        ledger: BillingLedger = self.state.ledger
        items = ledger.repriced(engagement)
        if not items:
            return
        charged = [line for item in items for line in item.charged]
        code = f"CN-{engagement.contract.reference}-{version_id.rsplit('/', 1)[-1]}"[:50]
        # dated once: a replay on another day sends the very same memo under the same key
        today = self.state.credit_note_dates.setdefault(code, self.ctx.rt.now().date())
        reversal = Invoice(
            contract_id=engagement.contract.reference, customer_id=engagement.customer.id,
            legal_entity_id=engagement.entity.id, period=f"{today:%Y-%m}", invoice_date=today,
            currency=engagement.contract.currency,
            lines=tuple(line.model_copy(update={"amount": -line.amount,
                                                "unit_price": -line.unit_price})
                        for line in charged),
        )  # fmt: skip
        taxed = yield from self.ctx.tax.assess(
            reversal, engagement.entity, engagement.customer, code
        )
        credit_lines = [
            line.model_copy(update={"tax": -t.tax, "tax_code": t.tax_code})
            for line, t in zip(charged, taxed, strict=True)
        ]
        memo = yield from self.ctx.erp.credit(
            engagement.entity, engagement.customer.id, credit_lines, today, code, key=code
        )
        yield from self.ctx.tax.commit(engagement.entity, code)
        self.state.ledger.credited(items, today, version_id)
        self.ctx.rt.record("core.credit_note", contract=engagement.contract.reference,
                        number=memo["number"], items=len(items))  # fmt: skip

    def on_workflow_completed(self, workflow_id: str) -> Flow[None]:
        """Ironclad's ``workflow_completed`` names the workflow: read which record it became,
        then handle that record."""
        record_id = yield from self.ctx.clm.workflow_record(workflow_id)
        yield from self.on_contract_record(record_id)

    def on_contract_record(self, record_id: str) -> Flow[None]:
        """A completed CLM workflow: a new SOW, or a change order to one we already deliver."""
        while record_id in self.state.setting_up:  # one flow per contract at a time: two
            yield from self.ctx.rt.sleep(60)  # change orders signed together must not interleave
        self.state.setting_up[record_id] = None
        try:
            if record_id in self.state.engagements:
                yield from self.amend_contract(record_id)
            else:
                yield from self.contracting.contract_to_project(record_id)
        finally:
            del self.state.setting_up[record_id]

    def amend_contract(self, record_id: str) -> Flow[None]:
        """A change order: new versions reach the PSA, billed work is repriced and settled
        by adjustment lines on the next invoice."""
        engagement = self.state.engagements[record_id]
        engagement.contract = yield from self.ctx.clm.contract(record_id)
        self.state.save(engagement)
        yield from self.contracting.sync_terms(engagement)
        latest = engagement.contract.versions[-1]
        if engagement.contract.retro_settlement == "credit_and_reissue":
            yield from self._credit_and_reissue(engagement, latest.id)
            return
        queued = self.state.ledger.adjustments(engagement, self.ctx.rt.now().date(), latest.id)
        self.ctx.rt.record(
            "core.contract_amended",
            contract=engagement.contract.reference,
            version=latest.number,
            adjustments=len(queued),
        )
