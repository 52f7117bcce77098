"""Money on a payment intent of the payments mock: bank transfers funded in parts, cards paid
whole, failures, disputes and cancels, and the events and webhooks each emits (checked against
the spec's ``webhooks``); the client's inbox of new intents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.payments import NOW, STAMP, World, _error

# -- funding, failure, disputes, cancel ------------------------------------------------------


def test_partial_then_full_funding_emits_the_right_events(world: World) -> None:
    """Bank transfers in parts: partially_funded with amount_received, then succeeded."""
    intent = world.intent(world.customer()["id"])
    part = world.mock.fund("default", intent["id"], 40000)
    assert (part["status"], part["amount_received"]) == ("requires_action", 40000)
    remaining = part["next_action"]["display_bank_transfer_instructions"]["amount_remaining"]
    assert remaining == 60000
    read = world.http.get(f"/v1/payment_intents/{intent['id']}").json()
    assert read == part
    world.clock.now = NOW + timedelta(days=2)
    done = world.mock.fund("default", intent["id"], 60000)
    assert (done["status"], done["amount_received"], done["next_action"]) == (
        "succeeded",
        100000,
        None,
    )
    assert done["latest_charge"].startswith("ch_")
    assert [w.event for w in world.later()] == [
        "payment_intent.partially_funded",
        "payment_intent.succeeded",
    ]
    bodies = [w.body for w in world.later()]
    assert [b["data"]["object"]["amount_received"] for b in bodies] == [40000, 100000]
    assert [b["created"] for b in bodies] == [STAMP, STAMP + 2 * 86400]
    assert bodies[0]["request"] == {"id": None, "idempotency_key": None}
    world.webhooks_conform()
    stored = world.http.get("/v1/events").json()["data"]
    assert stored[:2] == list(reversed(bodies))
    with pytest.raises(ValueError, match="succeeded"):
        world.mock.fund("default", intent["id"], 1)


def test_overfunding_is_refused_and_changes_nothing(world: World) -> None:
    """Paying more than what remains raises ValueError; intent and events stay as they were."""
    intent = world.intent(world.customer()["id"])
    world.mock.fund("default", intent["id"], 99000)
    with pytest.raises(ValueError, match="exceeds"):
        world.mock.fund("default", intent["id"], 1001)
    for bad in (0, -5, True, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            world.mock.fund("default", intent["id"], bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no payment intent"):
        world.mock.fund("other", intent["id"], 1000)
    read = world.http.get(f"/v1/payment_intents/{intent['id']}").json()
    assert (read["status"], read["amount_received"]) == ("requires_action", 99000)
    assert len(world.later()) == 1


def test_card_intent_is_paid_in_full_or_not_at_all(world: World) -> None:
    """A card payment cannot be partial; paying it whole succeeds it."""
    intent = world.intent(None, amount="2500", currency="usd")
    with pytest.raises(ValueError, match="whole amount"):
        world.mock.fund("default", intent["id"], 1000)
    assert world.mock.fund("default", intent["id"], 2500)["status"] == "succeeded"
    assert [w.event for w in world.later()] == ["payment_intent.succeeded"]


def test_failed_payment_returns_to_requires_payment_method(world: World) -> None:
    """fail() records last_payment_error and emits payment_failed; a later payment can succeed."""
    intent = world.intent(None, amount="2500", currency="usd")
    failed = world.mock.fail("default", intent["id"], "card_declined")
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "card_declined"
    assert failed["last_payment_error"]["type"] == "card_error"
    paid = world.mock.fund("default", intent["id"], 2500)
    assert (paid["status"], paid["last_payment_error"]) == ("succeeded", None)
    assert [w.event for w in world.later()] == [
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
    ]
    world.webhooks_conform()
    partly = world.intent(world.customer()["id"])
    world.mock.fund("default", partly["id"], 100)
    with pytest.raises(ValueError, match="partially funded"):
        world.mock.fail("default", partly["id"], "insufficient_funds")


def test_dispute_emits_charge_dispute_created(world: World) -> None:
    """A dispute on a succeeded intent emits charge.dispute.created with the dispute object."""
    intent = world.intent(world.customer()["id"])
    with pytest.raises(ValueError, match="not succeeded"):
        world.mock.dispute("default", intent["id"], 100, "fraudulent")
    paid = world.mock.fund("default", intent["id"], 100000)
    dispute = world.mock.dispute("default", intent["id"], 30000, "product_not_received")
    assert dispute["id"].startswith("dp_")
    assert (dispute["amount"], dispute["charge"], dispute["payment_intent"]) == (
        30000,
        paid["latest_charge"],
        intent["id"],
    )
    assert world.sink[-1].event == "charge.dispute.created"
    assert world.sink[-1].body["data"]["object"] == dispute
    world.webhooks_conform()
    with pytest.raises(ValueError, match="undisputed"):
        world.mock.dispute("default", intent["id"], 70001, "duplicate")
    with pytest.raises(ValueError, match="reason"):
        world.mock.dispute("default", intent["id"], 1, "because")
    listed = world.http.get("/v1/events", params={"type": "charge.dispute.created"}).json()
    assert [e["data"]["object"]["id"] for e in listed["data"]] == [dispute["id"]]


def test_cancel_emits_canceled_and_then_refuses(world: World) -> None:
    """Cancel sets status and reason, emits payment_intent.canceled; a second cancel is a 400."""
    intent = world.intent(world.customer()["id"])
    url = f"/v1/payment_intents/{intent['id']}/cancel"
    key = {"Idempotency-Key": "cancel-1"}
    canceled = world.http.post(url, data={"cancellation_reason": "duplicate"}, headers=key).json()
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "duplicate")
    assert (canceled["canceled_at"], canceled["next_action"]) == (STAMP, None)
    assert [w.event for w in world.later()] == ["payment_intent.canceled"]
    assert world.later()[0].body["request"]["idempotency_key"] == "cancel-1"
    world.webhooks_conform()
    replay = world.http.post(url, data={"cancellation_reason": "duplicate"}, headers=key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert len(world.later()) == 1
    again = world.http.post(url)
    assert again.status_code == 400
    assert _error(again)["code"] == "payment_intent_unexpected_state"
    with pytest.raises(ValueError, match="canceled"):
        world.mock.fund("default", intent["id"], 100)
    paid = world.intent(None, amount="900", currency="eur")
    world.mock.fund("default", paid["id"], 900)
    assert world.http.post(f"/v1/payment_intents/{paid['id']}/cancel").status_code == 400
    unknown = world.http.post("/v1/payment_intents/pi_nope/cancel")
    assert (unknown.status_code, _error(unknown)["param"]) == (404, "intent")


# -- events and the client's inbox -------------------------------------------------------------


def test_events_list_filters_by_type(world: World) -> None:
    """``type`` filters events exactly or by a ``prefix.*`` wildcard; retrieve reads one."""
    intent = world.intent(world.customer()["id"])
    world.mock.fund("default", intent["id"], 500)
    world.mock.fund("default", intent["id"], 99500)
    world.mock.dispute("default", intent["id"], 500, "general")

    def types(**params: str) -> list[str]:
        return [e["type"] for e in world.http.get("/v1/events", params=params).json()["data"]]

    assert types() == [
        "charge.dispute.created",
        "payment_intent.succeeded",
        "payment_intent.partially_funded",
        "payment_intent.requires_action",
        "payment_intent.created",
        "customer.created",
    ]
    assert types(type="payment_intent.succeeded") == ["payment_intent.succeeded"]
    assert types(type="payment_intent.*") == [
        "payment_intent.succeeded",
        "payment_intent.partially_funded",
        "payment_intent.requires_action",
        "payment_intent.created",
    ]
    assert types(type="invoice.paid") == []
    page = world.http.get("/v1/events", params={"type": "payment_intent.*", "limit": "1"}).json()
    assert page["has_more"] is True
    event = world.http.get(f"/v1/events/{page['data'][0]['id']}").json()
    assert event["type"] == "payment_intent.succeeded"
    assert event["api_version"] == "2024-06-20"
    assert [e["type"] for e in world.mock.events("default")] == list(reversed(types()))


def test_the_clients_inbox_hands_out_each_new_intent_once(world: World) -> None:
    """``intents_since`` returns only the intents created after those already read, oldest
    first, as copies: a client reads each request once, whatever the history."""
    first, second = world.intent(), world.intent()
    inbox = world.mock.intents_since("default", 0)
    assert [i["id"] for i in inbox] == [first["id"], second["id"]]
    assert world.mock.intents_since("default", 2) == []
    inbox[0]["amount"] = 1  # a copy: the account is unchanged
    assert world.mock.payment_intent("default", first["id"])["amount"] == 100000
    third = world.intent()
    assert [i["id"] for i in world.mock.intents_since("default", 2)] == [third["id"]]
    assert world.mock.intents_since("other", 0) == []


def test_disputes_add_up_per_intent(world: World) -> None:
    """Disputes on one intent add up to at most what it received; another intent's are apart."""
    cid = world.customer()["id"]
    one, two = world.intent(cid), world.intent(cid)
    for intent in (one, two):
        world.mock.fund("default", intent["id"], 100000)
    world.mock.dispute("default", one["id"], 60000, "duplicate")
    world.mock.dispute("default", two["id"], 100000, "duplicate")
    world.mock.dispute("default", one["id"], 40000, "duplicate")
    with pytest.raises(ValueError, match="undisputed"):
        world.mock.dispute("default", one["id"], 1, "duplicate")
