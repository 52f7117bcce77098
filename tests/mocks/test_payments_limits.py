"""Stripe's published rate limits on the payments mock (contracts/limits.py, from
docs.stripe.com/rate-limits): 100 requests a second in live mode, 25 in test mode, and 25 a
second per endpoint (method and path template) in either; a refusal is Stripe's 429
``rate_limit`` error."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx

from mocks import QUOTA_PRESETS, FaultyVendor, PaymentsMock


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _stripe(preset: str) -> tuple[FaultyVendor, Clock, list[str]]:
    """A payments account behind the preset's quota, with three customers."""
    clock = Clock()
    mock = PaymentsMock(clock)
    ids = []
    for n in range(3):
        request = httpx.Request("POST", "http://stripe/v1/customers", data={"name": f"c{n}"})
        ids.append(mock.app.handle(request).json()["id"])
    layer = FaultyVendor(mock.app, clock, random.Random(1))
    layer.add(QUOTA_PRESETS[preset])
    return layer, clock, ids


def _status(layer: FaultyVendor, method: str, path: str) -> int:
    data = {"name": "x"} if method == "POST" else None
    arrival = layer.arrive(httpx.Request(method, f"http://stripe{path}", data=data))
    layer.depart(arrival)
    assert arrival.response is not None
    return arrival.response.status_code


def test_live_mode_limits_each_endpoint_to_25_a_second_within_100_in_all() -> None:
    """Reads of different customers are one endpoint: the 26th in a second is refused, while
    another endpoint still gets through, up to 100 calls in all."""
    layer, clock, ids = _stripe("stripe_live")
    reads = [_status(layer, "GET", f"/v1/customers/{ids[n % 3]}") for n in range(25)]
    assert reads == [200] * 25
    assert _status(layer, "GET", f"/v1/customers/{ids[0]}") == 429
    assert [_status(layer, "GET", "/v1/customers") for _ in range(25)] == [200] * 25
    assert [_status(layer, "POST", "/v1/customers") for _ in range(25)] == [200] * 25
    assert [_status(layer, "GET", "/v1/payment_intents") for _ in range(24)] == [200] * 24
    assert _status(layer, "GET", "/v1/events") == 200  # the 100th of the second
    assert _status(layer, "GET", "/v1/events") == 429  # the global limit
    clock.now += timedelta(seconds=1)
    assert _status(layer, "GET", f"/v1/customers/{ids[1]}") == 200


def test_test_mode_allows_25_a_second_in_all_and_answers_stripes_429() -> None:
    layer, _, _ = _stripe("stripe_test")
    assert [_status(layer, "GET", "/v1/customers") for _ in range(20)] == [200] * 20
    assert [_status(layer, "POST", "/v1/customers") for _ in range(5)] == [200] * 5
    arrival = layer.arrive(httpx.Request("GET", "http://stripe/v1/events"))
    assert arrival.response is not None and arrival.response.status_code == 429
    assert arrival.response.json()["error"]["code"] == "rate_limit"
