"""The core checks vendor webhook signatures as the vendors sign them (``mocks._signatures``):
a forged, altered, stale or unsigned webhook is refused 400 and left visible in the exception
queue; a genuine one is accepted; vendors that sign nothing are not asked to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache

import httpx
import pytest

from mocks import IroncladKey, ironclad_headers, stripe_header
from orchestrator._signing import WebhookVerifier
from orchestrator.point_to_point import PointToPointCore
from orchestrator.reference import ReferenceCore
from tests.support.runtimes import StillRuntime

SECRET = "whsec_test_0123456789abcdef"
NOW = int(StillRuntime().now().timestamp())
PAYMENT = json.dumps({"id": "evt_1", "type": "payment_intent.succeeded",
                      "data": {"object": {"id": "pi_1"}}}).encode()  # fmt: skip
CONTRACT = json.dumps({"payload": {"event": "workflow_completed", "workflowID": "wf1"}}).encode()


@cache
def _key() -> IroncladKey:
    return IroncladKey.generate()


def _options(key: IroncladKey | None = None) -> dict[str, str]:
    return {"webhook_secret_payments": SECRET, "webhook_key_clm": (key or _key()).public_pem,
            "feed_minutes": "0"}  # fmt: skip


def _verifier() -> WebhookVerifier:
    return WebhookVerifier(_options(), StillRuntime().now)


def _stripe(payload: bytes = PAYMENT, at: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"Stripe-Signature": stripe_header(secret, payload, at)}


def _headers(raw: Mapping[str, str]) -> httpx.Headers:
    return httpx.Headers(dict(raw))


def test_a_genuine_stripe_signature_within_the_tolerance_verifies() -> None:
    v = _verifier()
    assert v.problem("payments", _headers(_stripe()), PAYMENT) is None
    assert v.problem("payments", _headers(_stripe(at=NOW - 300)), PAYMENT) is None
    assert v.verifying == ["clm", "payments"]


@pytest.mark.parametrize(
    ("headers", "content", "why"),
    [
        ({}, PAYMENT, "no Stripe-Signature"),
        (_stripe(secret="whsec_forger"), PAYMENT, "no v1 signature matches"),
        (_stripe(), PAYMENT.replace(b"pi_1", b"pi_2"), "no v1 signature matches"),
        (_stripe(at=NOW - 301), PAYMENT, "tolerance 300 s"),
        (_stripe(at=NOW + 301), PAYMENT, "tolerance 300 s"),
        ({"Stripe-Signature": "t=abc,v1=00"}, PAYMENT, "no t= or no v1="),
    ],
)
def test_a_forged_altered_stale_or_unsigned_stripe_webhook_is_refused(
    headers: dict[str, str], content: bytes, why: str
) -> None:
    problem = _verifier().problem("payments", _headers(headers), content)
    assert problem is not None and why in problem


def test_ironclad_signatures_verify_with_the_public_key_only() -> None:
    v = _verifier()
    genuine = ironclad_headers(_key(), "webhookEvent1", CONTRACT)
    assert v.problem("clm", _headers(genuine), CONTRACT) is None
    altered = CONTRACT.replace(b"wf1", b"wf2")
    assert v.problem("clm", _headers(genuine), altered) == "the Ironclad signature does not verify"
    other = ironclad_headers(IroncladKey.generate(), "webhookEvent1", CONTRACT)
    assert v.problem("clm", _headers(other), CONTRACT) == "the Ironclad signature does not verify"
    replayed_id = {**genuine, "X-Ironclad-Webhook-Event-Id": "webhookEvent2"}
    assert v.problem("clm", _headers(replayed_id), CONTRACT) is not None
    assert "no X-Ironclad" in str(v.problem("clm", _headers({}), CONTRACT))
    bad = {**genuine, "X-Ironclad-Webhook-Verification": "{not json"}
    assert "malformed" in str(v.problem("clm", _headers(bad), CONTRACT))


def test_unsigned_vendors_and_unconfigured_secrets_are_not_checked() -> None:
    v = _verifier()
    assert v.problem("crm", _headers({}), b"{}") is None  # Salesforce signs nothing
    assert v.problem("psa", _headers({}), b"{}") is None  # nor does Kantata
    bare = WebhookVerifier({}, StillRuntime().now)
    assert bare.verifying == []
    assert bare.problem("payments", _headers({}), PAYMENT) is None


def _post(core: ReferenceCore | PointToPointCore, vendor: str, content: bytes,
          headers: Mapping[str, str]) -> httpx.Response:  # fmt: skip
    request = httpx.Request("POST", f"http://core/webhooks/{vendor}", content=content,
                            headers=dict(headers))  # fmt: skip
    answer = core.handle(request)
    assert isinstance(answer, httpx.Response)  # refusals are answered at once
    return answer


@pytest.mark.parametrize("design", [ReferenceCore, PointToPointCore])
def test_a_forged_webhook_is_refused_400_and_stays_visible(
    design: type[ReferenceCore] | type[PointToPointCore],
) -> None:
    runtime = StillRuntime()
    core = design(runtime, "t1", _options())
    forged = _post(core, "payments", PAYMENT, _stripe(secret="whsec_forger"))
    assert forged.status_code == 400
    assert "no v1 signature matches" in forged.json()["detail"]
    forged_clm = ironclad_headers(IroncladKey.generate(), "webhookEventX", CONTRACT)
    assert _post(core, "clm", CONTRACT, forged_clm).status_code == 400
    open_ = [e for e in core.state.exceptions if e["status"] == "open"]
    assert [(e["reason"], e["item"].split(" ")[0]) for e in open_] == [
        ("webhook_unverified", "payments"), ("webhook_unverified", "clm")]  # fmt: skip
    assert runtime.spawned == []  # nothing believed, nothing started
    # the vendor's redelivery of the same forged body refreshes the exception, no new one
    _post(core, "payments", PAYMENT, _stripe(secret="whsec_forger"))
    assert len(list(core.state.exceptions)) == 2


def test_a_genuine_stripe_webhook_is_accepted_by_the_reference() -> None:
    runtime = StillRuntime()
    core = ReferenceCore(runtime, "t1", _options())
    assert _post(core, "payments", PAYMENT, _stripe()).status_code == 202
    assert list(core.state.exceptions) == []
    assert [name for name, _ in runtime.spawned] == ["payment_event payments:evt_1"]
