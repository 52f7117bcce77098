"""How each vendor signs the webhooks it sends, and how a receiver checks them: one place.

``q2c serve`` and the simulation's courier (``sim.world.signing``) sign with these functions; a
receiver can verify with the ``verify_*`` functions (the reference core, which may not import
the mocks, has its own verifier: ``orchestrator._signing``, checked against these in tests).
Each scheme follows the vendor's published algorithm, so an integration that verifies here
verifies against the real vendor:

- **Stripe** (payments): header ``Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``
  over ``"<t>.<raw body>"`` keyed with the endpoint's ``whsec_...`` secret; a fresh ``t`` and
  signature on every delivery attempt; receivers reject a ``t`` more than 300 s from their
  clock (the libraries' default tolerance). Source: https://docs.stripe.com/webhooks#verify-manually
  (read 2026-12-07).
- **Ironclad** (CLM): an RSA signature (RSA-SHA256, PKCS#1 v1.5, base64; the header names the
  algorithm ``sha256`` as Node's ``crypto.verify`` takes it) over the
  concatenation of the ``X-Ironclad-Webhook-Event-Id`` header, the JSON body and a random
  ``nonce``; the headers carry the event id and ``X-Ironclad-Webhook-Verification``, a JSON
  object ``{nonce, signAlgorithm, signature, encoding}``; the receiver checks it with the
  public key in PEM from ``GET /webhooks/verification-key``. There is no shared secret: the
  registrant is shown the public key. Source:
  https://developer.ironcladapp.com/reference/webhook-verification (page updated 2025-09-16,
  read 2026-12-07).
- **Salesforce** (CRM) outbound messages carry **no signature**: Salesforce authenticates them
  by its client certificate over TLS and by the ``OrganizationId`` in the message (Salesforce
  Help, "Outbound Messaging Security", read 2026-12-07). So the sandbox signs nothing.
- **Kantata OX** (PSA) publishes no push-webhook signature (issue 10 notes Kantata offers a
  change feed rather than pushes); the sandbox's PSA notifications are unsigned too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import simplejson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "IRONCLAD_EVENT_ID",
    "IRONCLAD_VERIFICATION",
    "SIGNING",
    "STRIPE_SIGNATURE",
    "STRIPE_TOLERANCE_S",
    "IroncladKey",
    "SignatureError",
    "ironclad_headers",
    "stripe_header",
    "stripe_secret",
    "verify_ironclad",
    "verify_stripe",
]

STRIPE_SIGNATURE = "Stripe-Signature"
STRIPE_TOLERANCE_S = 300  # the Stripe libraries' default tolerance (docs: "five minutes")
IRONCLAD_EVENT_ID = "X-Ironclad-Webhook-Event-Id"
IRONCLAD_VERIFICATION = "X-Ironclad-Webhook-Verification"

# How each webhook vendor signs, in a word (what the registrant is told).
SIGNING = {
    "payments": "stripe-v1 (HMAC-SHA256 over 't.body', Stripe-Signature header)",
    "clm": "ironclad (RSA-SHA256 over event id + body + nonce; public key shown)",
    "crm": "none (Salesforce outbound messages are not signed)",
}


class SignatureError(ValueError):
    """A webhook whose signature does not verify (forged, altered, stale or malformed)."""


# -- Stripe ---------------------------------------------------------------------------------


def stripe_secret() -> str:
    """A new endpoint signing secret, shaped as Stripe's (``whsec_`` + 32 random characters)."""
    return "whsec_" + secrets.token_urlsafe(24)


def _stripe_v1(secret: str, timestamp: int, payload: bytes) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def stripe_header(secret: str, payload: bytes, timestamp: int) -> str:
    """The ``Stripe-Signature`` value for one delivery attempt of ``payload`` at ``timestamp``."""
    return f"t={timestamp},v1={_stripe_v1(secret, timestamp, payload)}"


def verify_stripe(
    payload: bytes, header: str, secret: str, now: int, tolerance: int = STRIPE_TOLERANCE_S
) -> int:
    """Check a ``Stripe-Signature`` header as Stripe documents it; returns its timestamp.

    Any ``v1`` entry may match (Stripe sends several while a secret is being rolled); other
    schemes (``v0``) are ignored; a timestamp further than ``tolerance`` seconds from ``now``
    is refused even when the signature matches (a replay).
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("the t= element is not a number") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("no t= or no v1= element in the signature header")
    expected = _stripe_v1(secret, timestamp, payload)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no v1 signature matches the payload")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is outside the {tolerance} s tolerance")
    return timestamp


# -- Ironclad -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IroncladKey:
    """The key pair Ironclad signs webhooks with; receivers get only ``public_pem``."""

    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> IroncladKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )


def _ironclad_message(event_id: str, payload: bytes, nonce: str) -> bytes:
    return event_id.encode() + payload + nonce.encode()


def ironclad_headers(
    key: IroncladKey, event_id: str, payload: bytes, nonce: str | None = None
) -> dict[str, str]:
    """The two headers Ironclad signs a delivery with (a fresh nonce per attempt: random, or
    ``nonce`` when the caller derives it, as the simulation does to stay deterministic).

    ``payload`` must be the body as ``JSON.stringify`` writes it (compact, no spaces), since
    Ironclad's receivers re-serialise the parsed body before verifying.
    """
    nonce = nonce if nonce is not None else secrets.token_hex(16)
    signature = key.private.sign(
        _ironclad_message(event_id, payload, nonce), padding.PKCS1v15(), hashes.SHA256()
    )
    verification = {
        "nonce": nonce,
        "signAlgorithm": "sha256",  # what Ironclad sends: Node's name for RSA-SHA256
        "signature": base64.b64encode(signature).decode(),
        "encoding": "base64",
    }
    return {
        IRONCLAD_EVENT_ID: event_id,
        IRONCLAD_VERIFICATION: simplejson.dumps(verification, separators=(",", ":")),
    }


def verify_ironclad(public_pem: str, event_id: str, payload: bytes, verification: str) -> None:
    """Check an Ironclad webhook with the verification key; raise ``SignatureError`` if not."""
    try:
        fields = simplejson.loads(verification)
        nonce, signature = str(fields["nonce"]), base64.b64decode(fields["signature"])
        if fields.get("signAlgorithm") != "sha256" or fields.get("encoding") != "base64":
            raise SignatureError("unexpected signAlgorithm or encoding")
        public = serialization.load_pem_public_key(public_pem.encode())
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"malformed verification header or key: {exc}") from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureError("the verification key is not an RSA public key")
    try:
        public.verify(
            signature,
            _ironclad_message(event_id, payload, nonce),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise SignatureError("the Ironclad signature does not verify") from None
