"""Vendor behaviour the integration relies on: tenants, errors, Business Central's business
keys and line arithmetic, outbound webhooks of the CRM and CLM. (PSA states and events:
test_psa_states.py; ERP cash and credits: test_erp_cash_credits.py.) Every answer is also
checked against its contract."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from mocks import ClmMock, Webhook
from tests.support.contracts import (
    Contract,
    bc_error,
    error_message,
    salesforce_errors,
    salesforce_fields,
)
from tests.support.contracts import fields as _fields
from tests.support.mock_worlds import (
    CLM,
    CRM,
    PSA,
    ErpWorld,
    PsaWorld,
    _account,
    _bc,
    _crm,
    _kantata,
    _launch,
    _opportunity,
    _roundtrip,
    _terms,
    clock,
)
from tests.support.vendor_errors import GARBAGE

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
    assert error_message(other.get(f"{CLM}/workflows/{workflow}"), 404)  # Ironclad's NOT_FOUND
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


# wrong types in the field names of the vendors whose write routes are tried below
_WRONG_TYPES = (
    b'{"workspace": 7, "time_entry": [], "invoice": "x"}',
    b'{"Name": {"nested": true}, "displayName": [], "name": 1e999999}',
    b'{"quantity": "lots", "salesInvoiceLines": [{"quantity": [], "unitPrice": {}}]}',
)


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
        (psa.http, "POST", f"{PSA}/rate_card_sets"),
        (psa.http, "POST", f"{PSA}/rate_cards"),
        (psa.http, "POST", f"{PSA}/rate_card_set_versions"),
        (psa.http, "POST", f"{PSA}/rate_card_roles"),
        (psa.http, "POST", f"{PSA}/billing_milestones"),
        (psa.http, "PUT", f"{PSA}/time_entries/{psa.entries[0]}"),
        (psa.http, "POST", f"{PSA}/invoices"),
        (erp.http, "POST", f"{erp.co}/customers"),
        (erp.http, "PATCH", f"{erp.co}/customers({erp.customer})"),
        (erp.http, "POST", f"{erp.co}/salesInvoices"),
        (erp.http, "POST", f"{erp.journal}/customerPayments"),
        (erp.http, "POST", f"{erp.co}/salesCreditMemos"),
    ]


# Kantata answers a refused field 422 (its own spec: '422': Unprocessable Entity); the others
# (Ironclad included) answer 400
_KEEPS_422 = ("/api/v1",)


def test_garbage_bodies_never_cause_a_server_error() -> None:
    """Every write route answers garbage, deep nesting and wrong types with a 4xx problem."""
    for http, method, path in _write_routes():
        for content in (*GARBAGE, *_WRONG_TYPES):
            response = http.request(method, path, content=content)
            assert 400 <= response.status_code < 500, (method, path, content[:40])
            assert response.status_code != 422 or path.startswith(_KEEPS_422), (method, path)
            assert error_message(response, response.status_code)  # the vendor's own shape


def test_out_of_range_decimals_are_a_400_not_a_crash() -> None:
    """Line figures beyond Decimal's context (1e999999) are refused, naming the line."""
    world = ErpWorld()
    response = world.create(world.body(("1e999999", "1e999999", "1")))
    _bc(response, "salesInvoiceLines[0]")


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
    ``$filter`` on ``externalDocumentNumber`` or ``customerPurchaseOrderReference`` (quotes
    doubled)."""
    world = ErpWorld()
    keys = {"customerPurchaseOrderReference": "2026-03 0a1b", "externalDocumentNumber": "PO 'x'"}
    made = world.create({**world.body(("1", "10", "10")), **keys}).json()
    world.create(world.body(("1", "10", "10")))
    invoices = f"{world.co}/salesInvoices"
    for query in (
        "customerPurchaseOrderReference eq '2026-03 0a1b'",
        "externalDocumentNumber eq 'PO ''x'''",
    ):
        found = world.http.get(invoices, params={"$filter": query}).json()["value"]
        assert [i["id"] for i in found] == [made["id"]]
    nothing = world.http.get(invoices, params={"$filter": "customerPurchaseOrderReference eq 'no'"})
    assert nothing.json() == {"value": []}
    paid = world.pay(world.posted_invoice(), "100", externalDocumentNumber="PAY-1").json()
    payments = f"{world.journal}/customerPayments"
    found = world.http.get(payments, params={"$filter": "externalDocumentNumber eq 'PAY-1'"})
    assert [p["id"] for p in found.json()["value"]] == [paid["id"]]


@pytest.mark.parametrize(
    ("line", "currency"),
    [
        (("3", "33.335", "100.01"), "EUR"),  # 100.005: halves away from zero
        (("3", "-33.335", "-100.01"), "EUR"),  # and below zero too
        (("1.5", "1001", "1502"), "JPY"),  # 1501.5 to whole yen
        (("2", "0.125", "0.250"), "BHD"),  # three-decimal dinar
    ],
)
def test_business_central_computes_the_line_amount(
    line: tuple[str, str, str], currency: str
) -> None:
    """amountExcludingTax is quantity x unitPrice rounded to the currency's precision, by BC;
    the tax (German VAT, by BC's AvaTax connector) comes on top."""
    world = ErpWorld()
    response = world.create(world.body(line, currency=currency))
    assert response.status_code == 201
    assert response.json()["totalAmountExcludingTax"] == float(line[2])
    (made,) = response.json()["salesInvoiceLines"]
    assert made["amountExcludingTax"] == float(line[2])
    assert Decimal(str(made["amountIncludingTax"])) == Decimal(line[2]) + Decimal(
        str(made["totalTaxAmount"])
    )
    assert made["totalTaxAmount"] != 0


@pytest.mark.parametrize(
    "field", ["amountExcludingTax", "amountIncludingTax", "taxPercent", "totalTaxAmount"]
)
def test_a_computed_line_field_sent_is_refused_as_read_only(field: str) -> None:
    """A client that sends what BC computes gets BC's 400 "Control '...' is read-only"."""
    world = ErpWorld()
    body = world.body(("1", "10", "10"))
    body["salesInvoiceLines"][0][field] = 10
    response = world.create(body)
    assert response.status_code == 400
    assert f"Control '{field}' is read-only" in error_message(response, 400)


def test_a_line_must_name_an_account_of_the_chart() -> None:
    """An Account line names a G/L account of the company; invented trace fields are refused."""
    world = ErpWorld()
    body = world.body(("1", "10", "10"))
    body["salesInvoiceLines"][0]["lineObjectNumber"] = "99999"
    _bc(world.create(body), "lineObjectNumber")
    body = world.body(("1", "10", "10"))
    body["salesInvoiceLines"][0]["sourceItemIds"] = ["te-1"]
    _bc(world.create(body), "sourceItemIds")


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
    assert http.get(f"{CLM}/workflows/{workflow}").json()["recordIds"] == [record["id"]]
    with pytest.raises(ValueError, match="completed, not active"):
        clm.execute("default", workflow, _terms())
    assert len(sink) == 1


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
