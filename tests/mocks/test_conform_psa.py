"""The PSA mock's conformance sequence (Kantata OX): workspaces, rate cards, milestones, time,
expenses and invoices, side-loaded and paged, and the change feed (Subscribed Events) approvals
and completed tasks feed, as Kantata pushes no webhooks; every answer
checked against contracts/psa.yaml (see ``test_conform``)."""

from __future__ import annotations

from datetime import date

from tests.support.conform import _psa_world
from tests.support.contracts import Contract


def test_psa_conforms() -> None:
    """PSA: workspaces, rates, milestones, time, expenses and invoices, side-loaded and paged."""
    psa, ids = _psa_world()
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
        types = http.get(f"{api}/subscribed_events/event_types").json()
        assert "story:updated" in types["subscribed_event_types"]
        changes = "timesheet_submission:updated,expense_report:updated,story:updated"
        feed = http.get(
            f"{api}/subscribed_events", params={"event_types": changes, "include": "subject"}
        ).json()
        events = [feed["subscribed_events"][r["id"]] for r in feed["results"]]
        assert [(e["event_type"], str(e["subject_id"])) for e in events] == [
            ("story:updated", story),
            ("timesheet_submission:updated", sub),
            ("expense_report:updated", report),
        ]
        assert [feed[e["subject_ref"]["key"]][str(e["subject_id"])]["status"]
                for e in events] == ["completed", "approved", "approved"]  # fmt: skip
        bad = {"event_types": "invoice:paid"}
        assert http.get(f"{api}/subscribed_events", params=bad).status_code == 400
    assert spec.covered() == spec.operations(public=False)
