"""The mocks answer as their contracts say: every route is specified, every response validates.

Each vendor test drives a realistic sequence (create, read, list across pages, update, bad
requests) through an httpx client whose response hook checks each answer against the spec:
the status must be declared, the media type too, and the body must match the declared schema;
a request the mock accepted must also satisfy the spec's request schema. The sequence must
touch every operation in the spec.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import simplejson

from mocks import ClmMock, CrmMock, ErpMock, ExecutedTerms, PsaMock, Webhook
from tests.support.contracts import CONFORMED, Contract, bc_error, salesforce_errors

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def _mock(vendor: str) -> Any:
    if vendor == "erp":
        return ErpMock(clock)
    return {"crm": CrmMock, "clm": ClmMock, "psa": PsaMock}[vendor](clock, lambda _: None)


@pytest.mark.parametrize("vendor", CONFORMED)
def test_mock_routes_equal_spec_operations(vendor: str) -> None:
    """Every route the mock registers is in the spec, and every spec operation is routed."""
    routes = {(method, pattern) for method, pattern in _mock(vendor).app.routes()}
    assert routes == Contract(vendor).operations()


def test_crm_conforms() -> None:
    """CRM: accounts and opportunities created, read, queried across pages and updated."""
    crm = CrmMock(clock, lambda _: None)
    spec = Contract("crm")
    api = "/services/data/v60.0"
    with spec.client(crm.app) as http:
        account = http.post(f"{api}/sobjects/Account", json={"Name": "Acme", "Industry": "Eng"})
        assert account.status_code == 201
        account_id = account.json()["id"]
        opp = http.post(
            f"{api}/sobjects/Opportunity",
            json={
                "Name": "Acme SOW",
                "AccountId": account_id,
                "StageName": "Prospecting",
                "CloseDate": "2024-03-31",
                "Amount": 125000.50,
                "CurrencyIsoCode": "EUR",
            },
        )
        assert opp.status_code == 201
        opp_id = opp.json()["id"]
        assert http.get(f"{api}/sobjects/Account/{account_id}").json()["Name"] == "Acme"
        patched = http.patch(
            f"{api}/sobjects/Opportunity/{opp_id}",
            json={"StageName": "Closed Won", "Description": None},
        )
        assert patched.status_code == 204
        read = http.get(f"{api}/sobjects/Opportunity/{opp_id}").json()
        assert (read["IsWon"], read["IsClosed"]) == (True, True)
        assert (
            http.patch(f"{api}/sobjects/Account/{account_id}", json={"City": "x"}).status_code
            == 400  # Salesforce's INVALID_FIELD
        )

        for n in range(1, 201):
            crm.create("default", "Account", {"Name": f"Client {n}"})
        first = http.get(f"{api}/query", params={"q": "SELECT Id, Name FROM Account"}).json()
        assert (first["totalSize"], len(first["records"]), first["done"]) == (201, 200, False)
        second = http.get(first["nextRecordsUrl"]).json()
        assert (len(second["records"]), second["done"]) == (1, True)
        assert "nextRecordsUrl" not in second
        won = http.get(
            f"{api}/query",
            params={"q": "SELECT Id, IsWon FROM Opportunity WHERE StageName = 'Closed Won'"},
        ).json()
        assert [r["Id"] for r in won["records"]] == [opp_id]

        assert http.get(f"{api}/query", params={"q": "DELETE FROM Account"}).status_code == 400
        assert http.get(f"{api}/query").status_code == 400
        bad_page = http.get(f"{api}/query", params={"q": "SELECT Id FROM Account", "page": "0"})
        assert bad_page.status_code == 400
        assert http.get(f"{api}/sobjects/Account/001999999999999999").status_code == 404
        orphan = {
            "Name": "x",
            "AccountId": "001000000000000999",
            "StageName": "Prospecting",
            "CloseDate": "2024-01-01",
        }
        refused = http.post(f"{api}/sobjects/Opportunity", json=orphan)  # a lookup, not a path
        assert salesforce_errors(refused, 400, "INVALID_CROSS_REFERENCE_KEY")[0]["fields"] == [
            "AccountId"
        ]
        assert http.post(f"{api}/sobjects/Account", headers=JSON, content=b"{").status_code == 400
        wrong = http.post(f"{api}/sobjects/Account", headers={"content-type": "text/plain"},
                          content=b'{"Name": "x"}')  # fmt: skip
        assert salesforce_errors(wrong, 415, "UNSUPPORTED_MEDIA_TYPE")[0]["fields"] == [
            "content-type"
        ]
        empty = http.post(f"{api}/sobjects/Account", json={"Name": ""})
        assert salesforce_errors(empty, 400, "REQUIRED_FIELD_MISSING")[0]["fields"] == ["Name"]
        day = {"start": "2024-02-29T00:00:00+00:00", "end": "2024-03-01T08:00:00+00:00"}
        for sobject in ("Account", "Opportunity"):  # the replication call (sObject Get Updated)
            assert http.get(f"{api}/sobjects/{sobject}/updated/", params=day).status_code == 200
        assert (
            http.get(f"{api}/sobjects/Account/updated/", params={"start": "x"}).status_code == 400
        )
    assert spec.covered() == spec.operations(public=False)
    # an sObject type the org does not expose is no path of the API at all
    with httpx.Client(transport=crm.app.transport(), base_url="http://x") as raw:
        unknown = raw.post(f"{api}/sobjects/Contact", json={"LastName": "x"})
    assert salesforce_errors(unknown, 404, "NOT_FOUND")


def _terms() -> ExecutedTerms:
    return ExecutedTerms.model_validate(
        {
            "counterpartyCountry": "DE",
            "legalEntity": "ACME-DE",
            "contractCurrency": "EUR",
            "roundingRule": "half_up",
            "sowReference": "SOW-1",
            "versions": [
                {
                    "number": 1,
                    "effectiveDate": "2024-01-01",
                    "rateCard": [{"role": "Engineer", "country": "DE", "hourlyRate": "120.00"}],
                }
            ],
            "milestones": [
                {"id": "M1", "title": "Design", "amount": "5000.00", "dueDate": "2024-04-30"}
            ],
        }
    )


def test_clm_conforms() -> None:
    """CLM: workflows launched and paged, one executed into a record that is read and renamed."""
    clm = ClmMock(clock, lambda _: None)
    spec = Contract("clm")
    api = "/public/api/v1"
    with spec.client(clm.app) as http:
        ids = []
        for n in range(3):
            launched = http.post(
                f"{api}/workflows",
                json={
                    "template": "statementOfWork",
                    "attributes": {
                        "counterpartyName": f"Client {n}",
                        "opportunityId": f"006{n:015d}",
                        "agreementValue": 1000 + n,
                        "currency": "EUR",
                    },
                },
            )
            assert launched.status_code == 201
            ids.append(launched.json()["id"])
        assert http.get(f"{api}/workflows/{ids[0]}").json()["status"] == "active"
        page0 = http.get(f"{api}/workflows", params={"page": 0, "pageSize": 2}).json()
        page1 = http.get(f"{api}/workflows", params={"page": 1, "pageSize": 2}).json()
        assert [w["id"] for w in page0["list"] + page1["list"]] == ids
        assert page0["count"] == 3

        record = clm.execute("default", ids[1], _terms())
        completed = http.get(f"{api}/workflows/{ids[1]}").json()
        assert (completed["status"], completed["recordIds"]) == ("completed", [record["id"]])
        listed = http.get(f"{api}/records").json()
        assert [r["id"] for r in listed["list"]] == [record["id"]]
        assert http.get(f"{api}/records/{record['id']}").json()["versions"][0]["number"] == 1
        renamed = http.patch(f"{api}/records/{record['id']}", json={"name": "SOW 1 (signed)"})
        assert renamed.json()["name"] == "SOW 1 (signed)"

        assert http.patch(f"{api}/records/{record['id']}", json={}).status_code == 400
        assert http.get(f"{api}/records/nope").status_code == 404
        assert http.get(f"{api}/workflows/nope").status_code == 404
        assert http.get(f"{api}/workflows", params={"pageSize": 101}).status_code == 400
        assert http.get(f"{api}/records", params={"page": -1}).status_code == 400
        assert http.post(f"{api}/workflows", json={"template": "nda"}).status_code == 400
        assert http.post(f"{api}/workflows", content=b"").status_code == 400
    assert spec.covered() == spec.operations(public=False)


def _psa_world(events: list[Webhook] | None = None) -> tuple[PsaMock, dict[str, str]]:
    psa = PsaMock(clock, (lambda _: None) if events is None else events.append)
    role = psa.add_role("default", "Engineer")
    user = psa.add_user("default", "Ada Lovelace", "ada@example.com", role, "DE")
    return psa, {"role": role, "user": user}


def test_psa_conforms() -> None:
    """PSA: workspaces, rates, milestones, time, expenses and invoices, side-loaded and paged."""
    events: list[Webhook] = []
    psa, ids = _psa_world(events)
    spec = Contract("psa")
    api = "/api/v1"
    with spec.client(psa.app) as http:
        created = http.post(
            f"{api}/workspaces",
            json={
                "workspace": {
                    "title": "Acme SOW-1",
                    "currency": "EUR",
                    "start_date": "2024-03-01",
                    "external_reference": {
                        "service_name": "q2c",
                        "service_model": "Contract",
                        "service_model_ref": "record-1",
                    },
                    "status": "In Progress",
                }
            },
        )
        assert created.status_code == 201
        ws = created.json()["results"][0]["id"]
        made = created.json()["workspaces"][ws]
        assert made["status"] == {"color": "green", "key": "300", "message": "In Progress"}
        assert psa.reference_of("default", made) == "record-1"
        side = http.get(f"{api}/workspaces/{ws}", params={"include": "external_references"})
        (reference,) = side.json()["external_references"].values()
        assert (reference["subject_type"], reference["service_model_ref"]) == (
            "Workspace",
            "record-1",
        )
        for n in range(4):
            http.post(
                f"{api}/workspaces", json={"workspace": {"title": f"W{n}", "currency": "GBP"}}
            )
        page1 = http.get(f"{api}/workspaces", params={"per_page": 2}).json()
        page3 = http.get(f"{api}/workspaces", params={"per_page": 2, "page": 3}).json()
        assert page1["meta"] == {"count": 5, "page_count": 3, "page_number": 1, "page_size": 2}
        assert (page1["count"], len(page1["results"]), len(page3["results"])) == (5, 2, 1)
        assert http.get(f"{api}/workspaces", params={"per_page": 200}).status_code == 200
        assert http.get(f"{api}/workspaces", params={"per_page": 201}).status_code == 400
        updated = http.put(f"{api}/workspaces/{ws}", json={"workspace": {"due_date": "2024-06-30"}})
        assert updated.json()["workspaces"][ws]["due_date"] == "2024-06-30"
        assert http.get(f"{api}/workspaces/{ws}").json()["workspaces"][ws]["title"] == "Acme SOW-1"

        made_set = http.post(f"{api}/rate_card_sets", json={"rate_card_set": {"title": "SOW-1"}})
        set_id = made_set.json()["results"][0]["id"]
        card = http.post(
            f"{api}/rate_cards", json={"rate_card": {"rate_card_set_id": set_id, "currency": "EUR"}}
        )
        card_id = card.json()["results"][0]["id"]
        assert card.status_code == 201
        same = {"rate_card": {"rate_card_set_id": set_id, "currency": "EUR"}}
        assert http.post(f"{api}/rate_cards", json=same).status_code == 422  # one per currency
        dated = {
            "rate_card_set_version": {"rate_card_set_id": set_id, "effective_date": "2024-01-01"}
        }
        version = http.post(
            f"{api}/rate_card_set_versions", json=dated, params={"include": "rate_card_versions"}
        )
        assert version.status_code == 201
        (card_version,) = version.json()["rate_card_versions"].values()
        assert card_version["rate_card_id"] == card_id
        assert http.post(f"{api}/rate_card_set_versions", json=dated).status_code == 422
        rated = {"rate_card_version_id": card_version["id"], "role_id": ids["role"], "rate": 12000}
        role = http.post(f"{api}/rate_card_roles", json={"rate_card_role": rated})
        assert role.status_code == 201
        assert (
            http.post(f"{api}/rate_card_roles", json={"rate_card_role": rated}).status_code == 422
        )
        usd = http.post(
            f"{api}/rate_cards", json={"rate_card": {**same["rate_card"], "currency": "USD"}}
        )
        usd_id = usd.json()["results"][0]["id"]
        assert usd.status_code == 201  # a card added later gets a version in each set version
        assert len(http.get(f"{api}/rate_cards/{usd_id}").json()["rate_cards"][usd_id]
                   ["rate_card_version_ids"]) == 1  # fmt: skip
        wrong = http.put(f"{api}/workspaces/{ws}", json={"workspace": {"rate_card_id": usd_id}})
        assert wrong.status_code == 422  # the workspace bills in EUR
        pointed = http.put(f"{api}/workspaces/{ws}", json={"workspace": {"rate_card_id": card_id}})
        assert pointed.json()["workspaces"][ws]["rate_card_id"] == int(card_id)
        assert http.get(f"{api}/rate_card_versions/{card_version['id']}").status_code == 200
        listed_rates = http.get(
            f"{api}/rate_card_versions",
            params={"rate_card_id": card_id, "include": "rate_card_roles,rate_card_set_version"},
        ).json()
        assert listed_rates["count"] == 1
        (rate,) = listed_rates["rate_card_roles"].values()
        assert (rate["role_id"], rate["rate"]) == (ids["role"], 12000)
        assert psa.rate_card_versions_for_books("default") == [
            {
                "id": card_version["id"], "workspace_id": ws, "version_number": 1,
                "effective_date": "2024-01-01", "currency": "EUR",
                "rate_card_roles": [{"role_id": ids["role"], "rate": 12000}],
            }
        ]  # fmt: skip

        task = http.post(
            f"{api}/stories",
            json={"story": {"workspace_id": ws, "title": "Design", "story_type": "milestone"}},
        )
        assert task.status_code == 201
        story = task.json()["results"][0]["id"]
        milestone = http.post(
            f"{api}/billing_milestones",
            json={
                "billing_milestone": {
                    "workspace_id": ws,
                    "title": "Design",
                    "amount_in_cents": 500000,
                    "billing_type": "upon_completion",
                    "story_id": story,
                }
            },
        )
        assert milestone.status_code == 201
        ms = milestone.json()["results"][0]["id"]
        psa.complete_story("default", story)  # the PM, in Kantata's UI
        billable = http.get(f"{api}/billing_milestones", params={"only": ms, "include": "story"})
        assert billable.json()["stories"][story]["state"] == "completed"
        assert http.get(f"{api}/stories", params={"workspace_id": ws}).json()["count"] == 1
        assert http.get(f"{api}/stories/{story}").status_code == 200
        assert http.get(f"{api}/billing_milestones/{ms}").json()["billing_milestones"][ms][
            "story_id"
        ]

        entries = [
            psa.log_time("default", ids["user"], ws, date(2024, 3, d), 480, f"day {d}")
            for d in (4, 5, 6)
        ]
        fixed = http.put(f"{api}/time_entries/{entries[0]}", json={"time_entry": {"notes": None}})
        assert fixed.json()["time_entries"][entries[0]]["notes"] is None
        sub = psa.submit_timesheet("default", ids["user"], entries[:2])
        psa.resolve_timesheet("default", sub, approve=True)
        side = http.get(
            f"{api}/time_entries",
            params={"workspace_id": ws, "approved": "true", "include": "user,role,workspace"},
        ).json()
        assert [r["id"] for r in side["results"]] == entries[:2]
        assert list(side["users"]) == [ids["user"]] and list(side["workspaces"]) == [ws]
        in_march = http.get(
            f"{api}/time_entries", params={"date_performed_between": "2024-03-05:2024-03-31"}
        ).json()
        assert in_march["count"] == 2
        assert http.get(f"{api}/time_entries/{entries[2]}").status_code == 200
        submissions = http.get(f"{api}/timesheet_submissions", params={"include": "user"}).json()
        assert submissions["timesheet_submissions"][sub]["status"] == "approved"
        assert http.get(f"{api}/timesheet_submissions/{sub}").status_code == 200
        locked = http.put(
            f"{api}/time_entries/{entries[0]}", json={"time_entry": {"billable": False}}
        )
        assert locked.status_code == 422  # Kantata's validation error (no 409)

        spent = [
            psa.log_expense(
                "default", ids["user"], ws, date(2024, 3, 4), "Travel", 12_550, "EUR", "train",
                receipt=True,
            ),
            psa.log_expense(
                "default", ids["user"], ws, date(2024, 3, 5), "Lodging", 18_500, "JPY", "hotel",
                receipt=False,
            ),
            psa.log_expense(
                "default", ids["user"], ws, date(2024, 3, 6), "Meals", 4_200, "GBP", "dinner",
                receipt=True, billable=False,
            ),
        ]  # fmt: skip
        report = psa.submit_expense_report("default", ids["user"], spent[:2])
        psa.resolve_expense_report("default", report, approve=True)
        on_report = [
            http.get(
                f"{api}/expenses",
                params={
                    "with_expense_report_id": report,
                    "per_page": 1,
                    "page": n,
                    "include": "user",
                },
            ).json()
            for n in (1, 2)
        ]
        assert on_report[0]["meta"] == {
            "count": 2,
            "page_count": 2,
            "page_number": 1,
            "page_size": 1,
        }
        assert [r["id"] for page in on_report for r in page["results"]] == spent[:2]
        assert list(on_report[1]["users"]) == [ids["user"]]
        yen = http.get(f"{api}/expenses/{spent[1]}").json()["expenses"][spent[1]]
        assert (yen["amount_in_cents"], yen["currency"], yen["receipt_id"]) == (18_500, "JPY", None)
        assert (yen["active_submission_id"], yen["is_invoiced"]) == (report, False)
        approved = http.get(f"{api}/expenses", params={"approved": "true"}).json()
        assert [r["id"] for r in approved["results"]] == spent[:2]
        assert http.get(f"{api}/expenses", params={"per_page": 201}).status_code == 400
        reports = http.get(
            f"{api}/expense_reports", params={"status": "approved", "include": "user"}
        ).json()
        assert reports["results"] == [{"key": "expense_reports", "id": report}]
        assert reports["expense_reports"][report]["expense_ids"] == spent[:2]
        read_report = http.get(f"{api}/expense_reports/{report}").json()
        assert read_report["expense_reports"][report]["status"] == "approved"

        invoice = http.post(
            f"{api}/invoices",
            json={
                "invoice": {
                    "workspace_id": ws,
                    "invoice_date": "2024-03-31",
                    "time_entry_ids": entries[:2],
                    "expense_ids": spent[:2],
                    "billing_milestone_ids": [ms],
                }
            },
        )
        assert invoice.status_code == 201
        inv = invoice.json()["results"][0]["id"]
        read_invoice = http.get(f"{api}/invoices/{inv}").json()["invoices"][inv]
        assert (read_invoice["time_entry_ids"], read_invoice["expense_ids"]) == (
            entries[:2],
            spent[:2],
        )
        invoiced = http.get(f"{api}/expenses", params={"invoiced": "true"}).json()
        assert [r["id"] for r in invoiced["results"]] == spent[:2]
        assert all(e["is_invoiced"] for e in invoiced["expenses"].values())
        open_expenses = http.get(f"{api}/expenses", params={"uninvoiced": "true"}).json()
        assert [r["id"] for r in open_expenses["results"]] == [spent[2]]
        of_workspace = http.get(
            f"{api}/invoices", params={"workspace_id": ws, "include": "workspaces"}
        ).json()
        assert of_workspace["count"] == 1 and list(of_workspace["workspaces"]) == [ws]
        assert of_workspace["invoices"][inv]["workspace_ids"] == [ws]
        assert http.get(f"{api}/invoices", params={"workspace_id": "999"}).json()["count"] == 0
        uninvoiced = http.get(f"{api}/time_entries", params={"uninvoiced": "true"}).json()
        assert [r["id"] for r in uninvoiced["results"]] == [entries[2]]
        assert http.get(f"{api}/users", params={"include": "role"}).json()["roles"]
        assert http.get(f"{api}/users/{ids['user']}").status_code == 200
        assert http.get(f"{api}/roles").json()["count"] == 1
        assert http.get(f"{api}/roles/{ids['role']}").status_code == 200

        unapproved = {"invoice": {"workspace_id": ws, "invoice_date": "2024-03-31"}}
        unapproved["invoice"]["time_entry_ids"] = [entries[2]]
        assert http.post(f"{api}/invoices", json=unapproved).status_code == 422
        unapproved["invoice"] = {**unapproved["invoice"], "time_entry_ids": []}
        unapproved["invoice"]["expense_ids"] = [spent[2]]
        assert http.post(f"{api}/invoices", json=unapproved).status_code == 422
        assert http.get(f"{api}/expenses/999").status_code == 404
        assert http.get(f"{api}/expense_reports/999").status_code == 404
        assert http.get(f"{api}/time_entries", params={"include": "client"}).status_code == 400
        assert http.get(f"{api}/time_entries", params={"approved": "maybe"}).status_code == 400
        assert http.get(f"{api}/workspaces/999").status_code == 404
        assert http.post(f"{api}/workspaces", json={"title": "no envelope"}).status_code == 400
        bad_currency = {"workspace": {"title": "x", "currency": "euro"}}
        assert http.post(f"{api}/workspaces", json=bad_currency).status_code == 422
        orphan = {
            "billing_milestone": {
                "workspace_id": "999",
                "title": "x",
                "amount_in_cents": 1,
                "date_to_invoice": "2024-01-01",
            }
        }
        assert http.post(f"{api}/billing_milestones", json=orphan).status_code == 404
    assert spec.covered() == spec.operations(public=False)
    assert [(w.event, w.body["subject_id"]) for w in events] == [
        ("billing_milestone.invoiceable", ms),
        ("timesheet_submission.approved", sub),
        ("expense_report.approved", report),
    ]
    assert {w.event for w in events} == set(spec.spec["webhooks"])
    for webhook in events:
        body = simplejson.loads(simplejson.dumps(webhook.body))
        assert not spec.errors(spec.webhook_schema(webhook.event), body), webhook.event


def _line(quantity: str, price: str, amount: str) -> dict[str, Any]:
    return {
        "lineType": "Account",
        "lineObjectNumber": "40100",
        "description": f"[psa:time_entries:1@record-1/v1] Engineer, March 2024 ({amount})",
        "quantity": Decimal(quantity),
        "unitPrice": Decimal(price),
    }


JSON = {"content-type": "application/json"}


def _json(body: Any) -> bytes:
    return bytes(simplejson.dumps(body, use_decimal=True), "utf-8")


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
        assert payment["status"] == "Draft"
        assert payment["appliesToInvoiceNumber"] == invoice["number"]
        assert http.get(f"{pays}({payment['id']})").json() == payment
        drafts = http.get(pays, params={"$filter": "status eq 'Draft'"}).json()
        assert [p["id"] for p in drafts["value"]] == [payment["id"]]
        assert http.post(f"{journal}/Microsoft.NAV.post").status_code == 204
        paid = http.get(path).json()
        assert paid["remainingAmount"] == pytest.approx(1169.98)  # 1000 paid

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


def _world(vendor: str) -> tuple[Any, dict[str, str]]:
    """A mock with one record of each kind the write routes need, and concrete paths."""
    if vendor == "crm":
        crm = CrmMock(clock, lambda _: None)
        account = crm.create("default", "Account", {"Name": "Acme"})
        api = "/services/data/v60.0/sobjects"
        return crm, {"POST": f"{api}/Account", "PATCH": f"{api}/Account/{account}"}
    if vendor == "clm":
        clm = ClmMock(clock, lambda _: None)
        launch = {
            "template": "statementOfWork",
            "attributes": {"counterpartyName": "Acme", "opportunityId": "006"},
        }
        workflow = clm.app.handle(
            httpx.Request("POST", "http://x/public/api/v1/workflows", json=launch)
        )
        record = clm.execute("default", workflow.json()["id"], _terms())
        return clm, {
            "POST": "/public/api/v1/workflows",
            "PATCH": f"/public/api/v1/records/{record['id']}",
        }
    if vendor == "psa":
        psa, ids = _psa_world()
        ws = psa.app.handle(
            httpx.Request(
                "POST",
                "http://x/api/v1/workspaces",
                json={"workspace": {"title": "W", "currency": "EUR"}},
            )
        ).json()["results"][0]["id"]
        entry = psa.log_time("default", ids["user"], ws, date(2024, 3, 4), 60, "x")
        return psa, {
            "POST": "/api/v1/workspaces",
            "PUT": f"/api/v1/time_entries/{entry}",
            "POST invoices": "/api/v1/invoices",
        }
    erp = ErpMock(clock)
    co = erp.add_company("default", "ACME-DE", "DE", "EUR")
    journals = erp.app.handle(
        httpx.Request("GET", f"http://x/api/v2.0/companies({co})/customerPaymentJournals")
    ).json()["value"]
    return erp, {
        "POST customers": f"/api/v2.0/companies({co})/customers",
        "POST salesInvoices": f"/api/v2.0/companies({co})/salesInvoices",
        "POST customerPayments": (
            f"/api/v2.0/companies({co})/customerPaymentJournals({journals[0]['id']})"
            "/customerPayments"
        ),
        "POST salesCreditMemos": f"/api/v2.0/companies({co})/salesCreditMemos",
    }


_INVOICE_WITHOUT_LINES = {
    "customerId": "c",
    "invoiceDate": "2024-01-01",
    "currencyCode": "EUR",
    "salesInvoiceLines": [],
}
_CREDIT_MEMO_WITHOUT_CUSTOMER = {
    "creditMemoDate": "2024-01-01",
    "currencyCode": "EUR",
    "salesCreditMemoLines": [
        {
            "lineType": "Account",
            "lineObjectNumber": "40100",
            "description": "x",
            "quantity": 1,
            "unitPrice": 1,
        }
    ],
}
_PAYMENTS = (
    "/api/v2.0/companies({company_id})/customerPaymentJournals({journal_id})/customerPayments"
)


_ANSWERS_400 = ("erp", "crm", "clm")


@pytest.mark.parametrize(
    ("vendor", "route", "template", "body"),
    [
        ("crm", "POST", "/services/data/v60.0/sobjects/Account", {"Name": 5}),
        ("crm", "POST", "/services/data/v60.0/sobjects/Account", {"Name": "x", "Foo": 1}),
        ("crm", "PATCH", "/services/data/v60.0/sobjects/Account/{id}", {"Name": None}),
        ("clm", "POST", "/public/api/v1/workflows", {"template": "statementOfWork"}),
        ("clm", "PATCH", "/public/api/v1/records/{id}", {}),
        ("psa", "POST", "/api/v1/workspaces", {"workspace": {"title": "x", "currency": "eur"}}),
        ("psa", "PUT", "/api/v1/time_entries/{id}", {"time_entry": {"time_in_minutes": 1441}}),
        ("psa", "PUT", "/api/v1/time_entries/{id}", {"time_entry": {"billable": None}}),
        (
            "psa",
            "POST invoices",
            "/api/v1/invoices",
            {"invoice": {"workspace_id": "1", "invoice_date": "2024-03-31", "expense_ids": "1"}},
        ),
        (
            "erp",
            "POST customers",
            "/api/v2.0/companies({company_id})/customers",
            {"displayName": "x"},
        ),
        (
            "erp",
            "POST salesInvoices",
            "/api/v2.0/companies({company_id})/salesInvoices",
            _INVOICE_WITHOUT_LINES,
        ),
        (
            "erp",
            "POST customerPayments",
            _PAYMENTS,
            {"customerId": "c", "appliesToInvoiceId": "i", "amount": 0},
        ),
        ("erp", "POST customerPayments", _PAYMENTS, {"customerId": "c", "amount": 1}),
        ("erp", "POST customerPayments", _PAYMENTS, {"appliesToInvoiceNumber": None, "amount": 1}),
        (
            "erp",
            "POST salesCreditMemos",
            "/api/v2.0/companies({company_id})/salesCreditMemos",
            _CREDIT_MEMO_WITHOUT_CUSTOMER,
        ),
    ],
)
def test_spec_and_mock_reject_the_same_bodies(
    vendor: str, route: str, template: str, body: dict[str, Any]
) -> None:
    """A body the spec's request schema refuses is refused by the mock too: with the status
    its vendor answers (Kantata 422; Business Central and Salesforce 400; Ironclad as kept)."""
    spec = Contract(vendor)
    assert spec.rejects(route.split()[0], template, body)
    mock, paths = _world(vendor)
    with spec.client(mock.app) as http:
        status = http.request(route.split()[0], paths[route], json=body).status_code
        assert status == (400 if vendor in _ANSWERS_400 else 422)
