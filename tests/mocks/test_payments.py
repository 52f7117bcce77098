"""The payments mock behaves as Stripe does and answers as contracts/payments.yaml says.

Every request goes through an httpx client on the mock's in-process transport whose response
hook checks the answer against the spec (declared status, media type and body schema; for an
accepted form body, the request schema too). Webhook bodies are checked against the spec's
``webhooks`` section.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mocks import PaymentsMock, Webhook
from tests.support.contracts import FORM, Contract

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
STAMP = int(NOW.timestamp())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.sink: list[Webhook] = []
        self.mock = PaymentsMock(self.clock, self.sink.append)
        self.spec = Contract("payments")
        self.http = self.spec.client(self.mock.app)

    def customer(self, **params: str) -> dict[str, Any]:
        response = self.http.post("/v1/customers", data={"name": "Acme GmbH", **params})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def intent(self, customer: str | None = None, **params: Any) -> dict[str, Any]:
        """A card intent without a customer; with one, a bank transfer created and confirmed
        as Stripe's guide does it (``BANK`` in the intent's currency)."""
        data: dict[str, Any] = {"amount": "100000", "currency": "eur", **params}
        if customer is not None:
            data.setdefault("customer", customer)
            for name, value in bank_transfer(data["currency"]).items():
                data.setdefault(name, value)
        response = self.http.post("/v1/payment_intents", data=data)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def later(self) -> list[Webhook]:
        """The webhooks after the objects were set up (creation and confirmation events)."""
        return [w for w in self.sink if w.event not in SETUP]

    def webhooks_conform(self) -> None:
        for webhook in self.sink:
            assert (webhook.vendor, webhook.event) == ("payments", webhook.body["type"])
            problems = self.spec.errors(self.spec.webhook_schema(webhook.event), webhook.body)
            assert not problems, f"{webhook.event}: {problems}"


SETUP = ("customer.created", "payment_intent.created", "payment_intent.requires_action")
_OPTIONS = "payment_method_options[customer_balance]"
_TYPES = {"eur": "eu_bank_transfer", "gbp": "gb_bank_transfer", "jpy": "jp_bank_transfer",
          "mxn": "mx_bank_transfer", "usd": "us_bank_transfer"}  # fmt: skip


def bank_transfer(currency: str, confirm: bool = True) -> dict[str, str]:
    """The parameters that make (and confirm) a bank-transfer intent in ``currency``."""
    params = {
        "payment_method_types[]": "customer_balance",
        "payment_method_data[type]": "customer_balance",
        f"{_OPTIONS}[funding_type]": "bank_transfer",
        f"{_OPTIONS}[bank_transfer][type]": _TYPES[currency],
    }
    if currency == "eur":
        params[f"{_OPTIONS}[bank_transfer][eu_bank_transfer][country]"] = "NL"
    if confirm:
        params["confirm"] = "true"
    return params


@pytest.fixture
def world() -> World:
    return World()


def _error(response: httpx.Response) -> dict[str, Any]:
    """Stripe's error object, after checking the body is that object alone, as JSON."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return dict(body["error"])


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


# -- idempotency -----------------------------------------------------------------------------


def test_same_key_and_params_replays_the_first_response(world: World) -> None:
    """A retry with the key replays the stored answer (params in any order) and creates nothing."""
    body = "name=Acme&email=ap%40acme.example"
    headers = {"Idempotency-Key": "k-1", "Content-Type": FORM}
    first = world.http.post("/v1/customers", content=body, headers=headers)
    again = world.http.post(
        "/v1/customers", content="email=ap%40acme.example&name=Acme", headers=headers
    )
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(world.http.get("/v1/customers").json()["data"]) == 1


def test_replay_is_a_snapshot_of_the_first_response(world: World) -> None:
    """A replay returns the object as first answered, not as it is now."""
    cid = world.customer()["id"]
    key = {"Idempotency-Key": "create-pi"}
    data = {"amount": "1000", "currency": "eur", "customer": cid}
    first = world.http.post("/v1/payment_intents", data=data, headers=key).json()
    world.mock.fund("default", first["id"], 1000)
    replay = world.http.post("/v1/payment_intents", data=data, headers=key).json()
    assert (replay["status"], replay["amount_received"]) == ("requires_payment_method", 0)


def test_same_key_with_other_params_is_an_idempotency_error(world: World) -> None:
    """The same key with other params, or on another endpoint, is a 400 ``idempotency_error``."""
    key = {"Idempotency-Key": "k-2"}
    assert world.http.post("/v1/customers", data={"name": "A"}, headers=key).status_code == 200
    clash = world.http.post("/v1/customers", data={"name": "B"}, headers=key)
    assert clash.status_code == 400
    assert _error(clash)["type"] == "idempotency_error"
    assert "same parameters" in _error(clash)["message"]
    elsewhere = world.http.post(
        "/v1/payment_intents", data={"amount": "100", "currency": "eur"}, headers=key
    )
    assert _error(elsewhere)["type"] == "idempotency_error"
    assert len(world.http.get("/v1/customers").json()["data"]) == 1


def test_an_executed_error_is_stored_and_replayed(world: World) -> None:
    """A refusal after execution began (unknown customer) is replayed even once it exists."""
    future = PaymentsMock(Clock()).app
    with httpx.Client(transport=future.transport(), base_url="http://x") as other:
        next_id = other.post("/v1/customers", data={"name": "x"}).json()["id"]
    key = {"Idempotency-Key": "k-3"}
    data = {"amount": "5000", "currency": "eur", "customer": next_id}
    refused = world.http.post("/v1/payment_intents", data=data, headers=key)
    assert (refused.status_code, _error(refused)["code"]) == (404, "resource_missing")
    assert world.customer()["id"] == next_id
    replay = world.http.post("/v1/payment_intents", data=data, headers=key)
    assert (replay.status_code, replay.headers["idempotent-replayed"]) == (404, "true")
    assert replay.json() == refused.json()
    fresh = world.http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": "k-4"})
    assert fresh.status_code == 200


def test_a_validation_error_is_not_stored(world: World) -> None:
    """Params the spec refuses never start executing: nothing is stored, the key stays free."""
    key = {"Idempotency-Key": "k-5"}
    bad = world.http.post(
        "/v1/payment_intents", data={"amount": "ten", "currency": "eur"}, headers=key
    )
    assert bad.status_code == 400
    good = world.http.post(
        "/v1/payment_intents", data={"amount": "1000", "currency": "eur"}, headers=key
    )
    assert good.status_code == 200
    assert "idempotent-replayed" not in good.headers


def test_idempotency_keys_are_per_tenant(world: World) -> None:
    """Another tenant's key of the same name is another key."""
    key = {"Idempotency-Key": "shared"}
    mine = world.http.post("/v1/customers", data={"name": "A"}, headers=key)
    theirs = world.http.post(
        "/v1/customers", data={"name": "B"}, headers={**key, "X-Tenant": "other"}
    )
    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert "idempotent-replayed" not in theirs.headers


def test_idempotency_keys_are_pruned_after_24_hours(world: World) -> None:
    """A key is remembered for 24 hours of the injected clock, then forgotten."""
    key = {"Idempotency-Key": "k-6"}
    world.http.post("/v1/customers", data={"name": "A"}, headers=key)
    world.clock.now = NOW + timedelta(hours=23, minutes=59)
    assert world.http.post("/v1/customers", data={"name": "B"}, headers=key).status_code == 400
    world.clock.now = NOW + timedelta(hours=24)
    again = world.http.post("/v1/customers", data={"name": "B"}, headers=key)
    assert again.status_code == 200
    assert "idempotent-replayed" not in again.headers
    assert again.json()["created"] == STAMP + 24 * 3600


def test_malformed_idempotency_keys_are_refused(world: World) -> None:
    """Keys longer than 255 characters (or empty) are a 400 naming the header."""
    for key in ("k" * 256, ""):
        response = world.http.post("/v1/customers", headers={"Idempotency-Key": key})
        assert response.status_code == 400
        assert "Idempotency keys" in _error(response)["message"]
    assert world.http.post("/v1/customers", headers={"Idempotency-Key": "k" * 255}).is_success


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


# -- tenants and events ----------------------------------------------------------------------


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


# -- bad requests ------------------------------------------------------------------------------

_OK = {"amount": "5000", "currency": "eur"}


@pytest.mark.parametrize(
    ("data", "param", "code", "executed"),
    [
        ({"amount": "5000"}, "currency", "parameter_missing", False),
        ({"currency": "eur"}, "amount", "parameter_missing", False),
        ({**_OK, "amount": "fifty"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "50.5"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": " 5000"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "0"}, "amount", "parameter_invalid_integer", False),
        ({**_OK, "amount": "100000000"}, "amount", "amount_too_large", False),
        ({**_OK, "amount": "49"}, "amount", "amount_too_small", True),
        ({**_OK, "currency": "gbp", "amount": "29"}, "amount", "amount_too_small", True),
        ({**_OK, "currency": "EUR"}, "currency", None, False),
        ({**_OK, "currency": "xts"}, "currency", None, False),
        ({**_OK, "colour": "red"}, "colour", "parameter_unknown", False),
        ({**_OK, "metadata[k][x]": "y"}, "metadata[k]", None, False),
        ({**_OK, "metadata[" + "k" * 41 + "]": "y"}, "metadata[" + "k" * 41 + "]", None, False),
        ({**_OK, "metadata[k]": "v" * 501}, "metadata[k]", None, False),
        ({**_OK, "description": "d" * 1001}, "description", None, False),
        ({**_OK, "description[x]": "d"}, "description", None, False),
        ({**_OK, "payment_method_types[]": "paypal"}, "payment_method_types[0]", None, False),
        ({**_OK, "payment_method_types": "card"}, "payment_method_types", None, False),
        ({**_OK, "payment_method_types[2]": "card"}, "payment_method_types", None, False),
        ({**_OK, "payment_method_types[]": "customer_balance"}, "customer", None, True),
        (
            {**_OK, "currency": "chf", "payment_method_types[]": "customer_balance"},
            "currency",
            None,
            True,
        ),
        ({**_OK, "customer": "cus_nope"}, "customer", "resource_missing", True),
    ],
)
def test_bad_intent_params_are_named(
    world: World, data: dict[str, str], param: str, code: str | None, executed: bool
) -> None:
    """Each bad param is a 400/404 naming it; the spec refuses exactly the unexecuted ones."""
    cid = world.customer()["id"]
    if "customer" not in data and data.get("currency") == "chf":
        data = {**data, "customer": cid}
    response = world.http.post("/v1/payment_intents", data=data)
    assert response.status_code == (404 if code == "resource_missing" else 400)
    error = _error(response)
    assert (error["type"], error["param"], error.get("code")) == (
        "invalid_request_error",
        param,
        code,
    )
    request = httpx.Request("POST", "http://x/v1/payment_intents", data=data)
    media, sent = world.spec.sent(request, "/v1/payment_intents")
    assert world.spec.rejects("POST", "/v1/payment_intents", sent, media) is not executed


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"amount": 5000, "currency": "eur"}', "application/json"),
        (b"amount=5000&currency=eur&amount=6000", FORM),
        (b"amount=5000&currency=eur&amount[x]=1", FORM),
        (b"metadata[a]=1&metadata=", FORM),
        (b"amount=%ff%fe", FORM),
        (b"\xff\xfe=1", FORM),
        (b"items[][price]=1", FORM),
        (b"a]b=1", FORM),
        (b"&".join(b"m%d=1" % n for n in range(1001)), FORM),
        (b"amount=" + b"9" * 5000 + b"&currency=eur", FORM),
        (b"amount=5000&currency=eur&balance=1", FORM),
    ],
)
def test_malformed_bodies_are_400_never_500(
    world: World, content: bytes, content_type: str
) -> None:
    """Undecodable, duplicated, conflicting or JSON bodies are 400s in Stripe's shape."""
    response = world.http.post(
        "/v1/payment_intents", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert _error(response)["type"] == "invalid_request_error"


def test_bad_customer_params_and_unknown_ids_are_named(world: World) -> None:
    """Customer params are checked too, and unknown ids are 404 ``resource_missing``."""
    bad = world.http.post("/v1/customers", data={"balance": "lots"})
    assert (_error(bad)["param"], _error(bad)["code"]) == ("balance", "parameter_invalid_integer")
    long = world.http.post("/v1/customers", data={"phone": "0" * 21})
    assert _error(long)["param"] == "phone"
    metadata = {f"metadata[k{n}]": "v" for n in range(51)}
    assert _error(world.http.post("/v1/customers", data=metadata))["param"] == "metadata"
    missing = world.http.get("/v1/customers/cus_nope")
    assert (missing.status_code, _error(missing)["code"]) == (404, "resource_missing")
    assert _error(missing)["param"] == "customer"
    assert world.http.get("/v1/payment_intents/pi_nope").status_code == 404
    query = world.http.get("/v1/customers/cus_nope", params={"expand[]": "x"})
    assert _error(query)["code"] == "parameter_unknown"


def test_ids_and_events_are_deterministic() -> None:
    """Two mocks fed the same calls mint the same ids, timestamps and events."""

    def run() -> list[dict[str, Any]]:
        world = World()
        intent = world.intent(world.customer()["id"])
        world.mock.fund("default", intent["id"], 100)
        return world.mock.events("default") + world.mock.payment_intents("default")

    assert run() == run()


# -- Stripe's maximum charge and the client's inbox ---------------------------------------------


@pytest.mark.parametrize("amount", ["100000000", str(10**13)])  # 1,000,000.00; INR 10^11
def test_an_amount_above_stripes_maximum_is_stripes_amount_too_large(
    world: World, amount: str
) -> None:
    """Above eight digits of the minor unit Stripe answers its own error object, executes
    nothing (the key stays free for a corrected request) and creates no intent."""
    data = {"amount": amount, "currency": "inr"}
    response = world.http.post("/v1/payment_intents", data=data, headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert _error(response) == {
        "type": "invalid_request_error",
        "code": "amount_too_large",
        "param": "amount",
        "doc_url": "https://stripe.com/docs/error-codes/amount-too-large",
        "message": "The specified amount is greater than the maximum amount allowed. Use a lower "
        "amount and try again (at most 99999999 in the currency's smallest unit).",
    }
    assert world.mock.payment_intents("default") == []
    largest = {"amount": "99999999", "currency": "inr"}
    accepted = world.http.post(
        "/v1/payment_intents", data=largest, headers={"Idempotency-Key": "k"}
    )
    assert accepted.status_code == 200 and accepted.json()["amount"] == 99_999_999


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
