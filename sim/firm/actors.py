"""The firm's people outside delivery: sales, legal, project managers and clients, finance.

Each is one SimPy process over data, not a process per record.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from mocks import AmendmentTerms, ExecutedTerms
from sim.firm.operations import TRIGGER_RETRY_S, Operations
from sim.firm.registrations import tax_id as registered_tax_id
from sim.firm.workforce import psa_workspace
from sim.record.truth import BreachTruth, MilestoneTruth
from sim.scenario.calendar import at
from sim.scenario.format import ContractSpec, ContractVersionSpec, MilestoneSpec
from sim.scenario.periods import billing_runs
from sim.seeds import stream
from sim.world.courier import CoreRefused
from sim.world.world import World

__all__ = ["start_firm"]


def start_firm(world: World) -> Operations:
    """Start sales, legal, milestone delivery, finance and operations (returned: the runner
    reads what operations saw)."""
    env = world.env
    for contract in world.scenario.contracts:
        env.process(_sell(world, contract))
        env.process(_change_orders(world, contract))
        if contract.purchase_order is not None and contract.purchase_order.arrives is not None:
            env.process(_purchase_order(world, contract))
        if contract.service_level is not None:
            env.process(_service_breaches(world, contract))
        for milestone in contract.milestones:
            env.process(_deliver_milestone(world, contract, milestone))
    env.process(_legal(world))
    env.process(_finance(world))
    ops = Operations(world)
    ops.start()
    return ops


def _client_account(world: World, contract: ContractSpec) -> dict[str, Any]:
    client = next(c for c in world.scenario.clients if c.id == contract.client)
    fake = world.faker(client.locale, "client", client.id)
    tax_id = registered_tax_id(fake, client.country, client.vat_id)
    if tax_id is not None:
        world.client_tax_ids[client.id] = tax_id
    return {
        "Name": client.name or fake.company(),
        "BillingStreet": fake.street_address().replace("\n", ", "),
        "BillingCity": fake.city(),
        "BillingPostalCode": fake.postcode(),
        "BillingState": client.region,
        "BillingCountry": client.country,
        "Industry": client.industry,
    }


def _sell(world: World, contract: ContractSpec) -> Any:
    """Sales opens the deal three weeks before it closes, then marks it closed-won."""
    opened = max(world.scenario.starts, contract.close_date - timedelta(days=21))
    yield world.until(at(opened, 9))
    account_id = world.crm.create(world.tenant, "Account", _client_account(world, contract))
    fields: dict[str, Any] = {
        "Name": f"{contract.id} managed services",
        "AccountId": account_id,
        "StageName": "Prospecting",
        "CloseDate": contract.close_date.isoformat(),
        "CurrencyIsoCode": contract.currency,
    }
    if contract.deal_amount is not None:
        fields["Amount"] = contract.deal_amount
    opportunity = world.crm.create(world.tenant, "Opportunity", fields)
    world.truth.opportunities[opportunity] = contract.id
    yield world.until(at(contract.close_date, 15))
    world.crm.update(world.tenant, "Opportunity", opportunity, {"StageName": "Closed Won"})
    world.truth.deals_won[contract.id] = world.now()
    world.trace.write("world.deal_won", contract=contract.id, opportunity=opportunity)


def _version_terms(v: ContractVersionSpec) -> dict[str, Any]:
    return {
        "number": v.number,
        "effectiveDate": v.effective,
        "budget": v.budget,
        "rateCard": [
            {"role": role, "country": country, "hourlyRate": rate}
            for role, by_country in sorted(v.rates.items())
            for country, rate in sorted(by_country.items())
        ],
    }


def _milestone_terms(contract: ContractSpec, version: int) -> list[dict[str, Any]]:
    return [
        {"id": m.id, "title": m.title, "amount": m.amount, "dueDate": m.due}
        for m in contract.milestones
        if m.version == version
    ]


def _terms(world: World, contract: ContractSpec) -> ExecutedTerms:
    client = next(c for c in world.scenario.clients if c.id == contract.client)
    signed_with_sow = [v for v in contract.versions if v.signed is None]
    return ExecutedTerms.model_validate(
        {
            "counterpartyCountry": client.country,
            "counterpartyTaxId": world.client_tax_ids.get(client.id),
            "legalEntity": contract.legal_entity,
            "contractCurrency": contract.currency,
            "roundingRule": contract.rounding,
            "sowReference": contract.id,
            "versions": [_version_terms(v) for v in signed_with_sow],
            "milestones": [
                m for v in signed_with_sow for m in _milestone_terms(contract, v.number)
            ],
            "expensePolicy": _expense_policy_terms(contract),
            "purchaseOrderRequired": contract.purchase_order is not None,
            "paymentTermsDays": contract.payment_terms_days,
            "retroSettlement": contract.retro_settlement,
            "serviceLevel": None
            if contract.service_level is None
            else {
                "creditPerBreach": contract.service_level.credit_per_breach,
                "monthlyCap": contract.service_level.monthly_cap,
                **_unless_default(
                    "vatTreatment", contract.service_level.vat_treatment, "price_reduction"
                ),
            },
        }
    )


def _expense_policy_terms(contract: ContractSpec) -> dict[str, Any] | None:
    policy = contract.expense_policy
    if policy is None:
        return None
    return {
        "markupPercent": policy.markup_percent,
        "billableCategories": policy.billable_categories,
        "receiptRequiredAbove": policy.receipt_required_above,
        **_unless_default("conversion", policy.conversion, "convert_then_markup"),
        **_unless_default("rounding", policy.rounding, "once"),
    }


def _unless_default(name: str, value: str, default: str) -> dict[str, str]:
    """A finance reading the SOW records only when it departs from the default."""
    return {} if value == default else {name: value}


def _sow_record(world: World, contract_id: str) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in world.clm.tables.all(world.tenant, "record")
            if r["type"] == "statementOfWork"
            and r["properties"]["sowReference"]["value"] == contract_id
        ),
        None,
    )


def _purchase_order(world: World, contract: ContractSpec) -> Any:
    """The client's PO arrives; the contract manager records it on the contract in the CLM."""
    po = contract.purchase_order
    assert po is not None and po.arrives is not None
    day = po.arrives
    yield world.until(at(day, 12))
    while (record := _sow_record(world, contract.id)) is None:  # SOW not yet signed
        day += timedelta(days=1)
        yield world.until(at(day, 12))
    world.clm.set_purchase_order(world.tenant, record["id"], po.number)
    world.truth.purchase_orders[contract.id] = (po.number, world.now())
    world.trace.write("world.purchase_order_received", contract=contract.id, number=po.number)


def _service_breaches(world: World, contract: ContractSpec) -> Any:
    """The client's service desk reports each missed service level; it is logged in the CLM
    against the SLA obligation (or, with no contract record yet, owed all the same)."""
    assert contract.service_level is not None
    for number, day in enumerate(sorted(contract.service_level.breaches), start=1):
        yield world.until(at(day, 14))
        breach = BreachTruth(contract.id, number, day, world.now())
        record = _sow_record(world, contract.id)
        if record is not None:
            breach.clm_id = world.clm.record_breach(
                world.tenant, record["id"], day, f"Service level missed ({contract.id} #{number})"
            )
        world.truth.breaches.append(breach)
        world.trace.write("world.service_level_breached", contract=contract.id, number=number)


def _change_orders(world: World, contract: ContractSpec) -> Any:
    """Legal signs each change order in the CLM on its date (once the SOW record exists)."""
    hq = world.scenario.legal_entities[0].country
    for version in contract.versions:
        if version.signed is None:
            continue
        day = world.calendar.add_business_days(hq, version.signed, 0)
        record = None
        while record is None:
            yield world.until(at(day, 16))
            record = next(
                (
                    r
                    for r in world.clm.tables.all(world.tenant, "record")
                    if r["type"] == "statementOfWork"  # not an amendment record of it
                    and r["properties"]["sowReference"]["value"] == contract.id
                ),
                None,
            )
            day += timedelta(days=1)
        terms = AmendmentTerms.model_validate(
            {
                "versions": [_version_terms(version)],
                "milestones": _milestone_terms(contract, version.number),
            }
        )
        world.clm.amend(world.tenant, record["id"], terms)
        world.trace.write(
            "world.change_order_signed",
            contract=contract.id,
            version=version.number,
            effective=version.effective.isoformat(),
        )


def _legal(world: World) -> Any:
    """Legal picks up new SOW workflows twice a business day and signs after review."""
    rng = stream(world.seed, "legal")
    lag = world.scenario.behaviour.legal_lag_business_days
    hq = world.scenario.legal_entities[0].country
    contracts = {c.id: c for c in world.scenario.contracts}
    picked: dict[str, None] = {}
    day = world.scenario.starts
    while day <= world.scenario.ends:
        for hour in (9, 14):
            yield world.until(at(day, hour))
            if not world.calendar.is_business_day(hq, day):
                continue
            for workflow in world.clm.workflows(world.tenant):
                if workflow["id"] in picked or workflow["status"] != "active":
                    continue
                picked[workflow["id"]] = None
                contract_id = world.truth.opportunities.get(workflow["attributes"]["opportunityId"])
                if contract_id is None:
                    world.trace.write("world.unknown_workflow", workflow=workflow["id"])
                    continue
                sign_on = world.calendar.add_business_days(hq, day, rng.randint(lag.min, lag.max))
                world.env.process(_sign(world, workflow["id"], contracts[contract_id], sign_on))
        day += timedelta(days=1)


def _sign(world: World, workflow_id: str, contract: ContractSpec, day: date) -> Any:
    yield world.until(at(day, 16))
    world.clm.execute(world.tenant, workflow_id, _terms(world, contract))
    world.truth.executed[contract.id] = world.now()
    world.trace.write("world.contract_executed", contract=contract.id, workflow=workflow_id)


def _deliver_milestone(world: World, contract: ContractSpec, milestone: MilestoneSpec) -> Any:
    """The PM delivers the milestone when due and the client accepts it after review; then
    the PM marks the milestone's task completed in Kantata, which makes its billing milestone
    billable (Kantata has no client acceptance: the acceptance is the firm's, the task's
    completion Kantata's). The acceptance is real either way (a milestone missing from the
    PSA is still owed, and leaks if never billed)."""
    rng = stream(world.seed, "milestone", contract.id, milestone.id)
    client = next(c for c in world.scenario.clients if c.id == contract.client)
    yield world.until(at(milestone.due, 16))
    lag = world.scenario.behaviour.acceptance_lag_business_days
    accept_on = world.calendar.add_business_days(
        client.country, milestone.due, rng.randint(lag.min, lag.max)
    )
    yield world.until(at(accept_on, 11))
    record = _psa_milestone(world, contract.id, milestone.id)
    task = (
        record
        and record["story_id"]
        and world.psa.tables.get(world.tenant, "stories", record["story_id"])
    )  # a milestone billed on its date has no task; a task is completed once
    if task and task["state"] != "completed":
        world.psa.complete_story(world.tenant, task["id"])
    truth = MilestoneTruth(
        contract=contract.id,
        milestone=milestone.id,
        amount=Decimal(milestone.amount),
        accepted_at=world.now(),
        psa_id=record["id"] if record is not None else None,
    )
    world.truth.milestones[f"{contract.id}:{milestone.id}"] = truth
    world.trace.write(
        "world.milestone_accepted",
        contract=contract.id,
        milestone=milestone.id,
        psa_id=truth.psa_id,
    )


def _psa_milestone(world: World, contract_id: str, milestone_id: str) -> dict[str, Any] | None:
    workspace = psa_workspace(world, contract_id)
    if workspace is None:
        return None
    for record in world.psa.tables.where(
        world.tenant, "billing_milestones", "workspace_id", str(workspace["id"])
    ):  # the workspace's milestones, from the PSA's index: not every milestone of the firm
        if world.psa.reference_of(world.tenant, record) == milestone_id:
            return record
    return None


def _finance(world: World) -> Any:
    """Finance triggers the billing run for each month on the n-th business day after it, on
    each legal entity's own calendar (entities whose calendars agree share a run; a run for
    some of them names them); while the core is down (connection refused) it tries again
    every 15 minutes."""
    every = tuple(e.id for e in world.scenario.legal_entities)
    for period, run_day, entities in billing_runs(world.scenario, world.calendar):
        yield world.until(at(run_day, 6))
        run = {"period": period, "invoiceDate": run_day.isoformat()}
        if entities != every:
            run["legalEntities"] = list(entities)  # type: ignore[assignment]
        body = json.dumps(run).encode()
        while True:
            try:
                response = world.call_core("POST", "/billing-runs", body)
                break
            except CoreRefused:
                yield world.env.timeout(TRIGGER_RETRY_S)
        world.truth.billing_runs.append((period, world.now()))
        world.trace.write("world.billing_run", period=period, status=response.status_code)
