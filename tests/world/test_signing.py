"""The simulated vendors sign their webhooks as the real ones do: Stripe and Ironclad sign each
attempt afresh, with what the world hands the core (its options) the core verifies them;
Salesforce and Kantata sign nothing. All of it derived from the seed: same seed, same bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import simpy

from mocks import Webhook, verify_ironclad, verify_stripe
from orchestrator._signing import WebhookVerifier
from sim.record.trace import Trace
from sim.world.courier import REDELIVERY, Courier
from sim.world.signing import OPTION_CLM_KEY, OPTION_PAYMENTS_SECRET, WebhookSigner

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)


def _run(
    answers: list[int],
) -> tuple[list[tuple[float, str, bytes, dict[str, str]]], WebhookSigner]:
    env = simpy.Environment()

    def now() -> datetime:
        return EPOCH + timedelta(seconds=env.now)

    got: list[tuple[float, str, bytes, dict[str, str]]] = []
    pending = list(answers)

    def core(method: str, path: str, content: bytes, headers: Any) -> httpx.Response:
        got.append((env.now, path, content, dict(headers)))
        return httpx.Response(pending.pop(0) if pending else 202)

    signer = WebhookSigner(7)
    courier = Courier(env, now, core, Trace(now), 7, {}, EPOCH + timedelta(days=9), signer)
    courier(Webhook("payments", "t", "payment_intent.succeeded", {"id": "evt_1"}))
    courier(Webhook("clm", "t", "workflow_completed", {"payload": {"workflowID": "wf1"}}))
    courier(Webhook("crm", "t", "opportunity", {"Notification": []}))
    courier(Webhook("psa", "t", "timesheet_submission.approved", {"id": 1}))
    env.run(until=2 * 24 * 3600)
    return got, signer


def test_each_attempt_is_signed_afresh_and_verifies_with_what_the_core_is_given() -> None:
    got, signer = _run([500, 500, 500, 500])  # every first attempt fails: a retry each
    options = signer.core_options()
    by_path: dict[str, list[tuple[float, bytes, dict[str, str]]]] = {}
    for at, path, content, headers in got:
        by_path.setdefault(path, []).append((at, content, headers))
    stripe = by_path["/webhooks/payments"]
    assert len(stripe) == 2 and stripe[1][0] - stripe[0][0] == REDELIVERY["payments"].first_s
    stamps = []
    for at, content, headers in stripe:
        now = int((EPOCH + timedelta(seconds=at)).timestamp())
        stamps.append(verify_stripe(content, headers["Stripe-Signature"],
                                    options[OPTION_PAYMENTS_SECRET], now))  # fmt: skip
    assert stamps[1] - stamps[0] == REDELIVERY["payments"].first_s  # a fresh t on the retry
    clm = by_path["/webhooks/clm"]
    ids = {headers["X-Ironclad-Webhook-Event-Id"] for _, _, headers in clm}
    nonces = {headers["X-Ironclad-Webhook-Verification"] for _, _, headers in clm}
    assert len(clm) == 2 and len(ids) == 1 and len(nonces) == 2  # one event, fresh nonces
    for _, content, headers in clm:
        verify_ironclad(options[OPTION_CLM_KEY], headers["X-Ironclad-Webhook-Event-Id"],
                        content, headers["X-Ironclad-Webhook-Verification"])  # fmt: skip
    for vendor in ("crm", "psa"):  # Salesforce and Kantata sign nothing
        assert all(h == {} for _, _, h in by_path[f"/webhooks/{vendor}"])


def test_the_core_verifies_the_courier_signatures_in_simulated_time() -> None:
    got, signer = _run([])
    for at, path, content, headers in got:
        vendor = path.removeprefix("/webhooks/")
        clock = EPOCH + timedelta(seconds=at)
        verifier = WebhookVerifier(signer.core_options(), lambda c=clock: c)
        assert verifier.problem(vendor, httpx.Headers(headers), content) is None
        late = WebhookVerifier(signer.core_options(), lambda c=clock: c + timedelta(seconds=301))
        if vendor == "payments":  # a replay 5 min later is stale
            assert "tolerance" in str(late.problem(vendor, httpx.Headers(headers), content))


def test_the_same_seed_signs_the_same_bytes() -> None:
    first, _ = _run([500])
    second, _ = _run([500])
    assert first == second
    assert WebhookSigner(1).stripe_secret != WebhookSigner(2).stripe_secret
