"""A Stripe account of the payments mock as the payments tests drive it: a clock they move by
hand, the webhook sink, and a client whose response hook checks every answer against
contracts/payments.yaml (declared status, media type and body schema; for an accepted form
body, the request schema too).

Shared here, not in one test module, because every ``tests/mocks/test_payments_*`` module
drives the same account; ``tests/mocks/conftest.py`` hands each test a fresh one as ``world``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from mocks import PaymentsMock, Webhook
from tests.support.contracts import Contract

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
STAMP = int(NOW.timestamp())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.sink: list[Webhook] = []
        self.mock = PaymentsMock(self.clock, self.sink.append)
        self.spec = Contract("payments")
        self.http = self.spec.client(self.mock.app)

    def customer(self, **params: str) -> dict[str, Any]:
        response = self.http.post("/v1/customers", data={"name": "Acme GmbH", **params})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def intent(self, customer: str | None = None, **params: Any) -> dict[str, Any]:
        """A card intent without a customer; with one, a bank transfer created and confirmed
        as Stripe's guide does it (``BANK`` in the intent's currency)."""
        data: dict[str, Any] = {"amount": "100000", "currency": "eur", **params}
        if customer is not None:
            data.setdefault("customer", customer)
            for name, value in bank_transfer(data["currency"]).items():
                data.setdefault(name, value)
        response = self.http.post("/v1/payment_intents", data=data)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def later(self) -> list[Webhook]:
        """The webhooks after the objects were set up (creation and confirmation events)."""
        return [w for w in self.sink if w.event not in SETUP]

    def webhooks_conform(self) -> None:
        for webhook in self.sink:
            assert (webhook.vendor, webhook.event) == ("payments", webhook.body["type"])
            problems = self.spec.errors(self.spec.webhook_schema(webhook.event), webhook.body)
            assert not problems, f"{webhook.event}: {problems}"


SETUP = ("customer.created", "payment_intent.created", "payment_intent.requires_action")
_OPTIONS = "payment_method_options[customer_balance]"
_TYPES = {"eur": "eu_bank_transfer", "gbp": "gb_bank_transfer", "jpy": "jp_bank_transfer",
          "mxn": "mx_bank_transfer", "usd": "us_bank_transfer"}  # fmt: skip


def bank_transfer(currency: str, confirm: bool = True) -> dict[str, str]:
    """The parameters that make (and confirm) a bank-transfer intent in ``currency``."""
    params = {
        "payment_method_types[]": "customer_balance",
        "payment_method_data[type]": "customer_balance",
        f"{_OPTIONS}[funding_type]": "bank_transfer",
        f"{_OPTIONS}[bank_transfer][type]": _TYPES[currency],
    }
    if currency == "eur":
        params[f"{_OPTIONS}[bank_transfer][eu_bank_transfer][country]"] = "NL"
    if confirm:
        params["confirm"] = "true"
    return params


def _error(response: httpx.Response) -> dict[str, Any]:
    """Stripe's error object, after checking the body is that object alone, as JSON."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return dict(body["error"])
