"""The vendors' webhook signatures (``mocks._signatures``) and Stripe's webhook endpoints API."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from contracts.specs import load
from mocks import (
    WEBHOOK_URL,
    IroncladKey,
    PaymentsMock,
    SignatureError,
    ironclad_headers,
    stripe_header,
    url_problem,
    verify_ironclad,
    verify_stripe,
)

SECRET = "whsec_test_secret"
PAYLOAD = b'{"id":"evt_1","type":"payment_intent.succeeded"}'


def test_stripe_header_is_hmac_sha256_over_timestamp_dot_payload() -> None:
    """The documented construction, computed independently."""
    header = stripe_header(SECRET, PAYLOAD, 1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + PAYLOAD, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify_stripe(PAYLOAD, header, SECRET, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize(
    ("payload", "header_of", "secret", "now", "why"),
    [
        (PAYLOAD + b" ", lambda h: h, SECRET, 1_700_000_000, "no v1 signature matches"),
        (PAYLOAD, lambda h: h, "whsec_other", 1_700_000_000, "no v1 signature matches"),
        (PAYLOAD, lambda h: h, SECRET, 1_700_000_301, "tolerance"),
        (PAYLOAD, lambda h: h, SECRET, 1_699_999_699, "tolerance"),
        (PAYLOAD, lambda h: h.replace("v1=", "v0="), SECRET, 1_700_000_000, "no t= or no v1="),
        (PAYLOAD, lambda h: h.replace("t=", "t=x"), SECRET, 1_700_000_000, "not a number"),
    ],
)
def test_verify_stripe_refuses_tampered_foreign_stale_or_malformed(
    payload: bytes, header_of: object, secret: str, now: int, why: str
) -> None:
    header = header_of(stripe_header(SECRET, PAYLOAD, 1_700_000_000))  # type: ignore[operator]
    with pytest.raises(SignatureError, match=why):
        verify_stripe(payload, header, secret, now=now)


def test_verify_stripe_accepts_any_v1_while_a_secret_rolls() -> None:
    old = stripe_header("whsec_old", PAYLOAD, 1_700_000_000).split(",")[1]
    header = stripe_header(SECRET, PAYLOAD, 1_700_000_000) + "," + old
    assert verify_stripe(PAYLOAD, header, "whsec_old", now=1_700_000_000) == 1_700_000_000


def test_ironclad_signs_event_id_body_and_nonce_with_a_fresh_nonce_each_time() -> None:
    key = IroncladKey.generate()
    first = ironclad_headers(key, "webhookEvent1", PAYLOAD)
    second = ironclad_headers(key, "webhookEvent1", PAYLOAD)
    verification = json.loads(first["X-Ironclad-Webhook-Verification"])
    assert set(verification) == {"nonce", "signAlgorithm", "signature", "encoding"}
    assert verification["nonce"] != json.loads(second["X-Ironclad-Webhook-Verification"])["nonce"]
    verify_ironclad(key.public_pem, "webhookEvent1", PAYLOAD, first[
        "X-Ironclad-Webhook-Verification"])  # fmt: skip
    with pytest.raises(SignatureError, match="does not verify"):
        verify_ironclad(key.public_pem, "webhookEvent2", PAYLOAD,
                        first["X-Ironclad-Webhook-Verification"])  # fmt: skip
    with pytest.raises(SignatureError, match="does not verify"):
        verify_ironclad(IroncladKey.generate().public_pem, "webhookEvent1", PAYLOAD,
                        first["X-Ironclad-Webhook-Verification"])  # fmt: skip
    with pytest.raises(SignatureError, match="malformed"):
        verify_ironclad(key.public_pem, "webhookEvent1", PAYLOAD, "{}")


# -- Stripe's webhook endpoints API -----------------------------------------------------------


def _stripe() -> tuple[PaymentsMock, httpx.Client]:
    mock = PaymentsMock(lambda: datetime(2026, 1, 1, tzinfo=UTC))
    return mock, httpx.Client(transport=mock.app.transport(), base_url="http://payments")


def test_the_secret_is_shown_at_creation_only_and_replayed_with_the_same_key() -> None:
    mock, http = _stripe()
    form = {"url": "http://127.0.0.1:9/hook", "enabled_events[]": "payment_intent.succeeded"}
    created = http.post("/v1/webhook_endpoints", data=form, headers={"idempotency-key": "k"})
    assert created.status_code == 200
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["object"] == "webhook_endpoint"
    again = http.post("/v1/webhook_endpoints", data=form, headers={"idempotency-key": "k"})
    assert again.json() == body and again.headers["idempotent-replayed"] == "true"
    assert "secret" not in http.get(f"/v1/webhook_endpoints/{body['id']}").json()
    (listed,) = http.get("/v1/webhook_endpoints").json()["data"]
    assert "secret" not in listed
    (endpoint,) = mock.webhook_endpoints.matching("default", "payment_intent.succeeded")
    assert endpoint.secret == body["secret"]
    assert mock.webhook_endpoints.matching("default", "payment_intent.payment_failed") == []
    deleted = http.delete(f"/v1/webhook_endpoints/{body['id']}").json()
    assert deleted == {"id": body["id"], "object": "webhook_endpoint", "deleted": True}
    assert http.get(f"/v1/webhook_endpoints/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"enabled_events[]": "*"}, "url"),
        ({"url": "http://h/x"}, "enabled_events"),
        ({"url": "mailto:a@b", "enabled_events[]": "*"}, "url"),
        ({"url": "http://h/x", "enabled_events[]": "invoice.paid"}, "enabled_events[0]"),
        (
            {"url": "http://h/x", "enabled_events[]": "*", "api_version": "2020-08-27"},
            "api_version",
        ),
        ({"url": "http://h/x", "enabled_events[]": "*", "secret": "whsec_mine"}, "secret"),
    ],
)
def test_stripe_refuses_what_it_would_refuse(form: dict[str, str], param: str) -> None:
    _, http = _stripe()
    answer = http.post("/v1/webhook_endpoints", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


def test_the_mock_refuses_exactly_the_urls_its_spec_refuses() -> None:
    """One URL rule, written twice (spec pattern, mock regex): they must stay the same."""
    spec = load("payments")["components"]["schemas"]["WebhookEndpointParams"]
    assert spec["properties"]["url"]["pattern"] == WEBHOOK_URL.pattern
    assert url_problem("http://127.0.0.1:8080/hooks?x=1") is None
    for bad in ("http://0*", "http://a:0", "http://a:65536", "ftp://a", "http://a b", "http://"):
        assert url_problem(bad) is not None, bad
