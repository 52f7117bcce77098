"""What the firm's clients do to a Stripe payment intent, for the payments mock, in process:
pay it (a bank transfer may arrive in parts), fail a payment attempt, dispute a payment.

Its own room because these are not Stripe API calls: no integration can make them. They stand
in for the client's bank and card network, which move an intent the way only Stripe itself
would (``requires_action`` to ``succeeded``, ``payment_intent.partially_funded``,
``charge.dispute.created``), and they refuse with ``ValueError`` what no real payer could do
(paying more than what remains, disputing more than was paid). The HTTP API stays in
``mocks.payments``.
"""

from __future__ import annotations

import copy
from typing import Any

from mocks._payments_api import LIVEMODE, StripeObjects, stripe_id

__all__ = ["DISPUTE_REASONS", "PayersMixin"]

DISPUTE_REASONS = (
    "bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
    "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
    "insufficient_funds", "product_not_received", "product_unacceptable",
    "subscription_canceled", "unrecognized",
)  # fmt: skip


class PayersMixin(StripeObjects):
    """``fund``, ``fail`` and ``dispute``: the simulated clients' side of a payment."""

    tables: Any
    _disputed: dict[tuple[str, str], int]

    def _helper_intent(self, tenant: str, intent_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def _instructions(self, intent: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def fund(self, tenant: str, intent_id: str, amount: int) -> dict[str, Any]:
        """A client pays ``amount`` (minor units) towards an intent; returns the intent.

        A ``customer_balance`` intent takes transfers once confirmed (``requires_action``),
        and may be funded in parts: each part short of the total raises ``amount_received``,
        lowers ``amount_remaining`` and emits ``payment_intent.partially_funded``; the part
        that completes it makes it ``succeeded`` and emits ``payment_intent.succeeded``. A
        card intent (``requires_payment_method``: the client confirms it with its card) is
        paid in full at once. Paying more than what remains is refused with ``ValueError``
        (nothing changes).
        """
        intent = self._helper_intent(tenant, intent_id)
        bank = "customer_balance" in intent["payment_method_types"]
        if intent["status"] != ("requires_action" if bank else "requires_payment_method"):
            raise ValueError(f"payment intent {intent_id} is {intent['status']}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"amount must be a positive integer, not {amount!r}")
        remaining = intent["amount"] - intent["amount_received"]
        if amount > remaining:
            raise ValueError(f"{amount} exceeds the {remaining} that remains on {intent_id}")
        if not bank and amount != remaining:
            raise ValueError("a card payment pays the whole amount at once")
        intent["amount_received"] += amount
        intent["last_payment_error"] = None
        if amount < remaining:
            intent["status"] = "requires_action"
            intent["next_action"] = self._instructions(intent)
            self._emit(tenant, "payment_intent.partially_funded", intent)
        else:
            n = self.tables.next_number(tenant, "charges")
            intent.update(
                status="succeeded", next_action=None, latest_charge=stripe_id("ch", tenant, n)
            )
            self._emit(tenant, "payment_intent.succeeded", intent)
        return copy.deepcopy(intent)

    def fail(self, tenant: str, intent_id: str, reason: str = "card_declined") -> dict[str, Any]:
        """A payment attempt fails: back to ``requires_payment_method`` with the error recorded.

        An intent that already received part of its amount cannot fail (``ValueError``).
        """
        intent = self._helper_intent(tenant, intent_id)
        if intent["status"] not in ("requires_payment_method", "requires_action", "processing"):
            raise ValueError(f"payment intent {intent_id} is {intent['status']}")
        if intent["amount_received"]:
            raise ValueError(f"payment intent {intent_id} is partially funded")
        card = "customer_balance" not in intent["payment_method_types"]
        intent.update(
            status="requires_payment_method",
            next_action=None,
            last_payment_error={
                "type": "card_error" if card else "invalid_request_error",
                "code": reason,
                "message": f"The payment failed: {reason}.",
            },
        )
        self._emit(tenant, "payment_intent.payment_failed", intent)
        return copy.deepcopy(intent)

    def dispute(self, tenant: str, intent_id: str, amount: int, reason: str) -> dict[str, Any]:
        """The client disputes ``amount`` of a succeeded intent; returns the dispute."""
        intent = self._helper_intent(tenant, intent_id)
        if intent["status"] != "succeeded":
            raise ValueError(f"payment intent {intent_id} is {intent['status']}, not succeeded")
        if reason not in DISPUTE_REASONS:
            raise ValueError(f"unknown dispute reason {reason!r}")
        disputed = self._disputed.get((tenant, intent_id), 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError(f"amount must be a positive integer, not {amount!r}")
        if disputed + amount > intent["amount_received"]:
            raise ValueError(f"{amount} exceeds the undisputed amount of {intent_id}")
        n = self.tables.next_number(tenant, "disputes")
        dispute = {
            "id": stripe_id("dp", tenant, n),
            "object": "dispute",
            "amount": amount,
            "charge": intent["latest_charge"],
            "created": self._now(),
            "currency": intent["currency"],
            "is_charge_refundable": False,
            "livemode": LIVEMODE,
            "metadata": {},
            "payment_intent": intent_id,
            "reason": reason,
            "status": "needs_response",
        }
        self._insert(tenant, "disputes", dispute)
        self._disputed[(tenant, intent_id)] = disputed + amount
        self._emit(tenant, "charge.dispute.created", dispute)
        return copy.deepcopy(dispute)
