"""Webhook signatures, checked before anything in a webhook is believed.

A receiver that takes unsigned webhooks at their word lets anyone who finds its URL mark an
invoice paid or start a contract. So the core verifies what the vendors sign, each as its
vendor documents it (the core may not import the mocks; tests check this against the signing
side, ``mocks._signatures``):

- **Stripe** (payments): ``Stripe-Signature: t=<unix s>,v1=<hex>``, HMAC-SHA256 keyed with the
  endpoint secret over ``"<t>.<raw body>"``; any ``v1`` may match; a ``t`` more than 300 s from
  the core's clock (the runtime's: simulated time in the simulator) is refused as a replay.
  Source: https://docs.stripe.com/webhooks#verify-manually (read 2026-12-07).
- **Ironclad** (CLM): RSA-SHA256 (PKCS#1 v1.5) over ``X-Ironclad-Webhook-Event-Id`` + body +
  the nonce of the ``X-Ironclad-Webhook-Verification`` JSON header, checked with the public key
  from ``GET /webhooks/verification-key``. Source:
  https://developer.ironcladapp.com/reference/webhook-verification (read 2026-12-07).
- Salesforce outbound messages and Kantata sign nothing: nothing to check (Salesforce relies on
  its TLS client certificate and the message's OrganizationId).

A vendor is checked when the options give its secret or key (``webhook_secret_payments``,
``webhook_key_clm``; the simulator always does); without them the core cannot verify and
takes the webhook as before (``verifying`` lists the vendors checked).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["STRIPE_TOLERANCE_S", "WebhookVerifier"]

STRIPE_TOLERANCE_S = 300  # Stripe's libraries' default tolerance ("five minutes")


class WebhookVerifier:
    """Checks a webhook's signature headers against the vendor's secret or public key."""

    def __init__(self, options: Mapping[str, str], now: Callable[[], datetime]) -> None:
        self._now = now
        self._stripe_secret = options.get("webhook_secret_payments") or None
        self._ironclad_key: rsa.RSAPublicKey | None = None
        pem = options.get("webhook_key_clm")
        if pem:
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, rsa.RSAPublicKey):
                raise ValueError("option webhook_key_clm: not an RSA public key in PEM")
            self._ironclad_key = key

    @property
    def verifying(self) -> list[str]:
        """The vendors whose webhooks are checked."""
        vendors = []
        if self._ironclad_key is not None:
            vendors.append("clm")
        if self._stripe_secret is not None:
            vendors.append("payments")
        return vendors

    def problem(self, vendor: str, headers: Mapping[str, str], content: bytes) -> str | None:
        """Why the webhook is refused (forged, altered, stale, unsigned), or None: it verifies
        or its vendor signs nothing."""
        if vendor == "payments" and self._stripe_secret is not None:
            return self._stripe(headers.get("stripe-signature"), content, self._stripe_secret)
        if vendor == "clm" and self._ironclad_key is not None:
            return self._ironclad(headers, content, self._ironclad_key)
        return None

    def _stripe(self, header: str | None, content: bytes, secret: str) -> str | None:
        if not header:
            return "no Stripe-Signature header"
        timestamp: int | None = None
        candidates: list[str] = []
        for item in header.split(","):
            key, _, value = item.strip().partition("=")
            if key == "t" and value.isdigit():
                timestamp = int(value)
            elif key == "v1":
                candidates.append(value)
        if timestamp is None or not candidates:
            return "Stripe-Signature has no t= or no v1= element"
        signed = str(timestamp).encode() + b"." + content
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, c) for c in candidates):
            return "no v1 signature matches the payload"
        age = abs(int(self._now().timestamp()) - timestamp)
        if age > STRIPE_TOLERANCE_S:
            return f"signature timestamp {timestamp} is {age} s away (tolerance 300 s)"
        return None

    def _ironclad(
        self, headers: Mapping[str, str], content: bytes, key: rsa.RSAPublicKey
    ) -> str | None:
        event_id = headers.get("x-ironclad-webhook-event-id")
        verification = headers.get("x-ironclad-webhook-verification")
        if not event_id or not verification:
            return "no X-Ironclad-Webhook-Event-Id or X-Ironclad-Webhook-Verification header"
        try:
            fields = json.loads(verification)
            nonce = str(fields["nonce"])
            signature = base64.b64decode(fields["signature"], validate=True)
            scheme = (fields.get("signAlgorithm"), fields.get("encoding"))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            return f"malformed X-Ironclad-Webhook-Verification: {exc}"
        if scheme != ("sha256", "base64"):
            return f"unexpected signAlgorithm/encoding {scheme}"
        message = event_id.encode() + content + nonce.encode()
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return "the Ironclad signature does not verify"
        return None
