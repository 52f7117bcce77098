"""The simulated vendors sign their webhooks as the real ones do, and hand the core its secrets.

Which vendors sign, and how, is in ``mocks._signatures`` (with sources): Stripe (payments) an
HMAC-SHA256 ``Stripe-Signature`` with the attempt's timestamp, Ironclad (CLM) an RSA signature
over event id + body + nonce. Salesforce outbound messages (CRM) and Kantata (PSA) are not
signed by their vendors, so nothing is signed here either.

Each copy and each attempt is signed afresh at the moment it is sent (simulated time), so a
delivery retried hours later carries a fresh timestamp, as Stripe's do. The core learns the
Stripe endpoint secret and Ironclad's public key through its options, as an administrator
would paste them into the integration's configuration (``core_options``).

Determinism: the Stripe secret, Ironclad's event ids and nonces are derived from the run's
seed. The Ironclad RSA key pair is generated once per process (a library cannot derive an RSA
key from a seed): its signatures differ between processes, but no signature, key or nonce is
ever written to the trace, and a genuine signature verifies under any key, so traces stay
byte-identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import cache

from mocks import IroncladKey, Webhook, ironclad_headers, stripe_header

__all__ = ["OPTION_CLM_KEY", "OPTION_PAYMENTS_SECRET", "WebhookSigner"]

OPTION_PAYMENTS_SECRET = "webhook_secret_payments"  # the Stripe endpoint's whsec_ secret
OPTION_CLM_KEY = "webhook_key_clm"  # Ironclad's webhook verification key (public, PEM)


@cache
def _ironclad_key() -> IroncladKey:
    """One RSA key pair per process: generating one costs ~50 ms, every world would pay it."""
    return IroncladKey.generate()


class WebhookSigner:
    """Signs the courier's deliveries; ``core_options`` is what the core needs to verify."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        digest = self._digest("stripe", "endpoint-secret")
        self.stripe_secret = "whsec_" + digest[:32]
        self.ironclad_key = _ironclad_key()
        self._events = 0

    def _digest(self, *parts: object) -> str:
        text = ":".join(str(p) for p in (self._seed, *parts))
        return hashlib.sha256(text.encode()).hexdigest()

    def core_options(self) -> dict[str, str]:
        return {
            OPTION_PAYMENTS_SECRET: self.stripe_secret,
            OPTION_CLM_KEY: self.ironclad_key.public_pem,
        }

    def event_id(self) -> str:
        """A new ``X-Ironclad-Webhook-Event-Id``: the courier takes one per notification and
        uses it for every copy and attempt (numbered in the order the vendor emits them)."""
        self._events += 1
        return "webhookEvent" + self._digest("ironclad", "event", self._events)[:24]

    def headers(
        self,
        webhook: Webhook,
        event_id: str,
        content: bytes,
        now: datetime,
        attempt: int,
        copy: int,
    ) -> Mapping[str, str]:
        """The signature headers of one delivery attempt (none for the unsigned vendors)."""
        if webhook.vendor == "payments":
            timestamp = int(now.timestamp())
            return {"Stripe-Signature": stripe_header(self.stripe_secret, content, timestamp)}
        if webhook.vendor == "clm":
            nonce = self._digest("ironclad", "nonce", event_id, copy, attempt)[:32]
            return ironclad_headers(self.ironclad_key, event_id, content, nonce)
        return {}
