"""A served tenant's history: the records a firm has before its integration ever calls the API.

Some records exist at a vendor only through its own UI: Ironclad completes a workflow into an
executed contract record when the parties sign (no API call signs), a Kantata milestone's
task is completed in Kantata's UI (not over this API; Kantata has no client acceptance), and
the ERP's cash journal already holds the day's payments. A CI job testing the API through
every link of the specs needs such records to read, update, invoice and pay; ``POST
/_admin/tenants`` with ``{"history": true}`` gives its tenant one of each (``seed_history``),
named after the tenant's scenario when it has one:

- CLM: a statement of work launched and executed (a contract record, one rate card version);
- PSA: an active workspace with a rate card version and two billing milestones billed upon
  their tasks' completion, both tasks completed (billable), one milestone invoiced;
- ERP (the tenant's first company): a customer, an invoice posted (``Open``), the client's
  transfer of its full amount entered in the cash journal, then a goodwill credit memo posted
  against the invoice, so the transfer exceeds what the invoice still owes and the journal
  does not post until it is corrected (the entered payment stays in the journal for a client
  to read, and posting it is Business Central's refusal, not a success that empties it);
- payments: a customer who paid a card payment intent (the card payment happens at Stripe's
  checkout, not over this API), so the event log holds ``payment_intent.succeeded``.

Records an API can make are made through that API (in process, as the tenant's own history
client ``q2c-history-<tenant>``, so every check of the mock applies); only what no API call
can do (signing, completing a task) uses the mocks' direct methods, as the simulated
firm does. A write the mock refuses is a ``HistoryError`` naming the call: the sandbox's own
data, not the caller's, so the admin API answers it as a 500 it should never see.

Without ``history`` a tenant starts as before (companies, roles, consultants, accounts only),
so an integration that expects an empty tenant still finds one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from contracts.specs import load
from mocks import ExecutedTerms, Mock
from sim.scenario.format import Scenario

__all__ = ["HistoryError", "seed_history"]

CLM = "/public/api/v1"
PSA = "/api/v1"
ERP = "/api/v2.0"


class HistoryError(RuntimeError):
    """A vendor mock refused a write of the seeded history (a sandbox defect)."""


class _Desk:
    """The tenant's history client at one vendor: in-process calls through the mock's own
    routes (``VendorApp.transport``), with a token from the mock's token endpoint."""

    def __init__(self, mock: Mock, tenant: str) -> None:
        client_id, secret = f"q2c-history-{tenant}", secrets.token_urlsafe(24)
        mock.auth.register(client_id, secret, tenant)
        self._vendor = mock.app.name
        self._http = httpx.Client(transport=mock.app.transport(), base_url="http://history")
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        token = self.call("POST", mock.auth.token_path, form=form)["access_token"]
        self._http.headers["authorization"] = f"Bearer {token}"

    def call(
        self, method: str, path: str, body: Any = None, *, form: dict[str, str] | None = None
    ) -> Any:
        answer = self._http.request(method, path, json=body, data=form)
        if answer.status_code >= 300:
            raise HistoryError(
                f"seeding the {self._vendor} history: {method} {path} was answered "
                f"{answer.status_code} {answer.text[:500]}"
            )
        return answer.json() if answer.content else None


def seed_history(mocks: Mapping[str, Mock], tenant: str, scenario: Scenario | None) -> None:
    """Give ``tenant`` the history described in the module docstring."""
    client, country, currency = "Sandbox Client AG", "DE", "EUR"  # the sandbox's one company
    if scenario is not None and scenario.clients:
        client = scenario.clients[0].name or scenario.clients[0].id
    if scenario is not None and scenario.legal_entities:  # the first company is the first entity
        country = scenario.legal_entities[0].country
        currency = scenario.legal_entities[0].currency
    _clm(mocks["clm"], tenant, client)
    _psa(mocks["psa"], tenant, client)
    _erp(mocks["erp"], tenant, client, country, currency)
    _payments(mocks["payments"], tenant, client)
    for mock in (mocks["clm"], mocks["psa"], mocks["erp"], mocks["payments"]):
        mock.auth.revoke_tokens(tenant)  # the history client's: no token outlives seeding


def _clm(mock: Mock, tenant: str, client: str) -> None:
    desk = _Desk(mock, tenant)
    launch = {
        "template": "statementOfWork",
        "attributes": {"counterpartyName": client, "opportunityId": "006HISTORY0001"},
    }
    workflow = desk.call("POST", f"{CLM}/workflows", launch)
    today = mock.clock().date()
    terms = ExecutedTerms.model_validate(
        {
            "counterpartyCountry": "DE",
            "legalEntity": "SANDBOX-DE",
            "contractCurrency": "EUR",
            "roundingRule": "half_up",
            "sowReference": "SOW-HISTORY-1",
            "versions": [
                {
                    "number": 1,
                    "effectiveDate": today.isoformat(),
                    "rateCard": [{"role": "Engineer", "country": "DE", "hourlyRate": "120.00"}],
                }
            ],
        }
    )
    assert hasattr(mock, "execute")
    mock.execute(tenant, workflow["id"], terms)  # the parties sign in Ironclad, not over the API


def _psa(mock: Mock, tenant: str, client: str) -> None:
    desk = _Desk(mock, tenant)
    today = mock.clock().date().isoformat()
    roles = desk.call("GET", f"{PSA}/roles")["results"]
    if not roles:
        raise HistoryError("seeding the psa history: the tenant has no role")
    workspace = {
        "title": f"{client} - statement of work",
        "currency": "EUR",
        "status": "In Progress",
        # Kantata's external reference: the firm's own key under its integration's name
        "external_reference": {
            "service_name": "q2c",
            "service_model": "statement_of_work",
            "service_model_ref": "SOW-HISTORY-1",
        },
    }
    made = desk.call("POST", f"{PSA}/workspaces", {"workspace": workspace})
    workspace_id = made["results"][0]["id"]
    # Kantata's rate cards: a set, its EUR card (the workspace bills by it), a dated set version
    # (which makes the card's version) and the role's rate on it, in cents per hour
    card_set = desk.call("POST", f"{PSA}/rate_card_sets", {"rate_card_set": {"title": client}})
    set_id = card_set["results"][0]["id"]
    card = desk.call(
        "POST",
        f"{PSA}/rate_cards",
        {"rate_card": {"rate_card_set_id": int(set_id), "currency": "EUR"}},
    )
    card_id = card["results"][0]["id"]
    desk.call(
        "PUT", f"{PSA}/workspaces/{workspace_id}", {"workspace": {"rate_card_id": int(card_id)}}
    )
    dated = {"rate_card_set_version": {"rate_card_set_id": int(set_id), "effective_date": today}}
    made_version = desk.call(
        "POST", f"{PSA}/rate_card_set_versions?include=rate_card_versions", dated
    )
    card_version = next(iter(made_version["rate_card_versions"]))
    rate = {
        "rate_card_version_id": int(card_version),
        "role_id": int(roles[0]["id"]),
        "rate": 12000,
    }
    desk.call("POST", f"{PSA}/rate_card_roles", {"rate_card_role": rate})
    billable = []
    for title in ("Kick-off", "Design review"):
        task = {"workspace_id": workspace_id, "title": title, "story_type": "milestone"}
        story_id = desk.call("POST", f"{PSA}/stories", {"story": task})["results"][0]["id"]
        milestone = {
            "workspace_id": workspace_id,
            "title": title,
            "amount_in_cents": 500000,
            "billing_type": "upon_completion",
            "story_id": int(story_id),
        }
        made = desk.call("POST", f"{PSA}/billing_milestones", {"billing_milestone": milestone})
        assert hasattr(mock, "complete_story")
        mock.complete_story(tenant, story_id)  # the PM, in Kantata, once the client signed off
        billable.append(made["results"][0]["id"])
    invoice = {
        "workspace_id": workspace_id,
        "invoice_date": today,
        "billing_milestone_ids": billable[:1],
    }
    desk.call("POST", f"{PSA}/invoices", {"invoice": invoice})


def _erp(mock: Mock, tenant: str, client: str, country: str, currency: str) -> None:
    """The documents of a domestic client of the first company, in the company's currency
    (the scenario's first legal entity's, which an ERP company answer does not carry)."""
    desk = _Desk(mock, tenant)
    today = mock.clock().date()
    company = desk.call("GET", f"{ERP}/companies")["value"][0]
    at = f"{ERP}/companies({company['id']})"
    customer = desk.call(
        "POST",
        f"{at}/customers",
        {"displayName": client, "country": country, "currencyCode": currency},
    )
    invoice = desk.call(
        "POST",
        f"{at}/salesInvoices",
        {
            "customerId": customer["id"],
            "invoiceDate": today.isoformat(),
            "dueDate": (today + timedelta(days=30)).isoformat(),
            "currencyCode": currency,
            "salesInvoiceLines": [_line("Consulting", 40)],
        },
    )
    desk.call("POST", f"{at}/salesInvoices({invoice['id']})/Microsoft.NAV.post")
    journal = desk.call("GET", f"{at}/customerPaymentJournals")["value"][0]
    payment = {
        "customerId": customer["id"],
        "appliesToInvoiceId": invoice["id"],
        "amount": invoice["totalAmountIncludingTax"],
        "externalDocumentNumber": "TRANSFER-HISTORY-1",
    }
    desk.call("POST", f"{at}/customerPaymentJournals({journal['id']})/customerPayments", payment)
    memo = {
        "customerId": customer["id"],
        "invoiceId": invoice["id"],
        "creditMemoDate": today.isoformat(),
        "currencyCode": currency,
        "salesCreditMemoLines": [_line("Goodwill", 1)],
    }
    made = desk.call("POST", f"{at}/salesCreditMemos", memo)
    # the goodwill credit is posted after the client's transfer of the full amount was entered:
    # the transfer now exceeds what the invoice owes, so the journal does not post (BC's
    # refusal) until someone corrects it, and the entered payment stays readable in it
    desk.call("POST", f"{at}/salesCreditMemos({made['id']})/Microsoft.NAV.post")


def _payments(mock: Mock, tenant: str, client: str) -> None:
    desk = _Desk(mock, tenant)
    customer = desk.call("POST", "/v1/customers", form={"name": client})
    intent = desk.call(
        "POST",
        "/v1/payment_intents",
        form={
            "amount": "480000",
            "currency": "eur",
            "customer": customer["id"],
            "payment_method_types[0]": "card",
            "description": "Invoice history 1",
        },
    )
    assert hasattr(mock, "fund")
    mock.fund(tenant, intent["id"], intent["amount"])  # the client pays at checkout


def _line(description: str, hours: int) -> dict[str, Any]:
    """A document line of ``hours`` at 120.00 in the shape the served ERP spec asks for: a G/L
    account line whose amount the ERP computes, or (in a spec where the line carries its
    amount and its audit trail) those too. Credit memo lines share the invoice line's model."""
    wanted = load("erp")["components"]["schemas"]["SalesInvoiceLineCreate"]
    line: dict[str, Any] = {"description": description, "quantity": hours, "unitPrice": 120}
    properties = wanted.get("properties", {})
    if "lineObjectNumber" in properties:
        line.update(lineType="Account", lineObjectNumber="40100")
    if "amountExcludingTax" in wanted.get("required", []):
        line["amountExcludingTax"] = hours * 120
    if "sourceItemIds" in wanted.get("required", []):
        line["sourceItemIds"] = ["history-1"]
    if "contractVersionId" in wanted.get("required", []):
        line["contractVersionId"] = "SOW-HISTORY-1:v1"
    return line
