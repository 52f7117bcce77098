"""Confirming a payment intent as Stripe does: what a bank transfer to the customer balance needs.

Stripe's bank-transfer flow (https://docs.stripe.com/payments/bank-transfers/accept-a-payment,
"Create and confirm a PaymentIntent on the server", read 2026-12-07) creates the intent with
``payment_method_types[]=customer_balance``, ``payment_method_data[type]=customer_balance``,
``payment_method_options[customer_balance][funding_type]=bank_transfer`` and
``payment_method_options[customer_balance][bank_transfer][type]`` (``eu_bank_transfer`` with
``[eu_bank_transfer][country]``, ``gb_bank_transfer``, ``jp_bank_transfer``,
``mx_bank_transfer``, ``us_bank_transfer``), and confirms it, with ``confirm=true`` or
``POST /v1/payment_intents/{intent}/confirm``. Confirmed, the intent is ``requires_action``
and its ``next_action`` shows the transfer instructions; funds that arrive move it on
(``partially_funded``, then ``succeeded``).

Unconfirmed, an intent waits: ``requires_payment_method`` without a payment method,
``requires_confirmation`` with one. A confirmation without a payment method, with a method not
among the intent's types, or a bank transfer without its funding type, its transfer type (one
that matches the currency) or, for an EU transfer, its country, is refused before anything
changes. Simplified: the only payment methods are customer balances (``payment_method_data``
with card details is refused: the sandbox's clients pay cards in process), and a customer's
cash balance is not modelled, so a confirmed intent always waits for a transfer.
"""

from __future__ import annotations

from typing import Any

from mocks._payments_forms import BANK_TRANSFER, PaymentMethodOptionsIn, StripeProblem

__all__ = ["CONFIRMABLE", "check_options", "options_of", "require_confirmable"]

CONFIRMABLE = ("requires_payment_method", "requires_confirmation")
_BALANCE = "payment_method_options[customer_balance]"


def options_of(params: PaymentMethodOptionsIn | None) -> dict[str, Any]:
    """The ``payment_method_options`` as the intent shows them (only what was given)."""
    if params is None:
        return {}
    return params.model_dump(exclude_none=True)


def check_options(types: list[str], options: dict[str, Any]) -> None:
    """Options for a method the intent does not take are refused (before execution)."""
    for method in options:
        if method not in types:
            raise StripeProblem(
                400,
                f"payment_method_options[{method}] was provided, but {method} is not in "
                "payment_method_types.",
                param=f"payment_method_options[{method}]",
            )


def require_confirmable(
    intent: dict[str, Any], method: str | None, options: dict[str, Any]
) -> None:
    """Refuse a confirmation Stripe would refuse (``StripeProblem``, nothing executed), for an
    intent with ``method`` (the payment method type given or attached) and the options in force.
    """
    if intent["status"] not in CONFIRMABLE:
        raise StripeProblem(
            400,
            "This PaymentIntent's status is "
            f"{intent['status']}; only one of {', '.join(CONFIRMABLE)} can be confirmed.",
            code="payment_intent_unexpected_state",
            param="intent",
            executed=True,
        )
    if method is None:
        raise StripeProblem(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Confirm it with payment_method_data.",
            code="payment_intent_unexpected_state",
            param="payment_method",
        )
    if method not in intent["payment_method_types"]:
        raise StripeProblem(
            400,
            f"The payment method type {method} is not in this PaymentIntent's "
            f"payment_method_types ({', '.join(intent['payment_method_types'])}).",
            param="payment_method_data[type]",
        )
    if method == "customer_balance":
        _require_bank_transfer(intent["currency"], options.get("customer_balance", {}))


def _require_bank_transfer(currency: str, balance: dict[str, Any]) -> None:
    if balance.get("funding_type") != "bank_transfer":
        raise StripeProblem(
            400,
            f"Missing required param: {_BALANCE}[funding_type].",
            code="parameter_missing",
            param=f"{_BALANCE}[funding_type]",
        )
    transfer = balance.get("bank_transfer", {})
    kind = transfer.get("type")
    name = f"{_BALANCE}[bank_transfer][type]"
    if kind is None:
        raise StripeProblem(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    if BANK_TRANSFER.get(currency) != kind:
        raise StripeProblem(
            400,
            f"The bank transfer type {kind} does not support currency {currency}.",
            param=name,
        )
    if kind == "eu_bank_transfer" and "eu_bank_transfer" not in transfer:
        country = f"{_BALANCE}[bank_transfer][eu_bank_transfer][country]"
        raise StripeProblem(
            400, f"Missing required param: {country}.", code="parameter_missing", param=country
        )
