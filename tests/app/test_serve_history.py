"""`q2c serve` tenants with history: the records only the vendors' UIs make (an executed SOW, a
milestone made billable by its completed task and invoiced, posted ERP documents, a paid
intent) exist when a CI job asks for them, through the tenant's own client, and survive the
tenant's reset; without the flag a tenant starts as empty as before."""

from __future__ import annotations

from typing import Any

import pytest

from sim.app.serve import Sandbox
from tests.app.test_serve_tenants import ADMIN, Client

CLM = "/clm/public/api/v1"
PSA = "/psa/api/v1"
ERP = "/erp/api/v2.0"


@pytest.fixture
def http() -> Client:
    return Client(Sandbox(None, 7, "admin-secret"))


def _get(http: Client, made: dict[str, Any], vendor: str, path: str) -> Any:
    auth = http.token(vendor, made["client_id"], made["client_secret"])
    answer = http("GET", path, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _records(http: Client, made: dict[str, Any]) -> list[dict[str, Any]]:
    return list(_get(http, made, "clm", f"{CLM}/records")["list"])


def test_history_holds_what_only_the_vendors_uis_make(http: Client) -> None:
    made = http.tenant({"history": True})
    assert made["history"] is True
    [record] = _records(http, made)
    assert record["properties"]["sowReference"]["value"] == "SOW-HISTORY-1"

    listed = _get(http, made, "psa", f"{PSA}/billing_milestones?include=story")
    milestones = listed["billing_milestones"]
    assert [m["billing_type"] for m in milestones.values()] == ["upon_completion"] * 2
    tasks = [listed["stories"][m["story_id"]]["state"] for m in milestones.values()]
    assert tasks == ["completed", "completed"]
    invoices = _get(http, made, "psa", f"{PSA}/invoices")["invoices"]
    [invoice] = invoices.values()
    assert [m["invoice_id"] for m in milestones.values()].count(invoice["id"]) == 1
    assert _get(http, made, "psa", f"{PSA}/rate_card_versions")["count"] == 1

    company = _get(http, made, "erp", f"{ERP}/companies")["value"][0]["id"]
    at = f"{ERP}/companies({company})"
    [posted] = _get(http, made, "erp", f"{at}/salesInvoices")["value"]
    assert posted["status"] == "Open"
    [journal] = _get(http, made, "erp", f"{at}/customerPaymentJournals")["value"]
    journal_at = f"{at}/customerPaymentJournals({journal['id']})"
    [payment] = _get(http, made, "erp", f"{journal_at}/customerPayments")["value"]
    assert payment["appliesToInvoiceId"] == posted["id"]
    [memo] = _get(http, made, "erp", f"{at}/salesCreditMemos")["value"]
    assert memo["status"] != "Draft" and memo["invoiceId"] == posted["id"]
    assert payment["amount"] > posted["remainingAmount"]  # the journal waits for a correction

    events = _get(http, made, "payments", "/payments/v1/events")["data"]
    # Stripe's log, newest first: the customer and the intent made, then the intent paid
    assert [e["type"] for e in events] == [
        "payment_intent.succeeded", "payment_intent.created", "customer.created",
    ]  # fmt: skip


def test_without_history_a_tenant_starts_empty_and_reset_keeps_the_choice(http: Client) -> None:
    plain, told = http.tenant(), http.tenant({"history": True})
    assert plain["history"] is False and _records(http, plain) == []
    assert http("POST", f"/_admin/tenants/{told['id']}/reset", headers=ADMIN).status_code == 204
    assert len(_records(http, told)) == 1  # reseeded, not doubled
    # the history client leaves no token behind: only the tenant's own client acts in it
    for vendor in ("clm", "psa", "erp", "payments"):
        authority = http.sandbox.mocks[vendor].auth
        assert all(g.client_id == told["client_id"] for g in authority._tokens.values()
                   if g.tenant == told["id"])  # fmt: skip


def test_history_must_be_a_boolean(http: Client) -> None:
    response = http("POST", "/_admin/tenants", headers=ADMIN, json={"history": "yes"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "history"
