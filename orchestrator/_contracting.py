"""Contracting: a won deal starts a SOW in the CLM; an executed SOW becomes an ERP customer and
an active PSA project with its rate cards, budget and milestones (kept in step by change orders).
"""

from __future__ import annotations

from orchestrator._state import Engagement
from orchestrator.context import CoreContext
from orchestrator.model import Project
from orchestrator.runtime import Flow

__all__ = ["Contracting"]


class Contracting:
    """From closed-won deal to active project."""

    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def quote_to_contract(self, opportunity_id: str) -> Flow[None]:
        """A closed-won deal starts a SOW workflow in the CLM, once."""
        if opportunity_id in self.state.launched:
            return
        self.state.launched[opportunity_id] = ""  # claimed: a duplicate event waits out
        try:
            deal = yield from self.ctx.crm.deal(opportunity_id)
            self.state.deals[opportunity_id] = deal
            if not deal.is_won:
                del self.state.launched[opportunity_id]
                return
            workflow_id = yield from self.ctx.clm.launch_sow(deal)
        except Exception:
            del self.state.launched[opportunity_id]  # a redelivered event tries again
            raise
        self.state.launched[opportunity_id] = workflow_id
        self.ctx.rt.record(
            "core.contract_requested", opportunity=opportunity_id, workflow=workflow_id
        )

    def contract_to_project(self, record_id: str) -> Flow[None]:
        """An executed SOW becomes an ERP customer and an active PSA project with its rates."""
        contract = yield from self.ctx.clm.contract(record_id)
        entities = yield from self.ctx.erp.legal_entities()
        entity = entities.get(contract.legal_entity_id)
        if entity is None:
            self.ctx.raise_exception(
                "no_legal_entity",
                contract.reference,
                f"no ERP company for legal entity {contract.legal_entity_id}",
            )
            return
        if entity.currency != contract.currency:
            self.ctx.raise_exception(
                "currency_mismatch",
                contract.reference,
                f"{entity.id} invoices in {entity.currency}, the contract says {contract.currency}",
            )
            return
        deal = self.state.deals.get(contract.opportunity_id)
        if deal is None:
            deal = yield from self.ctx.crm.deal(contract.opportunity_id)
        customer = yield from self.ctx.erp.ensure_customer(entity, contract, deal)
        start = min(v.rate_card.effective_from for v in contract.versions)
        workspace_id = yield from self.ctx.psa.create_workspace(contract, start)
        project = Project(
            id=workspace_id,
            contract_id=contract.id,
            customer_id=customer.id,
            legal_entity_id=entity.id,
        )
        engagement = Engagement(contract, project, entity, customer)
        yield from self.sync_terms(engagement)
        yield from self.ctx.psa.activate(workspace_id)
        self.state.engagements[contract.id] = engagement
        self.state.by_workspace[workspace_id] = engagement
        self.ctx.rt.record(
            "core.project_active", contract=contract.reference, workspace=workspace_id
        )

    def sync_terms(self, engagement: Engagement) -> Flow[None]:
        """Push rate card versions and milestones the PSA does not have yet: the contract's rate
        card set and card (once), a set version per contract version's effective date, and
        the rates the card's version there lacks."""
        psa, workspace_id = self.ctx.psa, engagement.project.id
        missing = [v for v in engagement.contract.versions
                   if v.number not in engagement.versions_in_psa]  # fmt: skip
        if missing:
            roles = yield from psa.roles()
            rates = yield from psa.rates_in_psa(workspace_id)
            if rates.card_id is None:
                rates = yield from psa.add_rate_card(workspace_id, engagement.contract)
            for version in missing:
                day = version.rate_card.effective_from
                card_version, rated = rates.dated.get(day.isoformat(), (None, set()))
                if card_version is None:
                    card_version = yield from psa.add_rate_card_version(rates, day)
                yield from psa.add_rates(card_version, version.rate_card, roles, rated)
                rates.dated[day.isoformat()] = (card_version, set(roles.values()))
                engagement.versions_in_psa[version.number] = None
                self.state.save(engagement)
        milestones = yield from psa.milestones_in_psa(workspace_id)
        for key, psa_id in sorted(milestones.items()):
            engagement.milestones_in_psa[key] = psa_id
            self._wait_for(psa_id)
        budgets = [v.budget for v in engagement.contract.versions if v.budget is not None]
        if budgets and budgets[-1] != engagement.budget_in_psa:
            yield from self.ctx.psa.set_budget(engagement.project.id, budgets[-1])
            engagement.budget_in_psa = budgets[-1]
            self.state.save(engagement)
        for milestone in engagement.contract.milestones:
            if milestone.id not in engagement.milestones_in_psa:
                psa_id = yield from self.ctx.psa.add_milestone(engagement.project.id, milestone)
                engagement.milestones_in_psa[milestone.id] = psa_id
                self._wait_for(psa_id)
                self.state.save(engagement)

    def _wait_for(self, psa_id: str) -> None:
        """Note a Kantata milestone the core waits on to become billable (unless collected)."""
        waited = self.state.milestones_waited
        if psa_id not in waited and f"milestone:{psa_id}" not in self.state.collected:
            waited[psa_id] = None
