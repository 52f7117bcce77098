"""The payments mock's objects as Stripe makes them: every route is in contracts/payments.yaml,
customers and intents come from form bodies with Stripe's fields, lists page by cursor, and
one tenant never sees another's objects. Every answer is checked against the spec by the
World's client (tests/support/payments.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mocks import PaymentsMock
from tests.support.contracts import Contract
from tests.support.payments import STAMP, Clock, World, _error, bank_transfer

# -- spec <-> routes -----------------------------------------------------------------------


def test_routes_equal_spec_operations() -> None:
    """Every route the mock registers is in the spec, and every spec operation is routed."""
    mock = PaymentsMock(Clock())
    assert set(mock.app.routes()) == Contract("payments").operations()


def test_a_full_session_covers_every_operation(world: World) -> None:
    """One realistic session touches every operation; every answer validates against the spec."""
    http = world.http
    customer = world.customer(email="ap@acme.example")
    cid = customer["id"]
    assert http.get(f"/v1/customers/{cid}").json() == customer
    assert http.post(f"/v1/customers/{cid}", data={"phone": "+49 30 1234"}).status_code == 200
    assert http.get("/v1/customers").json()["data"][0]["id"] == cid
    intent = world.intent(cid, **bank_transfer("eur", confirm=False), confirm="false")
    assert intent["status"] == "requires_confirmation"
    confirmed = http.post(f"/v1/payment_intents/{intent['id']}/confirm")
    assert confirmed.json()["status"] == "requires_action"
    assert http.get(f"/v1/payment_intents/{intent['id']}").json()["id"] == intent["id"]
    assert [i["id"] for i in http.get("/v1/payment_intents").json()["data"]] == [intent["id"]]
    canceled = http.post(f"/v1/payment_intents/{intent['id']}/cancel")
    assert canceled.json()["status"] == "canceled"
    events = http.get("/v1/events").json()["data"]
    assert http.get(f"/v1/events/{events[0]['id']}").json() == events[0]
    assert http.get("/v1/events/evt_nope").status_code == 404
    hook = {"url": "http://127.0.0.1:9/hook", "enabled_events[]": "*"}
    endpoint = http.post("/v1/webhook_endpoints", data=hook).json()
    assert http.get("/v1/webhook_endpoints").json()["data"][0]["id"] == endpoint["id"]
    assert http.get(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 200
    assert http.delete(f"/v1/webhook_endpoints/{endpoint['id']}").json()["deleted"] is True
    assert world.spec.covered() == world.spec.operations(public=False)


# -- objects from form bodies ----------------------------------------------------------------


def test_customer_and_intent_are_created_from_form_bodies(world: World) -> None:
    """Form bodies with bracket notation become Stripe objects with Stripe's fields."""
    customer = world.customer(email="ap@acme.example", **{"metadata[crm_id]": "001A"})
    assert customer["id"].startswith("cus_")
    assert customer["object"] == "customer"
    assert (customer["email"], customer["name"], customer["created"]) == (
        "ap@acme.example",
        "Acme GmbH",
        STAMP,
    )
    assert (customer["metadata"], customer["balance"], customer["livemode"]) == (
        {"crm_id": "001A"},
        0,
        False,
    )
    intent = world.intent(customer["id"], description="INV-7", **{"metadata[invoice]": "INV-7"})
    assert intent["id"].startswith("pi_")
    assert intent["object"] == "payment_intent"
    assert (intent["amount"], intent["amount_received"], intent["currency"]) == (100000, 0, "eur")
    assert (intent["customer"], intent["status"]) == (customer["id"], "requires_action")
    assert intent["payment_method_types"] == ["customer_balance"]
    assert intent["metadata"] == {"invoice": "INV-7"}
    assert intent["created"] == STAMP
    instructions = intent["next_action"]["display_bank_transfer_instructions"]
    assert (instructions["amount_remaining"], instructions["type"]) == (100000, "eu_bank_transfer")
    card = world.intent(None, amount="5000", currency="usd")
    assert (card["status"], card["payment_method_types"], card["next_action"]) == (
        "requires_payment_method",
        ["card"],
        None,
    )


def test_indexed_array_params_are_accepted(world: World) -> None:
    """``payment_method_types[0]=...&payment_method_types[1]=...`` is Stripe's other array form."""
    cid = world.customer()["id"]
    data = {
        "amount": "700",
        "currency": "gbp",
        "customer": cid,
        "payment_method_types[1]": "customer_balance",
        "payment_method_types[0]": "card",
    }
    intent = world.http.post("/v1/payment_intents", data=data).json()
    assert intent["payment_method_types"] == ["card", "customer_balance"]


def test_customer_update_sets_and_unsets(world: World) -> None:
    """An update changes only what it names; empty values unset a field, a key or all metadata."""
    cid = world.customer(email="a@x.example", **{"metadata[a]": "1", "metadata[b]": "2"})["id"]
    updated = world.http.post(
        f"/v1/customers/{cid}", data={"name": "", "metadata[a]": "", "metadata[c]": "3"}
    ).json()
    assert (updated["name"], updated["email"]) == (None, "a@x.example")
    assert updated["metadata"] == {"b": "2", "c": "3"}
    cleared = world.http.post(f"/v1/customers/{cid}", data={"metadata": ""}).json()
    assert cleared["metadata"] == {}


# -- lists -----------------------------------------------------------------------------------


def test_lists_page_newest_first_with_cursors(world: World) -> None:
    """``limit``, ``starting_after`` and ``ending_before`` walk the list as Stripe's do."""
    ids = [world.customer(name=f"Client {n}")["id"] for n in range(25)]
    newest = list(reversed(ids))
    first = world.http.get("/v1/customers", params={"limit": 10}).json()
    assert (first["object"], first["url"], first["has_more"]) == ("list", "/v1/customers", True)
    assert [c["id"] for c in first["data"]] == newest[:10]
    second = world.http.get(
        "/v1/customers", params={"limit": 10, "starting_after": newest[9]}
    ).json()
    assert ([c["id"] for c in second["data"]], second["has_more"]) == (newest[10:20], True)
    third = world.http.get("/v1/customers", params={"starting_after": newest[19]}).json()
    assert ([c["id"] for c in third["data"]], third["has_more"]) == (newest[20:], False)
    back = world.http.get("/v1/customers", params={"limit": 3, "ending_before": newest[10]}).json()
    assert ([c["id"] for c in back["data"]], back["has_more"]) == (newest[7:10], True)
    default = world.http.get("/v1/customers").json()
    assert len(default["data"]) == 10


@pytest.mark.parametrize(
    ("params", "status", "param"),
    [
        ({"limit": "0"}, 400, "limit"),
        ({"limit": "101"}, 400, "limit"),
        ({"limit": "ten"}, 400, "limit"),
        ({"limit": "1" * 5000}, 400, "limit"),
        ({"starting_after": "cus_nope"}, 404, "starting_after"),
        ({"ending_before": "cus_nope"}, 404, "ending_before"),
        ({"starting_after": "a", "ending_before": "b"}, 400, "ending_before"),
        ({"expand[]": "data.customer"}, 400, "expand[]"),
    ],
)
def test_bad_list_params_are_named(
    world: World, params: dict[str, str], status: int, param: str
) -> None:
    """A bad list parameter is refused with a problem naming it."""
    world.customer()
    response = world.http.get("/v1/customers", params=params)
    assert response.status_code == status
    assert _error(response)["param"] == param


def test_intents_list_filters_by_customer(world: World) -> None:
    """``GET /v1/payment_intents?customer=`` lists only that customer's intents."""
    a, b = world.customer()["id"], world.customer()["id"]
    mine = [world.intent(a)["id"], world.intent(a)["id"]]
    world.intent(b)
    listed = world.http.get("/v1/payment_intents", params={"customer": a}).json()
    assert [i["id"] for i in listed["data"]] == list(reversed(mine))
    none = world.http.get("/v1/payment_intents", params={"customer": "cus_nope"}).json()
    assert none["data"] == []


# -- tenants and determinism -------------------------------------------------------------------


def test_tenants_are_isolated(world: World) -> None:
    """Another tenant's customers, intents and events do not exist (404 or empty lists)."""
    customer = world.customer()
    intent = world.intent(customer["id"])
    world.mock.fund("default", intent["id"], 100)
    other = world.spec.client(world.mock.app, tenant="other")
    assert other.get(f"/v1/customers/{customer['id']}").status_code == 404
    assert other.post(f"/v1/customers/{customer['id']}", data={"name": "x"}).status_code == 404
    assert other.get(f"/v1/payment_intents/{intent['id']}").status_code == 404
    assert other.get("/v1/payment_intents").json()["data"] == []
    assert other.get("/v1/events").json()["data"] == []
    event_id = world.http.get("/v1/events").json()["data"][0]["id"]
    assert other.get(f"/v1/events/{event_id}").status_code == 404
    borrowed = other.post(
        "/v1/payment_intents",
        data={"amount": "1000", "currency": "eur", "customer": customer["id"]},
    )
    assert (borrowed.status_code, _error(borrowed)["param"]) == (404, "customer")


def test_ids_and_events_are_deterministic() -> None:
    """Two mocks fed the same calls mint the same ids, timestamps and events."""

    def run() -> list[dict[str, Any]]:
        world = World()
        intent = world.intent(world.customer()["id"])
        world.mock.fund("default", intent["id"], 100)
        return world.mock.events("default") + world.mock.payment_intents("default")

    assert run() == run()
