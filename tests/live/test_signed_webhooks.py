"""Webhooks to an external integration are signed as the in-process world signs them: the run
hands the integration the Stripe secret and Ironclad's public key in ``POST /_sandbox/vendors``
(``webhooks``), the world's link passes the courier's signature headers on, and the reference
core served by ``q2c design serve`` verifies them: genuine ones accepted, forged ones refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import simplejson

from contracts import VENDORS
from mocks import SIGNING, Webhook, verify_ironclad, verify_stripe
from sim.app.design_serve import DesignServer
from sim.live.clock import WorldLock
from sim.live.external import ExternalCore, Link
from sim.live.runner import webhook_keys
from sim.world.signing import WebhookSigner
from tests.support.loopback import LoopbackServer

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class _StillClock:
    """The live clock's face the link uses: a fixed simulated now."""

    def now(self) -> datetime:
        return NOW

    def begin(self) -> None:
        pass

    def end(self) -> None:
        pass


def _event(kind: str) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": kind, "created": int(NOW.timestamp()),
            "data": {"object": {"id": "cus_1", "object": "customer"}}}  # fmt: skip


def test_the_registration_hands_over_what_verifies_each_vendors_signatures() -> None:
    """Stripe's secret and tolerance, Ironclad's public key; the unsigned vendors say so; and
    the courier's signatures verify with exactly these keys."""
    signer = WebhookSigner(7)
    keys = webhook_keys(signer)
    assert set(keys) == set(SIGNING) and {k: v["signing"] for k, v in keys.items()} == SIGNING
    assert keys["payments"]["secret"].startswith("whsec_")
    assert keys["payments"]["tolerance_s"] == 300
    assert keys["clm"]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert set(keys["crm"]) == {"signing"} and "psa" not in keys  # Kantata sends none
    body = simplejson.dumps(_event("customer.created")).encode()
    hook = Webhook("payments", "t1", "customer.created", _event("customer.created"))
    headers = signer.headers(hook, "", body, NOW, 1, 1)
    stamp = int(NOW.timestamp())
    assert verify_stripe(body, headers["Stripe-Signature"], keys["payments"]["secret"], stamp)
    clm = signer.headers(Webhook("clm", "t1", "workflow_completed", {}), "ev1", body, NOW, 1, 1)
    verify_ironclad(keys["clm"]["public_key"], "ev1", body, clm["X-Ironclad-Webhook-Verification"])


@pytest.fixture
def served_reference() -> Any:
    """The reference core behind ``q2c design serve``'s server, configured as a live run
    configures it (vendors never called here)."""
    signer = WebhookSigner(7)
    server = DesignServer("reference")
    # a clock URL, as a live run gives: now is the simulated time of the Date headers it gets
    document = {"vendors": {v: f"http://127.0.0.1:9/{v}" for v in VENDORS}, "tenant": "t1",
                "clock": "http://127.0.0.1:9/_clock", "webhooks": webhook_keys(signer)}  # fmt: skip
    with LoopbackServer(server) as served:
        answer = httpx.post(served.url("/_sandbox/vendors"), json=document)
        assert answer.status_code == 200, answer.text
        yield signer, served
    server.close()


def test_signed_webhooks_pass_through_the_link_and_forged_ones_are_refused(
    served_reference: Any,
) -> None:
    signer, served = served_reference
    link = Link(served.url(""), WorldLock())
    link.clock = _StillClock()  # type: ignore[assignment]
    core = ExternalCore(link)
    event = _event("customer.created")
    body = simplejson.dumps(event).encode()

    def deliver(vendor: str, headers: dict[str, str]) -> httpx.Response:
        sent = {"content-type": "application/json", **headers}
        request = httpx.Request(
            "POST", f"http://core/webhooks/{vendor}", content=body, headers=sent
        )
        return core.handle(request)

    try:
        hook = Webhook("payments", "t1", event["type"], event)
        genuine = signer.headers(hook, "", body, NOW, 1, 1)
        assert deliver("payments", dict(genuine)).status_code == 202
        forged = WebhookSigner(8).headers(hook, "", body, NOW, 1, 1)  # another secret
        refused = deliver("payments", dict(forged))
        assert refused.status_code == 400
        assert "signature" in refused.json()["detail"]
        assert deliver("payments", {}).status_code == 400  # unsigned
        clm = Webhook("clm", "t1", "workflow_completed", event)
        stranger = WebhookSigner(7)
        stranger.ironclad_key = type(signer.ironclad_key).generate()  # another key pair
        assert (
            deliver("clm", dict(stranger.headers(clm, "ev9", body, NOW, 1, 1))).status_code == 400
        )
    finally:
        link.close()
    reasons = [e["reason"] for e in httpx.get(served.url("/exceptions")).json()["exceptions"]]
    assert reasons.count("webhook_unverified") == 2  # one per vendor and body, refreshed
