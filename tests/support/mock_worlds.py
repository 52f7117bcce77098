"""The vendor mocks set up as the behaviour tests need them: a clock, one tenant's CRM, CLM,
PSA and ERP worlds with their webhook sinks (the PSA's change feed instead: Kantata pushes no
webhooks), and the small requests every test repeats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import simplejson

from mocks import CrmMock, ErpMock, ExecutedTerms, PsaMock, TaxMock, Webhook
from tests.support.contracts import (
    Contract,
    bc_error,
    kantata_errors,
)

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CRM = "/services/data/v60.0"
CLM = "/public/api/v1"
PSA = "/api/v1"


def clock() -> datetime:
    return NOW


JSON = {"content-type": "application/json"}


def _json(body: Any) -> bytes:
    return bytes(simplejson.dumps(body, use_decimal=True), "utf-8")


# -- worlds ---------------------------------------------------------------------------------


def _bc(response: httpx.Response, field: str, status: int = 400) -> str:
    """Business Central's refusal of ``response``, whose message names ``field``."""
    message = bc_error(response, status)
    assert field in message, message
    return message


def _crm() -> tuple[CrmMock, list[Webhook], httpx.Client]:
    sink: list[Webhook] = []
    crm = CrmMock(clock, sink.append)
    return crm, sink, Contract("crm").client(crm.app)


def _account(http: httpx.Client) -> str:
    response = http.post(f"{CRM}/sobjects/Account", json={"Name": "Acme GmbH"})
    return str(response.json()["id"])


def _opportunity(http: httpx.Client, account: str, stage: str = "Prospecting") -> str:
    body = {"Name": "SOW", "AccountId": account, "StageName": stage, "CloseDate": "2024-03-31"}
    return str(http.post(f"{CRM}/sobjects/Opportunity", json=body).json()["id"])


def _terms() -> ExecutedTerms:
    return ExecutedTerms.model_validate(
        {
            "counterpartyCountry": "DE",
            "legalEntity": "ACME-DE",
            "contractCurrency": "EUR",
            "roundingRule": "half_even",
            "sowReference": "SOW-7",
            "versions": [
                {
                    "number": 1,
                    "effectiveDate": "2024-01-01",
                    "rateCard": [{"role": "Engineer", "country": "DE", "hourlyRate": "110.00"}],
                }
            ],
        }
    )


def _launch(http: httpx.Client) -> str:
    body = {
        "template": "statementOfWork",
        "attributes": {"counterpartyName": "Acme", "opportunityId": "006000000000000001"},
    }
    return str(http.post(f"{CLM}/workflows", json=body).json()["id"])


class PsaWorld:
    """A PSA account with one engineer, one workspace and three ACTIVE time entries."""

    def __init__(self) -> None:
        self.psa = PsaMock(clock)
        self.psa.events.lag = timedelta(0)  # the clock stands still: events readable at once
        self.http = Contract("psa").client(self.psa.app)
        self.role = self.psa.add_role("default", "Engineer")
        self.user = self.psa.add_user("default", "Ada", "ada@example.com", self.role, "DE")
        workspace = {"workspace": {"title": "Acme", "currency": "EUR"}}
        self.ws = self.http.post(f"{PSA}/workspaces", json=workspace).json()["results"][0]["id"]
        self.entries = [
            self.psa.log_time("default", self.user, self.ws, date(2024, 3, d), 480, "work")
            for d in (4, 5, 6)
        ]

    def entry(self, entry_id: str) -> dict[str, Any]:
        body = self.http.get(f"{PSA}/time_entries/{entry_id}").json()
        return dict(body["time_entries"][entry_id])

    def feed(self) -> list[tuple[str, str]]:
        """(event type, subject id) of every Subscribed Event, read over HTTP (spec-checked)."""
        body = self.http.get(f"{PSA}/subscribed_events", params={"per_page": 200}).json()
        events = body["subscribed_events"]
        return [(events[r["id"]]["event_type"], str(events[r["id"]]["subject_id"]))
                for r in body["results"]]  # fmt: skip

    def edit(self, entry_id: str, **fields: Any) -> httpx.Response:
        return self.http.put(f"{PSA}/time_entries/{entry_id}", json={"time_entry": fields})

    def invoice(
        self,
        entries: list[str],
        milestones: list[str] | None = None,
        expenses: list[str] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "invoice": {
                "workspace_id": self.ws,
                "invoice_date": "2024-03-31",
                "time_entry_ids": entries,
                "billing_milestone_ids": milestones or [],
            }
        }
        if expenses is not None:
            body["invoice"]["expense_ids"] = expenses
        return self.http.post(f"{PSA}/invoices", json=body)

    def approve(self, entries: list[str]) -> str:
        submission = self.psa.submit_timesheet("default", self.user, entries)
        self.psa.resolve_timesheet("default", submission, approve=True)
        return submission

    def spend(self, amount_in_cents: int = 12_550, currency: str = "EUR") -> str:
        return self.psa.log_expense(
            "default",
            self.user,
            self.ws,
            date(2024, 3, 4),
            "Travel",
            amount_in_cents,
            currency,
            "train to site",
            receipt=True,
        )

    def expense(self, expense_id: str) -> dict[str, Any]:
        body = self.http.get(f"{PSA}/expenses/{expense_id}").json()
        return dict(body["expenses"][expense_id])

    def approve_expenses(self, expenses: list[str]) -> str:
        report = self.psa.submit_expense_report("default", self.user, expenses)
        self.psa.resolve_expense_report("default", report, approve=True)
        return report


class ErpWorld:
    """A Business Central tenant with a German company and one customer."""

    def __init__(self) -> None:
        self.erp = ErpMock(clock)
        self.erp.tax_connector = TaxMock(clock).estimate  # BC's AvaTax connector
        self.company = self.erp.add_company("default", "ACME-DE", "DE", "EUR")
        self.co = f"/api/v2.0/companies({self.company})"
        self.http = Contract("erp").client(self.erp.app)
        customer = {"displayName": "Client", "country": "DE", "currencyCode": "EUR"}
        self.customer = self.http.post(f"{self.co}/customers", json=customer).json()["id"]

    def body(self, *lines: tuple[str, str, str], currency: str = "EUR") -> dict[str, Any]:
        """An invoice of G/L account lines (quantity, unit price, the amount BC will compute:
        that third figure is not sent, BC computes it)."""
        return {
            "customerId": self.customer,
            "invoiceDate": "2024-03-31",
            "currencyCode": currency,
            "salesInvoiceLines": [
                {
                    "lineType": "Account",
                    "lineObjectNumber": "40100",
                    "description": "[psa:time_entry:te-1@v1] Engineer",
                    "quantity": Decimal(q),
                    "unitPrice": Decimal(p),
                }
                for q, p, _ in lines
            ],
        }

    def create(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(f"{self.co}/salesInvoices", content=_json(body), headers=headers)

    def posted_invoice(self, customer: str | None = None, post: bool = True) -> dict[str, Any]:
        """An invoice of 960.00 + 182.40 VAT = 1142.40, posted unless ``post`` is False."""
        body = self.body(("8", "120", "960"))  # German VAT 19%, by the AvaTax connector
        invoice: dict[str, Any] = self.create(
            {**body, "customerId": customer or self.customer}
        ).json()
        if post:
            self.http.post(f"{self.co}/salesInvoices({invoice['id']})/Microsoft.NAV.post")
        return invoice

    def read_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get(f"{self.co}/salesInvoices({invoice['id']})").json()
        return body

    def stored_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        """The invoice as the ERP keeps it, with what the API does not serve (``paidAmount``,
        ``creditedAmount``, ``postedAt``): what the sandbox's books read."""
        return dict(self.erp.tables.get("default", "salesInvoices", invoice["id"]))

    @property
    def journal(self) -> str:
        journals = self.http.get(f"{self.co}/customerPaymentJournals").json()["value"]
        return f"{self.co}/customerPaymentJournals({journals[0]['id']})"

    def pay(
        self, invoice: dict[str, Any], amount: str, key: str | None = None, **fields: Any
    ) -> httpx.Response:
        body = {
            "customerId": self.customer,
            "appliesToInvoiceId": invoice["id"],
            "amount": Decimal(amount),
            **fields,
        }
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(
            f"{self.journal}/customerPayments", content=_json(body), headers=headers
        )

    def post_journal(self) -> httpx.Response:
        return self.http.post(f"{self.journal}/Microsoft.NAV.post")

    def credit(self, invoice: dict[str, Any], *lines: tuple[str, str, str]) -> dict[str, Any]:
        """A draft credit memo against ``invoice`` with the given (quantity, price, amount)."""
        body = self.body(*lines)
        memo = {
            "customerId": self.customer,
            "invoiceId": invoice["id"],
            "creditMemoDate": "2024-04-30",
            "currencyCode": "EUR",
            "salesCreditMemoLines": body["salesInvoiceLines"],
        }
        response = self.http.post(f"{self.co}/salesCreditMemos", headers=JSON, content=_json(memo))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def post_credit(self, memo: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{self.co}/salesCreditMemos({memo['id']})/Microsoft.NAV.post")


def _kantata(response: httpx.Response, status: int) -> dict[str, Any]:
    """Kantata's ``{"errors": [...]}`` (checked), its field errors as ``{field, message}``."""
    errors = kantata_errors(response, status)
    return {
        "errors": [{"field": e["field"], "message": e["message"]} for e in errors if "field" in e]
    }


def _roundtrip(body: Any) -> Any:
    """The body as a subscriber would decode it from the wire."""
    return simplejson.loads(simplejson.dumps(body, use_decimal=True))
