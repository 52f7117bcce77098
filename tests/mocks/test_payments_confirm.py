"""Stripe's bank-transfer flow in the payments mock: create, confirm, fund; and the events that
creating objects emits (mocks/_payments_confirm.py). Every answer is checked against
contracts/payments.yaml by the World's client, every webhook against the spec's webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.payments import World, _error, bank_transfer

OPTIONS = "payment_method_options[customer_balance]"


def _post(world: World, path: str, data: dict[str, Any]) -> dict[str, Any]:
    response = world.http.post(path, data=data)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_bank_transfer_waits_for_confirmation_then_for_funds(world: World) -> None:
    """Created with its payment method, the intent is requires_confirmation and takes no money;
    confirmed, it is requires_action with the instructions, then funds make it succeeded."""
    cid = world.customer()["id"]
    data = {"amount": "100000", "currency": "eur", "customer": cid}
    intent = _post(world, "/v1/payment_intents", {**data, **bank_transfer("eur", confirm=False)})
    assert (intent["status"], intent["next_action"]) == ("requires_confirmation", None)
    assert intent["payment_method"].startswith("pm_")
    assert intent["payment_method_options"] == {"customer_balance": {
        "funding_type": "bank_transfer",
        "bank_transfer": {"type": "eu_bank_transfer", "eu_bank_transfer": {"country": "NL"}},
    }}  # fmt: skip
    with pytest.raises(ValueError, match="requires_confirmation"):
        world.mock.fund("default", intent["id"], 100000)
    confirmed = _post(world, f"/v1/payment_intents/{intent['id']}/confirm", {})
    assert confirmed["status"] == "requires_action"
    instructions = confirmed["next_action"]["display_bank_transfer_instructions"]
    assert (instructions["type"], instructions["amount_remaining"]) == ("eu_bank_transfer", 100000)
    assert world.mock.fund("default", intent["id"], 100000)["status"] == "succeeded"
    assert [w.event for w in world.sink] == [
        "customer.created",
        "payment_intent.created",
        "payment_intent.requires_action",
        "payment_intent.succeeded",
    ]
    created = world.sink[1].body["data"]["object"]
    assert created["status"] == "requires_confirmation"  # the object as it was then
    world.webhooks_conform()
    again = world.http.post(f"/v1/payment_intents/{intent['id']}/confirm")
    assert (again.status_code, _error(again)["code"]) == (400, "payment_intent_unexpected_state")


def test_confirm_true_creates_and_confirms_in_one_request(world: World) -> None:
    """Stripe's guide in one call: the key is on both events, gbp needs no country."""
    cid = world.customer()["id"]
    data = {"amount": "5000", "currency": "gbp", "customer": cid, **bank_transfer("gbp")}
    response = world.http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": "k"})
    intent = response.json()
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["display_bank_transfer_instructions"]["type"] == "gb_bank_transfer"
    events = [w for w in world.sink if w.event.startswith("payment_intent.")]
    assert [(w.event, w.body["request"]["idempotency_key"]) for w in events] == [
        ("payment_intent.created", "k"),
        ("payment_intent.requires_action", "k"),
    ]
    replay = world.http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": "k"})
    assert (replay.headers["idempotent-replayed"], replay.json()) == ("true", intent)
    assert len(world.sink) == 3  # a replay emits nothing


def test_an_unconfirmed_intent_without_a_payment_method_cannot_be_confirmed(world: World) -> None:
    """Only the types: requires_payment_method; confirming needs payment_method_data, and the
    bank transfer's options, here or at creation."""
    cid = world.customer()["id"]
    data = {"amount": "5000", "currency": "usd", "customer": cid,
            "payment_method_types[]": "customer_balance"}  # fmt: skip
    intent = _post(world, "/v1/payment_intents", data)
    assert (intent["status"], intent["payment_method"]) == ("requires_payment_method", None)
    url = f"/v1/payment_intents/{intent['id']}/confirm"
    bare = world.http.post(url)
    assert (bare.status_code, _error(bare)["param"]) == (400, "payment_method")
    no_funding = world.http.post(url, data={"payment_method_data[type]": "customer_balance"})
    error = _error(no_funding)
    assert (error["code"], error["param"]) == ("parameter_missing", f"{OPTIONS}[funding_type]")
    assert world.http.get(f"/v1/payment_intents/{intent['id']}").json() == intent  # unchanged
    wanted = ("payment_method_data", "payment_method_options")
    params = {k: v for k, v in bank_transfer("usd").items() if k.startswith(wanted)}
    done = _post(world, url, params)
    assert done["status"] == "requires_action"


@pytest.mark.parametrize(
    ("change", "param", "code"),
    [
        ({f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]": None},
         f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]", "parameter_missing"),
        ({f"{OPTIONS}[bank_transfer][type]": None}, f"{OPTIONS}[bank_transfer][type]",
         "parameter_missing"),
        ({f"{OPTIONS}[bank_transfer][type]": "us_bank_transfer",
          f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]": None},
         f"{OPTIONS}[bank_transfer][type]", None),
        ({f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]": "IT"},
         f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]", None),
        ({f"{OPTIONS}[funding_type]": "wire"}, f"{OPTIONS}[funding_type]", None),
        ({"payment_method_data[type]": "card"}, "payment_method_data[type]", None),
        ({"payment_method_data[type]": None}, "payment_method", "payment_intent_unexpected_state"),
        ({"confirm": "yes"}, "confirm", None),
        ({"payment_method_types[]": "card", "payment_method_data[type]": None},
         f"{OPTIONS}", None),
    ],
)  # fmt: skip
def test_a_confirmation_stripe_refuses_creates_nothing(
    world: World, change: dict[str, str | None], param: str, code: str | None
) -> None:
    """With confirm=true, a missing or wrong bank-transfer parameter refuses the whole request:
    no intent, no event, and the idempotency key stays free."""
    cid = world.customer()["id"]
    data: dict[str, str] = {"amount": "5000", "currency": "eur", "customer": cid,
                            **bank_transfer("eur")}  # fmt: skip
    for name, value in change.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    key = {"Idempotency-Key": "once"}
    refused = world.http.post("/v1/payment_intents", data=data, headers=key)
    error = _error(refused)
    assert (refused.status_code, error["param"], error.get("code")) == (400, param, code)
    assert world.http.get("/v1/payment_intents").json()["data"] == []
    assert [w.event for w in world.sink] == ["customer.created"]
    fixed = world.http.post("/v1/payment_intents", data={"amount": "5000", "currency": "eur",
                            "customer": cid, **bank_transfer("eur")}, headers=key)  # fmt: skip
    assert fixed.status_code == 200, fixed.text


def test_customer_updates_emit_customer_updated_with_previous_attributes(world: World) -> None:
    """A change emits customer.updated with the old values; an update that changes nothing
    emits nothing."""
    customer = world.customer(email="ap@acme.example")
    url = f"/v1/customers/{customer['id']}"
    _post(world, url, {"email": "billing@acme.example", "metadata[erp]": "C-1"})
    _post(world, url, {"email": "billing@acme.example"})
    assert [w.event for w in world.sink] == ["customer.created", "customer.updated"]
    data = world.sink[1].body["data"]
    assert data["previous_attributes"] == {"email": "ap@acme.example", "metadata": {}}
    assert data["object"]["email"] == "billing@acme.example"
    world.webhooks_conform()
