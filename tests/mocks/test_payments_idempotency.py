"""Stripe's idempotency keys on the payments mock: the first response is stored and replayed
for 24 hours, the same key with other parameters is an ``idempotency_error``, a refusal after
execution began is stored while one before it is not, and keys are per tenant."""

from __future__ import annotations

from datetime import timedelta

import httpx

from mocks import PaymentsMock
from tests.support.contracts import FORM
from tests.support.payments import NOW, STAMP, Clock, World, _error


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
