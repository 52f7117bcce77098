"""The ERP mock's conformance sequence (Business Central API v2.0): companies, customers paged
by the server and by ``$top``/``$skip``, invoices, payments, credit memos and exchange rates;
every answer checked against contracts/erp.yaml (see ``test_conform``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mocks import ErpMock
from tests.support.contracts import Contract, bc_error
from tests.support.mock_worlds import JSON, _json, clock


def _line(quantity: str, price: str, amount: str) -> dict[str, Any]:
    return {
        "lineType": "Account",
        "lineObjectNumber": "40100",
        "description": f"[psa:time_entries:1@record-1/v1] Engineer, March 2024 ({amount})",
        "quantity": Decimal(quantity),
        "unitPrice": Decimal(price),
    }


def test_erp_conforms() -> None:
    """ERP: companies, customers paged by the server ($skiptoken) and by $top/$skip,
    invoices, payments and credit memos."""
    erp = ErpMock(clock)
    de = erp.add_company("default", "ACME-DE", "DE", "EUR")
    erp.add_company("default", "ACME-UK", "GB", "GBP")
    spec = Contract("erp")
    co = f"/api/v2.0/companies({de})"
    with spec.client(erp.app) as http:
        assert len(http.get("/api/v2.0/companies").json()["value"]) == 2
        assert http.get(f"/api/v2.0/companies({de})").json()["name"] == "ACME-DE"
        (info,) = http.get(f"{co}/companyInformation").json()["value"]
        assert (info["country"], info["currencyCode"]) == ("DE", "EUR")
        customers = []
        for n in range(3):
            made = http.post(
                f"{co}/customers",
                json={"displayName": f"Client {n}", "country": "DE", "currencyCode": "EUR"},
            )
            assert made.status_code == 201
            customers.append(made.json()["id"])
        paged = {"Prefer": "odata.maxpagesize=2"}  # BC's own page is 20,000 entities
        first = http.get(f"{co}/customers", headers=paged).json()
        assert [c["id"] for c in first["value"]] == customers[:2]
        assert "$skiptoken=" in first["@odata.nextLink"]
        rest = http.get(first["@odata.nextLink"], headers=paged).json()
        assert [c["id"] for c in rest["value"]] == customers[2:]
        assert "@odata.nextLink" not in rest
        top = http.get(f"{co}/customers", params={"$top": 2}).json()  # a limit, not a page
        assert [c["id"] for c in top["value"]] == customers[:2] and "@odata.nextLink" not in top
        skipped = http.get(f"{co}/customers", params={"$skip": 1, "$top": 1}).json()
        assert [c["id"] for c in skipped["value"]] == customers[1:2]
        found = http.get(f"{co}/customers", params={"$filter": "displayName eq 'Client 1'"})
        assert [c["id"] for c in found.json()["value"]] == customers[1:2]
        tag = {"If-Match": first["value"][0]["@odata.etag"]}  # BC requires it on PATCH
        patched = http.patch(
            f"{co}/customers({customers[0]})", json={"email": "ap@client0.de"}, headers=tag
        )
        assert patched.json()["email"] == "ap@client0.de"
        assert http.get(f"{co}/customers({customers[0]})").json()["email"] == "ap@client0.de"

        body = {
            "customerId": customers[0],
            "invoiceDate": "2024-03-31",
            "dueDate": "2024-04-30",
            "currencyCode": "EUR",
            "externalDocumentNumber": "PSA-1",
            "salesInvoiceLines": [
                _line("16", "120.00", "1920.00"),
                _line("2.5", "99.99", "249.98"),
            ],
        }
        headers = {"Content-Type": "application/json"}
        created = http.post(f"{co}/salesInvoices", content=_json(body), headers=headers)
        assert created.status_code == 201
        invoice = created.json()
        assert invoice["totalAmountExcludingTax"] == pytest.approx(2169.98)
        found = http.get(
            f"{co}/salesInvoices", params={"$filter": "externalDocumentNumber eq 'PSA-1'"}
        )
        assert [i["id"] for i in found.json()["value"]] == [invoice["id"]]  # look before write
        path = f"{co}/salesInvoices({invoice['id']})"
        plain = http.get(path).json()
        assert "salesInvoiceLines" not in plain
        expanded = http.get(path, params={"$expand": "salesInvoiceLines"}).json()
        assert len(expanded["salesInvoiceLines"]) == 2
        lines = http.get(f"{path}/salesInvoiceLines").json()["value"]
        assert [line["sequence"] for line in lines] == [10000, 20000]
        listed = http.get(f"{co}/salesInvoices", params={"$expand": "salesInvoiceLines"}).json()
        assert [i["id"] for i in listed["value"]] == [invoice["id"]]
        assert http.post(f"{path}/Microsoft.NAV.post").status_code == 204
        assert http.post(f"{path}/Microsoft.NAV.post").status_code == 204
        assert http.get(path).json()["status"] == "Open"

        journals = http.get(f"{co}/customerPaymentJournals").json()["value"]
        assert [j["code"] for j in journals] == ["CASH"]
        journal = f"{co}/customerPaymentJournals({journals[0]['id']})"
        pays = f"{journal}/customerPayments"
        pay = {
            "customerId": customers[0],
            "appliesToInvoiceId": invoice["id"],
            "amount": Decimal("1000.00"),
            "postingDate": "2024-04-15",
            "externalDocumentNumber": "BANK-4711",
        }
        keyed = {"Content-Type": "application/json"}
        entered = http.post(pays, content=_json(pay), headers=keyed)
        assert entered.status_code == 201
        payment = entered.json()
        assert "status" not in payment  # BC's customerPayment has none
        assert payment["appliesToInvoiceNumber"] == invoice["number"]
        assert http.get(f"{pays}({payment['id']})").json() == payment
        lines = http.get(pays, params={"$filter": f"appliesToInvoiceId eq {invoice['id']}"})
        assert lines.status_code == 200, lines.text
        assert [p["id"] for p in lines.json()["value"]] == [payment["id"]]
        assert http.post(f"{journal}/Microsoft.NAV.post").status_code == 204
        paid = http.get(path).json()
        assert paid["remainingAmount"] == pytest.approx(1169.98)  # 1000 paid
        # posted: the line left the journal (BC deletes it); the invoice says it was applied
        assert http.get(pays).json()["value"] == []
        assert http.get(f"{pays}({payment['id']})").status_code == 404

        memos = f"{co}/salesCreditMemos"
        memo_body = {
            "customerNumber": paid["customerNumber"],
            "invoiceId": invoice["id"],
            "creditMemoDate": "2024-04-20",
            "currencyCode": "EUR",
            "salesCreditMemoLines": [_line("2.5", "99.99", "249.98")],
        }
        memo_key = {"Content-Type": "application/json"}
        made_memo = http.post(memos, content=_json(memo_body), headers=memo_key)
        assert made_memo.status_code == 201
        memo = made_memo.json()
        memo_path = f"{memos}({memo['id']})"
        assert "salesCreditMemoLines" not in http.get(memo_path).json()
        wide = http.get(memo_path, params={"$expand": "salesCreditMemoLines"}).json()
        assert wide["salesCreditMemoLines"] == memo["salesCreditMemoLines"]
        memo_lines = http.get(f"{memo_path}/salesCreditMemoLines").json()["value"]
        assert [line["documentId"] for line in memo_lines] == [memo["id"]]
        listed_memos = http.get(memos, params={"$expand": "salesCreditMemoLines"}).json()
        assert [m["id"] for m in listed_memos["value"]] == [memo["id"]]
        assert http.post(f"{memo_path}/Microsoft.NAV.post").status_code == 204
        assert http.post(f"{memo_path}/Microsoft.NAV.post").status_code == 204
        assert http.get(memo_path).json()["status"] == "Paid"
        assert http.get(path).json()["remainingAmount"] == pytest.approx(920.00)

        late = http.post(pays, headers=JSON, content=_json({**pay, "amount": 900})).json()
        cut = {**memo_body, "salesCreditMemoLines": [_line("1", "100", "100.00")]}
        cut_memo = http.post(memos, headers=JSON, content=_json(cut)).json()["id"]
        assert http.post(f"{memos}({cut_memo})/Microsoft.NAV.post").status_code == 204
        unfit = bc_error(
            http.post(f"{journal}/Microsoft.NAV.post"), 400, "Application_DialogException"
        )
        assert unfit.startswith(f"customerPayments({late['id']}).amount:")
        big = {**memo_body, "salesCreditMemoLines": [_line("10", "100", "1000.00")]}
        big_memo = http.post(memos, headers=JSON, content=_json(big)).json()["id"]
        assert http.post(f"{memos}({big_memo})/Microsoft.NAV.post").status_code == 400
        assert (
            http.post(pays, headers=JSON, content=_json({**pay, "amount": 5000})).status_code == 400
        )
        ghost_invoice = {**pay, "appliesToInvoiceId": "no-such-invoice"}
        assert http.post(pays, headers=JSON, content=_json(ghost_invoice)).status_code == 404
        assert http.post(pays, headers=JSON, content=b"not json").status_code == 400
        nowhere = f"{co}/customerPaymentJournals(nope)"
        assert http.get(f"{nowhere}/customerPayments").status_code == 404
        assert (
            http.post(f"{nowhere}/customerPayments", headers=JSON, content=_json(pay)).status_code
            == 404
        )
        assert http.post(f"{nowhere}/Microsoft.NAV.post").status_code == 404
        assert http.get(f"{pays}(nope)").status_code == 404
        assert http.get(pays, params={"$top": 0}).status_code == 400
        assert http.get(f"{co}/customerPaymentJournals", params={"$skip": -1}).status_code == 400
        assert http.get("/api/v2.0/companies(nope)/customerPaymentJournals").status_code == 404
        assert http.get(memos, params={"$filter": "x"}).status_code == 400
        computed = {**_line("3", "33.335", "100.01"), "amountExcludingTax": 100.01}  # read-only
        odd = {**memo_body, "salesCreditMemoLines": [computed]}
        assert http.post(memos, headers=JSON, content=_json(odd)).status_code == 400
        nobody = {**memo_body, "customerNumber": "C99999"}
        assert http.post(memos, headers=JSON, content=_json(nobody)).status_code == 404
        assert http.post(memos, headers=JSON, content=b"{").status_code == 400
        assert http.get(f"{memos}(nope)").status_code == 404
        assert http.get(f"{memos}(nope)/salesCreditMemoLines").status_code == 404
        assert http.post(f"{memos}(nope)/Microsoft.NAV.post").status_code == 404
        assert http.post(f"{path}/Microsoft.NAV.send").status_code == 204  # a posted invoice
        assert http.post(f"{co}/salesInvoices(nope)/Microsoft.NAV.send").status_code == 404

        rates = f"{co}/currencyExchangeRates"
        rate = http.get(
            rates, params={"$filter": "currencyCode eq 'INR' and startingDate eq 2026-03-04"}
        ).json()["value"][0]
        assert (rate["relationalCurrencyCode"], rate["startingDate"]) == ("EUR", "2026-03-04")
        assert 0 < rate["relationalExchangeRateAmount"] < 1
        assert http.get(rates, params={"$filter": "currencyCode eq 'INR'"}).status_code == 400
        assert (
            http.get(
                rates, params={"$filter": "currencyCode eq 'XXX' and startingDate eq 2026-03-04"}
            ).status_code
            == 400
        )

        assert http.get("/api/v2.0/companies(nope)").status_code == 404
        assert http.get(f"{co}/customers", params={"$top": 0}).status_code == 400
        assert http.get(f"{co}/customers", params={"$filter": "id ne 'x'"}).status_code == 400
        assert http.get(f"{co}/salesInvoices", params={"$skip": -1}).status_code == 400
        assert http.get(f"{co}/customers(nope)").status_code == 404
        bad_country = {"displayName": "x", "country": "Germany", "currencyCode": "EUR"}
        assert http.post(f"{co}/customers", json=bad_country).status_code == 400
        off = {**body, "salesInvoiceLines": [{**_line("1", "1", "1"), "totalTaxAmount": 0.19}]}
        assert http.post(f"{co}/salesInvoices", headers=JSON, content=_json(off)).status_code == 400
        stranger = {**body, "customerId": "no-such-customer"}
        assert (
            http.post(f"{co}/salesInvoices", headers=JSON, content=_json(stranger)).status_code
            == 404
        )
        assert (
            http.post(f"{co}/salesInvoices", headers=JSON, content=b"not json").status_code == 400
        )
        assert http.post(f"{co}/salesInvoices(nope)/Microsoft.NAV.post").status_code == 404
        assert http.get(f"{co}/salesInvoices(nope)/salesInvoiceLines").status_code == 404
    assert spec.covered() == spec.operations(public=False)
