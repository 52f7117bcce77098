"""Vendor behaviour the integration relies on: tenants, errors, state machines, idempotency,
line arithmetic and outbound webhooks. Every answer is also checked against its contract."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson

from mocks import ClmMock, CrmMock, ErpMock, ExecutedTerms, PsaMock, Webhook
from tests.support.contracts import (
    Contract,
    bc_error,
    error_message,
    kantata_errors,
    salesforce_errors,
    salesforce_fields,
)
from tests.support.contracts import fields as _fields
from tests.support.contracts import problem as _problem

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
        self.sink: list[Webhook] = []
        self.psa = PsaMock(clock, self.sink.append)
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
        self.company = self.erp.add_company("default", "ACME-DE", "DE", "EUR")
        self.co = f"/api/v2.0/companies({self.company})"
        self.http = Contract("erp").client(self.erp.app)
        customer = {"displayName": "Client", "country": "DE", "currencyCode": "EUR"}
        self.customer = self.http.post(f"{self.co}/customers", json=customer).json()["id"]

    def body(self, *lines: tuple[str, str, str], currency: str = "EUR") -> dict[str, Any]:
        return {
            "customerId": self.customer,
            "invoiceDate": "2024-03-31",
            "currencyCode": currency,
            "salesInvoiceLines": [
                {
                    "description": "Engineer",
                    "quantity": Decimal(q),
                    "unitPrice": Decimal(p),
                    "amountExcludingTax": Decimal(a),
                    "sourceItemIds": ["te-1"],
                    "contractVersionId": "v1",
                }
                for q, p, a in lines
            ],
        }

    def create(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(f"{self.co}/salesInvoices", content=_json(body), headers=headers)

    def posted_invoice(self, customer: str | None = None, post: bool = True) -> dict[str, Any]:
        """An invoice of 960.00 + 182.40 VAT = 1142.40, posted unless ``post`` is False."""
        body = self.body(("8", "120", "960"))
        body["salesInvoiceLines"][0]["totalTaxAmount"] = Decimal("182.40")
        invoice: dict[str, Any] = self.create(
            {**body, "customerId": customer or self.customer}
        ).json()
        if post:
            self.http.post(f"{self.co}/salesInvoices({invoice['id']})/Microsoft.NAV.post")
        return invoice

    def read_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get(f"{self.co}/salesInvoices({invoice['id']})").json()
        return body

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


# -- tenants --------------------------------------------------------------------------------


def test_crm_record_of_another_tenant_is_not_found() -> None:
    """A CRM record created in one tenant is a 404 from another tenant."""
    crm, _, http = _crm()
    account = _account(http)
    other = Contract("crm").client(crm.app, tenant="globex")
    salesforce_errors(other.get(f"{CRM}/sobjects/Account/{account}"), 404, "NOT_FOUND")
    patched = other.patch(f"{CRM}/sobjects/Account/{account}", json={"Name": "x"})
    salesforce_errors(patched, 404, "NOT_FOUND")
    assert (
        other.get(f"{CRM}/query", params={"q": "SELECT Id FROM Account"}).json()["totalSize"] == 0
    )


def test_clm_workflow_of_another_tenant_is_not_found() -> None:
    """A CLM workflow launched in one tenant is a 404 and is not listed from another tenant."""
    clm = ClmMock(clock, None)
    workflow = _launch(Contract("clm").client(clm.app, tenant="acme"))
    other = Contract("clm").client(clm.app, tenant="globex")
    _problem(other.get(f"{CLM}/workflows/{workflow}"), 404)
    assert other.get(f"{CLM}/workflows").json()["count"] == 0


def test_psa_workspace_of_another_tenant_is_not_found() -> None:
    """A PSA workspace (and its entries) is a 404 from another tenant, even with the same id."""
    world = PsaWorld()
    other = Contract("psa").client(world.psa.app, tenant="globex")
    _kantata(other.get(f"{PSA}/workspaces/{world.ws}"), 404)
    _kantata(other.get(f"{PSA}/time_entries/{world.entries[0]}"), 404)
    assert other.get(f"{PSA}/time_entries").json()["count"] == 0


def test_erp_company_of_another_tenant_is_not_found() -> None:
    """An ERP company and its customers are a 404 from another tenant."""
    world = ErpWorld()
    other = Contract("erp").client(world.erp.app, tenant="globex")
    bc_error(other.get(f"/api/v2.0/companies({world.company})"), 404, "Internal_RecordNotFound")
    bc_error(other.get(f"{world.co}/customers({world.customer})"), 404, "Internal_RecordNotFound")
    assert other.get("/api/v2.0/companies").json()["value"] == []


# -- errors ---------------------------------------------------------------------------------


def test_wrong_type_is_a_400_naming_the_field() -> None:
    """A field of the wrong type is Salesforce's 400 naming that field."""
    _, _, http = _crm()
    assert salesforce_fields(http.post(f"{CRM}/sobjects/Account", json={"Name": 42})) == ["Name"]


def test_unknown_field_is_a_422_naming_the_field() -> None:
    """An unknown field is refused, by name, not silently dropped."""
    world = ErpWorld()
    body = {"displayName": "x", "country": "DE", "currencyCode": "EUR", "vatNo": "DE1"}
    _bc(world.http.post(f"{world.co}/customers", json=body), "vatNo")


def test_missing_field_is_a_422_naming_it_with_its_envelope() -> None:
    """A missing field is named with the PSA envelope as prefix."""
    world = PsaWorld()
    response = world.http.post(f"{PSA}/workspaces", json={"workspace": {"title": "No currency"}})
    assert _fields(response) == ["workspace.currency"]


def test_missing_envelope_is_a_400_naming_it() -> None:
    """A PSA body without its envelope member is a 400 naming the envelope."""
    world = PsaWorld()
    assert _fields(world.http.post(f"{PSA}/workspaces", json={"title": "x"}), 400) == ["workspace"]


@pytest.mark.parametrize("field", ["Name", "StageName", "CloseDate"])
def test_crm_patch_cannot_null_a_required_field(field: str) -> None:
    """PATCH may clear optional fields, but nulling a required one is Salesforce's 400
    REQUIRED_FIELD_MISSING and changes nothing."""
    _, _, http = _crm()
    opp = _opportunity(http, _account(http))
    nulled = http.patch(f"{CRM}/sobjects/Opportunity/{opp}", json={field: None})
    assert salesforce_errors(nulled, 400, "REQUIRED_FIELD_MISSING")[0]["fields"] == [field]
    assert http.get(f"{CRM}/sobjects/Opportunity/{opp}").json()[field] is not None
    cleared = http.patch(f"{CRM}/sobjects/Opportunity/{opp}", json={"Amount": None})
    assert cleared.status_code == 204


def test_bad_query_parameters_are_400s_naming_the_parameter() -> None:
    """Out-of-range paging and bad booleans are 400s naming the parameter."""
    world = PsaWorld()
    assert _fields(world.http.get(f"{PSA}/time_entries", params={"per_page": 500}), 400) == [
        "per_page"
    ]
    assert _fields(world.http.get(f"{PSA}/time_entries", params={"approved": "yes"}), 400) == [
        "approved"
    ]
    erp = ErpWorld()
    assert "$top" in bc_error(erp.http.get(f"{erp.co}/customers", params={"$top": "ten"}), 400)


def test_unsupported_method_is_405_with_allow() -> None:
    """A known path with an unsupported method is a 405 that lists the allowed methods."""
    world = PsaWorld()
    response = world.psa.app.handle(
        httpx.Request("DELETE", f"http://x{PSA}/time_entries/{world.entries[0]}")
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"


GARBAGE = [
    b"",
    b"{",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b"null",
    b"[]",
    b'"text"',
    b"42",
    b'{"workspace": 7, "time_entry": [], "invoice": "x"}',
    b'{"Name": {"nested": true}, "displayName": [], "name": 1e999999}',
    b'{"quantity": "lots", "salesInvoiceLines": [{"quantity": [], "unitPrice": {}}]}',
]


def _write_routes() -> list[tuple[httpx.Client, str, str]]:
    """(checked client, method, concrete path) for every write route that takes a body."""
    _, _, crm = _crm()
    account = _account(crm)
    clm_mock = ClmMock(clock, None)
    clm = Contract("clm").client(clm_mock.app)
    record = clm_mock.execute("default", _launch(clm), _terms())["id"]
    psa = PsaWorld()
    erp = ErpWorld()
    return [
        (crm, "POST", f"{CRM}/sobjects/Account"),
        (crm, "POST", f"{CRM}/sobjects/Opportunity"),
        (crm, "PATCH", f"{CRM}/sobjects/Account/{account}"),
        (clm, "POST", f"{CLM}/workflows"),
        (clm, "PATCH", f"{CLM}/records/{record}"),
        (psa.http, "POST", f"{PSA}/workspaces"),
        (psa.http, "PUT", f"{PSA}/workspaces/{psa.ws}"),
        (psa.http, "POST", f"{PSA}/rate_card_versions"),
        (psa.http, "POST", f"{PSA}/billing_milestones"),
        (psa.http, "PUT", f"{PSA}/time_entries/{psa.entries[0]}"),
        (psa.http, "POST", f"{PSA}/invoices"),
        (erp.http, "POST", f"{erp.co}/customers"),
        (erp.http, "PATCH", f"{erp.co}/customers({erp.customer})"),
        (erp.http, "POST", f"{erp.co}/salesInvoices"),
        (erp.http, "POST", f"{erp.journal}/customerPayments"),
        (erp.http, "POST", f"{erp.co}/salesCreditMemos"),
    ]


def _kantata(response: httpx.Response, status: int) -> dict[str, Any]:
    """Kantata's ``{"errors": [...]}`` (checked), its field errors as ``{field, message}``."""
    errors = kantata_errors(response, status)
    return {
        "errors": [{"field": e["field"], "message": e["message"]} for e in errors if "field" in e]
    }


# Kantata answers a refused field 422 (its own spec: '422': Unprocessable Entity); the others
# (Ironclad included) answer 400
_KEEPS_422 = ("/api/v1",)


def test_garbage_bodies_never_cause_a_server_error() -> None:
    """Every write route answers garbage, deep nesting and wrong types with a 4xx problem."""
    for http, method, path in _write_routes():
        for content in GARBAGE:
            response = http.request(method, path, content=content)
            assert 400 <= response.status_code < 500, (method, path, content[:40])
            assert response.status_code != 422 or path.startswith(_KEEPS_422), (method, path)
            assert error_message(response, response.status_code)  # the vendor's own shape


def test_out_of_range_decimals_are_a_422_not_a_crash() -> None:
    """Line amounts beyond Decimal's context (1e30, 1e999999) are refused as inconsistent."""
    world = ErpWorld()
    for line in [("1", "1", "1e30"), ("1e999999", "1e999999", "1")]:
        response = world.create(world.body(line))
        _bc(response, "salesInvoiceLines[0].amountExcludingTax")


# -- PSA state machine ---------------------------------------------------------------------


def test_time_entry_moves_active_locked_invoiced() -> None:
    """An entry is ACTIVE when logged, LOCKED when submitted, INVOICED once on an invoice."""
    world = PsaWorld()
    entry = world.entries[0]
    assert world.entry(entry)["status"] == "ACTIVE"
    submission = world.psa.submit_timesheet("default", world.user, [entry])
    assert (world.entry(entry)["status"], world.entry(entry)["approved"]) == ("LOCKED", False)
    world.psa.resolve_timesheet("default", submission, approve=True)
    assert (world.entry(entry)["status"], world.entry(entry)["approved"]) == ("LOCKED", True)
    invoice = world.invoice([entry])
    assert invoice.status_code == 201
    invoice_id = invoice.json()["results"][0]["id"]
    assert (world.entry(entry)["status"], world.entry(entry)["invoice_id"]) == (
        "INVOICED",
        invoice_id,
    )


def test_invoicing_an_unapproved_entry_is_422_and_changes_nothing() -> None:
    """Unapproved entries (ACTIVE or merely submitted) cannot be invoiced; nothing is invoiced."""
    world = PsaWorld()
    approved, submitted, active = world.entries
    world.approve([approved])
    world.psa.submit_timesheet("default", world.user, [submitted])
    body = _kantata(world.invoice([approved, submitted, active]), 422)
    assert body["errors"] == [
        {"field": "invoice.time_entry_ids[1]", "message": "not approved"},
        {"field": "invoice.time_entry_ids[2]", "message": "not approved"},
    ]
    assert world.entry(approved)["status"] == "LOCKED"
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 0


def test_invoicing_an_invoiced_entry_again_is_422() -> None:
    """An INVOICED entry cannot go on a second invoice."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    first = world.invoice(world.entries[:1]).json()["results"][0]["id"]
    fields = _kantata(world.invoice(world.entries[:1]), 422)["errors"]
    assert fields == [
        {
            "field": "invoice.time_entry_ids[0]",
            "message": f"already invoiced on invoice {first}",
        }
    ]


def test_listing_an_entry_twice_on_one_invoice_is_422() -> None:
    """The same entry twice on one invoice would bill it twice: refused."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    twice = [world.entries[0], world.entries[0]]
    assert _kantata(world.invoice(twice), 422)["errors"] == [
        {"field": "invoice.time_entry_ids[1]", "message": "listed twice"}
    ]
    assert world.entry(world.entries[0])["status"] == "LOCKED"


def test_editing_a_locked_or_invoiced_entry_is_422() -> None:
    """Only ACTIVE entries can be corrected: LOCKED and INVOICED ones are Kantata's 422
    validation error (its specs declare no 409)."""
    world = PsaWorld()
    entry = world.entries[0]
    assert world.edit(entry, time_in_minutes=450).json()["time_entries"][entry][
        "time_in_minutes"
    ] == (450)
    world.approve([entry])
    _kantata(world.edit(entry, time_in_minutes=420), 422)
    world.invoice([entry])
    _kantata(world.edit(entry, billable=False), 422)
    assert world.entry(entry)["time_in_minutes"] == 450


def test_rejected_timesheet_unlocks_its_entries() -> None:
    """A rejected submission returns its entries to ACTIVE, editable and unapproved."""
    world = PsaWorld()
    entry = world.entries[0]
    submission = world.psa.submit_timesheet("default", world.user, [entry])
    world.psa.resolve_timesheet("default", submission, approve=False, comment="wrong project")
    assert world.entry(entry)["status"] == "ACTIVE"
    assert world.edit(entry, notes="moved").status_code == 200
    assert world.sink == []


def test_submitting_a_non_active_entry_is_refused() -> None:
    """Submitting an already LOCKED entry raises and creates no submission."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    with pytest.raises(ValueError, match="not ACTIVE"):
        world.psa.submit_timesheet("default", world.user, world.entries[:2])
    assert world.http.get(f"{PSA}/timesheet_submissions").json()["count"] == 1
    assert world.entry(world.entries[1])["status"] == "ACTIVE"


def test_only_accepted_milestones_are_invoiced_once() -> None:
    """A planned milestone is not invoiceable; an accepted one is, exactly once."""
    world = PsaWorld()
    body = {
        "billing_milestone": {
            "workspace_id": world.ws,
            "title": "Go-live",
            "amount_in_cents": 250000,
            "date_to_invoice": "2024-03-31",
        }
    }
    ms = world.http.post(f"{PSA}/billing_milestones", json=body).json()["results"][0]["id"]
    assert _kantata(world.invoice([], [ms]), 422)["errors"] == [
        {"field": "invoice.billing_milestone_ids[0]", "message": "not accepted"}
    ]
    world.psa.complete_milestone("default", ms)
    world.psa.accept_milestone("default", ms)
    assert world.invoice([], [ms]).status_code == 201
    assert _kantata(world.invoice([], [ms]), 422)["errors"][0]["message"] == "already invoiced"


def test_psa_pagination_limits_and_page_count() -> None:
    """per_page is capped at 200 and meta.page_count covers every entry exactly once."""
    world = PsaWorld()
    for day in range(1, 29):
        for _ in range(15):
            world.psa.log_time("default", world.user, world.ws, date(2024, 2, day), 30, "x")
    seen: list[str] = []
    page, count = 1, 1
    while page <= count:
        body = world.http.get(f"{PSA}/time_entries", params={"per_page": 200, "page": page}).json()
        count = body["meta"]["page_count"]
        assert len(body["results"]) <= 200
        seen += [r["id"] for r in body["results"]]
        page += 1
    assert count == 3
    assert len(seen) == len(set(seen)) == 3 + 28 * 15


# -- ERP ------------------------------------------------------------------------------------


def test_an_idempotency_key_is_ignored_as_business_central_ignores_it() -> None:
    """BC has no idempotency mechanism (its v2.0 spec declares no such header): a create sent
    twice with the same ``Idempotency-Key`` makes two invoices, and nothing is replayed."""
    world = ErpWorld()
    body = world.body(("8", "120", "960"))
    first = world.create(body, key="inv-1")
    again = world.create(body, key="inv-1")
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert first.json()["id"] != again.json()["id"]
    assert len(world.http.get(f"{world.co}/salesInvoices").json()["value"]) == 2


def test_documents_are_found_by_their_business_key() -> None:
    """What a careful client does instead: look the document up by its own key, an indexed
    ``$filter`` on ``externalDocumentNumber`` or ``yourReference`` (quotes doubled)."""
    world = ErpWorld()
    keys = {"yourReference": "2026-03 0a1b", "externalDocumentNumber": "PO 'x'"}
    made = world.create({**world.body(("1", "10", "10")), **keys}).json()
    world.create(world.body(("1", "10", "10")))
    invoices = f"{world.co}/salesInvoices"
    for query in ("yourReference eq '2026-03 0a1b'", "externalDocumentNumber eq 'PO ''x'''"):
        found = world.http.get(invoices, params={"$filter": query}).json()["value"]
        assert [i["id"] for i in found] == [made["id"]]
    nothing = world.http.get(invoices, params={"$filter": "yourReference eq 'no'"})
    assert nothing.json() == {"value": []}
    paid = world.pay(world.posted_invoice(), "100", externalDocumentNumber="PAY-1").json()
    payments = f"{world.journal}/customerPayments"
    found = world.http.get(payments, params={"$filter": "externalDocumentNumber eq 'PAY-1'"})
    assert [p["id"] for p in found.json()["value"]] == [paid["id"]]


@pytest.mark.parametrize(
    ("line", "currency", "ok"),
    [
        (("3", "33.335", "100.01"), "EUR", True),  # 100.005 rounded half up
        (("3", "33.335", "100.00"), "EUR", True),  # 100.005 rounded half even / down
        (("3", "33.335", "100.02"), "EUR", False),  # off by more than a cent
        (("3", "33.335", "100.005"), "EUR", False),  # more decimals than EUR has
        (("1.5", "1001", "1502"), "JPY", True),  # 1501.5 to whole yen
        (("1.5", "1001", "1501.5"), "JPY", False),  # yen have no decimals
        (("2", "0.125", "0.250"), "BHD", True),  # three-decimal dinar
    ],
)
def test_line_amount_must_be_quantity_times_price_rounded(
    line: tuple[str, str, str], currency: str, ok: bool
) -> None:
    """amountExcludingTax must equal quantity x unitPrice to the currency's minor unit."""
    world = ErpWorld()
    body = world.body(line, currency=currency)
    response = world.create(body)
    if ok:
        assert response.status_code == 201
        assert response.json()["totalAmountExcludingTax"] == float(line[2])
    else:
        _bc(response, "salesInvoiceLines[0].amountExcludingTax")


def test_unknown_currency_and_foreign_customer_are_422() -> None:
    """An unset currency and another company's customer are refused by field."""
    world = ErpWorld()
    _bc(world.create(world.body(("1", "1", "1"), currency="XAU")), "currencyCode")
    uk = world.erp.add_company("default", "ACME-UK", "GB", "GBP")
    customer = {"displayName": "UK client", "country": "GB", "currencyCode": "GBP"}
    foreign = world.http.post(f"/api/v2.0/companies({uk})/customers", json=customer).json()["id"]
    _bc(world.create({**world.body(("1", "1", "1")), "customerId": foreign}), "customerId")


def test_next_link_keeps_the_filter() -> None:
    """Following @odata.nextLink pages through the filtered set, not the whole table."""
    world = ErpWorld()
    for n in range(5):
        name = "Target" if n % 2 == 0 else f"Other {n}"
        body = {"displayName": name, "country": "DE", "currencyCode": "EUR"}
        world.http.post(f"{world.co}/customers", json=body)
    query = {"$filter": "displayName eq 'Target'"}
    paged = {"Prefer": "odata.maxpagesize=2"}
    first = world.http.get(f"{world.co}/customers", params=query, headers=paged).json()
    rest = world.http.get(first["@odata.nextLink"], headers=paged).json()
    names = [c["displayName"] for c in first["value"] + rest["value"]]
    assert names == ["Target", "Target", "Target"]


# -- ERP cash and credits -------------------------------------------------------------------


def test_partial_then_full_payment_makes_the_invoice_paid() -> None:
    """A partial payment leaves the invoice Open with less remaining; the rest makes it Paid."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    assert world.pay(invoice, "500.00").status_code == 201
    assert world.read_invoice(invoice)["remainingAmount"] == 1142.40  # nothing until posted
    assert world.post_journal().status_code == 204
    partly = world.read_invoice(invoice)
    assert (partly["status"], partly["paidAmount"], partly["remainingAmount"]) == (
        "Open",
        500,
        642.40,
    )
    world.pay(invoice, "642.40")
    world.post_journal()
    paid = world.read_invoice(invoice)
    assert (paid["status"], paid["paidAmount"], paid["remainingAmount"]) == ("Paid", 1142.40, 0)
    _bc(world.pay(invoice, "0.01"), "appliesToInvoiceId")  # not Open any more
    repost = world.http.post(f"{world.co}/salesInvoices({invoice['id']})/Microsoft.NAV.post")
    assert repost.status_code == 204 and world.read_invoice(invoice)["status"] == "Paid"


def test_overpayment_is_422_naming_amount() -> None:
    """A payment above what the invoice still owes (unposted payments counted) names amount."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    _bc(world.pay(invoice, "1142.41"), "amount")
    assert world.pay(invoice, "1000").status_code == 201
    _bc(world.pay(invoice, "142.41"), "amount")
    _bc(world.pay(invoice, "0.001"), "amount")  # more decimals than EUR has
    assert world.pay(invoice, "142.40").status_code == 201
    assert len(world.erp.payments("default")) == 2


def test_payment_for_another_customers_invoice_is_422() -> None:
    """A payment must name the invoice's own customer, else 422 naming the invoice field."""
    world = ErpWorld()
    other = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    stranger = world.http.post(f"{world.co}/customers", json=other).json()["id"]
    theirs = world.posted_invoice(customer=stranger)
    _bc(world.pay(theirs, "10"), "appliesToInvoiceId")
    by_number = {
        "customerNumber": "C00001",
        "appliesToInvoiceNumber": theirs["number"],
        "amount": 10,
    }
    response = world.http.post(f"{world.journal}/customerPayments", json=by_number)
    _bc(response, "appliesToInvoiceNumber")
    assert world.erp.payments("default") == []


def test_payment_needs_an_open_invoice_of_this_company() -> None:
    """A Draft invoice, or an invoice of another company, takes no payment (422 by field)."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    _bc(world.pay(draft, "10"), "appliesToInvoiceId")
    uk = world.erp.add_company("default", "ACME-UK", "GB", "GBP")
    uk_co = f"/api/v2.0/companies({uk})"
    client = {"displayName": "UK client", "country": "GB", "currencyCode": "GBP"}
    uk_customer = world.http.post(f"{uk_co}/customers", json=client).json()["id"]
    uk_body = {**world.body(("1", "10", "10"), currency="GBP"), "customerId": uk_customer}
    uk_invoice = world.http.post(
        f"{uk_co}/salesInvoices", headers=JSON, content=_json(uk_body)
    ).json()
    world.http.post(f"{uk_co}/salesInvoices({uk_invoice['id']})/Microsoft.NAV.post")
    _bc(world.pay(uk_invoice, "10"), "appliesToInvoiceId")
    _bc(world.pay(draft, "10", customerId=uk_customer), "customerId")
    number = world.pay(
        draft, "10", appliesToInvoiceId=draft["id"], appliesToInvoiceNumber="S-INV999999"
    )
    _bc(number, "appliesToInvoiceNumber")


def test_posted_credit_memo_reduces_remaining() -> None:
    """Posting a credit memo takes its total incl. tax off the invoice; a draft takes nothing."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    world.pay(invoice, "142.40")
    world.post_journal()
    memo = world.credit(invoice, ("1", "120", "120"))
    assert memo["totalAmountIncludingTax"] == 120
    assert world.read_invoice(invoice)["remainingAmount"] == 1000
    assert world.post_credit(memo).status_code == 204
    after = world.read_invoice(invoice)
    assert (after["creditedAmount"], after["paidAmount"], after["remainingAmount"]) == (
        120,
        142.40,
        880,
    )
    assert after["status"] == "Open"
    (stored,) = world.erp.invoices("default")
    assert stored["remainingAmount"] == (
        stored["totalAmountIncludingTax"]
        - sum(m["totalAmountIncludingTax"] for m in world.erp.credit_memos("default"))
        - sum(p["amount"] for p in world.erp.payments("default") if p["status"] == "Posted")
    )
    rest = world.credit(invoice, ("8", "110", "880"))
    world.post_credit(rest)
    assert world.read_invoice(invoice)["status"] == "Paid"
    memo_path = f"{world.co}/salesCreditMemos({rest['id']})"
    assert world.http.get(memo_path).json()["status"] == "Paid"


def test_credit_memo_beyond_remaining_is_422_and_changes_nothing() -> None:
    """A credit memo larger than what the invoice still owes is not posted."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    world.pay(invoice, "1000")
    world.post_journal()
    memo = world.credit(invoice, ("2", "100", "200"))
    _bc(world.post_credit(memo), "totalAmountIncludingTax")
    assert world.http.get(f"{world.co}/salesCreditMemos({memo['id']})").json()["status"] == "Draft"
    assert world.read_invoice(invoice)["remainingAmount"] == 142.40


def test_credit_memo_waits_for_its_invoice_to_be_posted() -> None:
    """A credit memo for a Draft invoice is created but posts only once the invoice is posted."""
    world = ErpWorld()
    draft = world.posted_invoice(post=False)
    memo = world.credit(draft, ("1", "100", "100"))
    _bc(world.post_credit(memo), "invoiceId")
    world.http.post(f"{world.co}/salesInvoices({draft['id']})/Microsoft.NAV.post")
    assert world.post_credit(memo).status_code == 204
    assert world.read_invoice(draft)["remainingAmount"] == 1042.40


def test_credit_memo_must_match_the_invoices_customer_and_currency() -> None:
    """A credit memo names an invoice of its own customer and currency, else 422 by field."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    line = world.body(("1", "10", "10"))["salesInvoiceLines"]
    memo = {
        "customerId": world.customer,
        "invoiceNumber": invoice["number"],
        "creditMemoDate": "2024-04-30",
        "currencyCode": "GBP",
        "salesCreditMemoLines": line,
    }
    memos = f"{world.co}/salesCreditMemos"
    _bc(world.http.post(memos, headers=JSON, content=_json(memo)), "currencyCode")
    other = {"displayName": "Other", "country": "DE", "currencyCode": "EUR"}
    stranger = world.http.post(f"{world.co}/customers", json=other).json()["id"]
    theirs = {**memo, "currencyCode": "EUR", "customerId": stranger}
    _bc(world.http.post(memos, headers=JSON, content=_json(theirs)), "invoiceNumber")
    made = world.http.post(memos, headers=JSON, content=_json({**memo, "currencyCode": "EUR"}))
    assert made.json()["invoiceId"] == invoice["id"]


def test_a_payment_sent_twice_is_entered_twice() -> None:
    """No replay for payments either: the second POST is a second journal line (BC)."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    first = world.pay(invoice, "100", key="pay-1")
    again = world.pay(invoice, "100", key="pay-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] != again.json()["id"]
    world.post_journal()
    assert world.read_invoice(invoice)["paidAmount"] == 200


def test_journal_post_posts_only_unposted_payments() -> None:
    """Posting a journal applies each unposted payment once; posted ones are not applied again."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    first = world.pay(invoice, "100").json()
    world.post_journal()
    second = world.pay(invoice, "50").json()
    assert world.post_journal().status_code == 204
    assert world.post_journal().status_code == 204  # nothing left to post
    assert world.read_invoice(invoice)["paidAmount"] == 150
    listed = world.http.get(f"{world.journal}/customerPayments").json()["value"]
    assert [(p["id"], p["status"], p["lineNumber"]) for p in listed] == [
        (first["id"], "Posted", 10000),
        (second["id"], "Posted", 20000),
    ]
    assert listed[0]["postedAt"] == first["lastModifiedDateTime"]


def test_journal_post_is_all_or_nothing() -> None:
    """If one payment no longer fits its invoice, the journal post is a 422 and posts none."""
    world = ErpWorld()
    small, large = world.posted_invoice(), world.posted_invoice()
    fits = world.pay(small, "100").json()
    late = world.pay(large, "1100").json()
    world.post_credit(world.credit(large, ("1", "100", "100")))
    _bc(world.post_journal(), f"customerPayments({late['id']}).amount")
    assert [p["status"] for p in world.erp.payments("default")] == ["Draft", "Draft"]
    assert world.read_invoice(small)["paidAmount"] == 0
    drafts = world.http.get(
        f"{world.journal}/customerPayments", params={"$filter": "status eq 'Draft'"}
    )
    assert [p["id"] for p in drafts.json()["value"]] == [fits["id"], late["id"]]


def test_erp_cash_and_credits_of_another_tenant_are_not_found() -> None:
    """Journals, payments and credit memos of one tenant are 404s from another."""
    world = ErpWorld()
    invoice = world.posted_invoice()
    payment = world.pay(invoice, "10").json()
    memo = world.credit(invoice, ("1", "10", "10"))
    other = Contract("erp").client(world.erp.app, tenant="globex")
    bc_error(other.get(f"{world.co}/customerPaymentJournals"), 404, "Internal_RecordNotFound")
    bc_error(
        other.get(f"{world.journal}/customerPayments({payment['id']})"),
        404,
        "Internal_RecordNotFound",
    )
    bc_error(other.post(f"{world.journal}/Microsoft.NAV.post"), 404, "Internal_RecordNotFound")
    bc_error(
        other.get(f"{world.co}/salesCreditMemos({memo['id']})"), 404, "Internal_RecordNotFound"
    )
    bc_error(
        other.post(f"{world.co}/salesCreditMemos({memo['id']})/Microsoft.NAV.post"),
        404,
        "Internal_RecordNotFound",
    )
    globex = world.erp.add_company("globex", "G", "DE", "EUR")
    globex_co = f"/api/v2.0/companies({globex})"
    journal = other.get(f"{globex_co}/customerPaymentJournals").json()["value"][0]["id"]
    journal_path = f"{globex_co}/customerPaymentJournals({journal})"
    bc_error(
        other.get(f"{journal_path}/customerPayments({payment['id']})"),
        404,
        "Internal_RecordNotFound",
    )
    bc_error(
        other.get(f"{globex_co}/salesCreditMemos({memo['id']})"), 404, "Internal_RecordNotFound"
    )
    assert other.get(f"{journal_path}/customerPayments").json()["value"] == []
    assert world.erp.payments("globex") == world.erp.credit_memos("globex") == []


# -- CRM ------------------------------------------------------------------------------------


def test_closed_won_fires_exactly_one_outbound_message() -> None:
    """Moving an Opportunity to Closed Won sends one message; later edits send none."""
    _, sink, http = _crm()
    opp = _opportunity(http, _account(http))
    assert sink == []
    http.patch(f"{CRM}/sobjects/Opportunity/{opp}", json={"StageName": "Closed Won"})
    http.patch(f"{CRM}/sobjects/Opportunity/{opp}", json={"Amount": 90000})
    http.patch(f"{CRM}/sobjects/Opportunity/{opp}", json={"StageName": "Closed Won"})
    assert [(w.vendor, w.tenant, w.event) for w in sink] == [
        ("crm", "default", "opportunity.closed_won")
    ]
    message = sink[0].body
    assert not Contract("crm").errors(
        Contract("crm").webhook_schema("opportunity.closed_won"), _roundtrip(message)
    )
    assert message["Notification"][0]["sObject"]["Id"] == opp
    assert message["Notification"][0]["sObject"]["IsWon"] is True


def test_opportunity_created_closed_won_fires_once() -> None:
    """An Opportunity created already Closed Won fires its message at creation."""
    _, sink, http = _crm()
    _opportunity(http, _account(http), stage="Closed Won")
    assert [w.event for w in sink] == ["opportunity.closed_won"]


def test_query_next_records_url_survives_special_characters() -> None:
    """nextRecordsUrl encodes the SOQL, so a WHERE value with & and + pages correctly."""
    crm, _, http = _crm()
    for n in range(205):
        crm.create("default", "Account", {"Name": f"A{n}", "Industry": "R&D + Test"})
    crm.create("default", "Account", {"Name": "Other", "Industry": "R"})
    q = "SELECT Id FROM Account WHERE Industry = 'R&D + Test'"
    first = http.get(f"{CRM}/query", params={"q": q}).json()
    second = http.get(first["nextRecordsUrl"]).json()
    assert first["totalSize"] == 205
    assert (len(second["records"]), second["done"]) == (5, True)


# -- CLM ------------------------------------------------------------------------------------


def test_clm_execute_fires_workflow_completed() -> None:
    """Executing a workflow completes it into a record and fires workflow_completed once."""
    sink: list[Webhook] = []
    clm = ClmMock(clock, sink.append)
    http = Contract("clm").client(clm.app)
    workflow = _launch(http)
    record = clm.execute("default", workflow, _terms())
    assert [(w.vendor, w.event) for w in sink] == [("clm", "workflow_completed")]
    payload = sink[0].body
    spec = Contract("clm")
    assert not spec.errors(spec.webhook_schema("workflow_completed"), _roundtrip(payload))
    assert "recordId" not in payload["payload"]  # Ironclad sends the workflow id only
    assert payload["payload"]["workflowID"] == workflow
    assert http.get(f"{CLM}/workflows/{workflow}").json()["recordId"] == record["id"]
    with pytest.raises(ValueError, match="completed, not active"):
        clm.execute("default", workflow, _terms())
    assert len(sink) == 1


# -- PSA webhooks ---------------------------------------------------------------------------


def test_psa_fires_approval_and_acceptance_events() -> None:
    """Approving a timesheet and accepting a milestone each fire one event per subject."""
    world = PsaWorld()
    submission = world.approve(world.entries[:2])
    body = {
        "billing_milestone": {
            "workspace_id": world.ws,
            "title": "Design",
            "amount_in_cents": 100,
            "date_to_invoice": "2024-03-31",
        }
    }
    ms = world.http.post(f"{PSA}/billing_milestones", json=body).json()["results"][0]["id"]
    world.psa.complete_milestone("default", ms)
    world.psa.accept_milestone("default", ms)
    assert [(w.event, w.body["subject_id"]) for w in world.sink] == [
        ("timesheet_submission.approved", submission),
        ("billing_milestone.accepted", ms),
    ]
    spec = Contract("psa")
    for webhook in world.sink:
        assert not spec.errors(spec.webhook_schema(webhook.event), _roundtrip(webhook.body))
    with pytest.raises(ValueError, match="accepted, not planned"):
        world.psa.complete_milestone("default", ms)


# -- PSA expenses ----------------------------------------------------------------------------


def test_expense_on_a_pending_report_is_locked_and_cannot_be_submitted_again() -> None:
    """An expense on a pending report is LOCKED, unapproved, and refused on a second report."""
    world = PsaWorld()
    on_report, free = world.spend(), world.spend(4_200, "GBP")
    assert world.expense(on_report)["status"] == "ACTIVE"
    report = world.psa.submit_expense_report("default", world.user, [on_report])
    locked = world.expense(on_report)
    assert (locked["status"], locked["approved"], locked["expense_report_id"]) == (
        "LOCKED",
        False,
        report,
    )
    with pytest.raises(ValueError, match="not ACTIVE"):
        world.psa.submit_expense_report("default", world.user, [free, on_report])
    assert world.http.get(f"{PSA}/expense_reports").json()["count"] == 1
    assert world.expense(free)["status"] == "ACTIVE"
    assert world.expense(on_report)["expense_report_id"] == report


def test_an_expense_listed_twice_on_one_report_is_refused() -> None:
    """A report cannot list the same expense twice (it would be listed, and billed, twice)."""
    world = PsaWorld()
    expense = world.spend()
    with pytest.raises(ValueError, match="same expense twice"):
        world.psa.submit_expense_report("default", world.user, [expense, expense])
    assert world.http.get(f"{PSA}/expense_reports").json()["count"] == 0
    assert world.expense(expense)["status"] == "ACTIVE"


def test_rejected_expense_report_returns_its_expenses_to_active() -> None:
    """A rejected report frees its expenses (ACTIVE, unapproved, on no report) and fires nothing."""
    world = PsaWorld()
    expense = world.spend()
    report = world.psa.submit_expense_report("default", world.user, [expense])
    world.psa.resolve_expense_report("default", report, approve=False)
    freed = world.expense(expense)
    assert (freed["status"], freed["approved"], freed["expense_report_id"]) == (
        "ACTIVE",
        False,
        None,
    )
    read = world.http.get(f"{PSA}/expense_reports/{report}").json()["expense_reports"][report]
    assert read["status"] == "rejected" and read["resolved_at"] is not None
    on_report = world.http.get(f"{PSA}/expenses", params={"expense_report_id": report}).json()
    assert on_report["count"] == 0
    assert world.sink == []
    assert world.psa.submit_expense_report("default", world.user, [expense]) != report


def test_invoicing_an_unapproved_expense_is_422_naming_it() -> None:
    """An expense on a pending report cannot be invoiced: 422 names it and nothing is invoiced."""
    world = PsaWorld()
    world.approve(world.entries[:1])
    pending = world.spend()
    world.psa.submit_expense_report("default", world.user, [pending])
    body = _kantata(world.invoice(world.entries[:1], expenses=[pending]), 422)
    assert body["errors"] == [{"field": "invoice.expense_ids[0]", "message": "not approved"}]
    assert world.expense(pending)["status"] == "LOCKED"
    assert world.entry(world.entries[0])["status"] == "LOCKED"
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 0


def test_invoicing_an_invoiced_expense_again_is_422() -> None:
    """An INVOICED expense cannot go on a second invoice."""
    world = PsaWorld()
    expense = world.spend(18_500, "JPY")
    world.approve_expenses([expense])
    first = world.invoice([], expenses=[expense])
    assert first.status_code == 201
    first_id = first.json()["results"][0]["id"]
    invoiced = world.expense(expense)
    assert (invoiced["status"], invoiced["invoice_id"]) == ("INVOICED", first_id)
    assert _kantata(world.invoice([], expenses=[expense]), 422)["errors"] == [
        {"field": "invoice.expense_ids[0]", "message": f"already invoiced on invoice {first_id}"}
    ]
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 1


def test_listing_an_expense_twice_on_one_invoice_is_422() -> None:
    """The same expense twice on one invoice would bill it twice: refused, nothing invoiced."""
    world = PsaWorld()
    expense = world.spend()
    world.approve_expenses([expense])
    assert _kantata(world.invoice([], expenses=[expense, expense]), 422)["errors"] == [
        {"field": "invoice.expense_ids[1]", "message": "listed twice"}
    ]
    assert world.expense(expense)["status"] == "LOCKED"


def test_approving_an_expense_report_fires_exactly_one_event() -> None:
    """Approving a report fires one expense_report.approved naming it; nothing fires again."""
    world = PsaWorld()
    expenses = [world.spend(), world.spend(4_200, "GBP")]
    report = world.approve_expenses(expenses)
    assert [(w.vendor, w.tenant, w.event, w.body["subject_id"]) for w in world.sink] == [
        ("psa", "default", "expense_report.approved", report)
    ]
    spec = Contract("psa")
    event = _roundtrip(world.sink[0].body)
    assert not spec.errors(spec.webhook_schema("expense_report.approved"), event)
    assert event["subject_type"] == "expense_report"
    assert all(world.expense(e)["approved"] for e in expenses)
    with pytest.raises(ValueError, match="already approved"):
        world.psa.resolve_expense_report("default", report, approve=True)
    world.invoice([], expenses=expenses)
    assert len(world.sink) == 1


def _roundtrip(body: Any) -> Any:
    """The body as a subscriber would decode it from the wire."""
    return simplejson.loads(simplejson.dumps(body, use_decimal=True))


def test_erp_customer_patch_needs_the_current_etag_as_business_central_does() -> None:
    """BC's optimistic concurrency: no If-Match is refused, a stale @odata.etag is a 409
    ``Request_EntityChanged`` that changes nothing, the current one (or *) wins and the record
    gets a new tag."""
    erp = ErpWorld()
    path = f"{erp.co}/customers({erp.customer})"
    first = erp.http.get(path).json()["@odata.etag"]
    assert first.startswith('W/"')
    bc_error(erp.http.patch(path, json={"displayName": "A"}), 400, "BadRequest_InvalidToken")
    updated = erp.http.patch(path, json={"displayName": "A"}, headers={"If-Match": first})
    assert updated.status_code == 200 and updated.json()["@odata.etag"] != first
    stale = erp.http.patch(path, json={"displayName": "B"}, headers={"If-Match": first})
    assert (
        bc_error(stale, 409, "Request_EntityChanged")
        == "Another user has already changed the record."
    )
    assert erp.http.get(path).json()["displayName"] == "A"
    forced = erp.http.patch(path, json={"displayName": "C"}, headers={"If-Match": "*"})
    assert forced.json()["displayName"] == "C"
