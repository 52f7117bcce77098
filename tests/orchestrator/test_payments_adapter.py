"""The Stripe adapter asks for a bank transfer as Stripe's guide does: one request that creates
and confirms a customer-balance intent of the currency's transfer type, which the payments mock
(as strict as Stripe) answers ``requires_action`` with the transfer instructions."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest

from mocks import PaymentsMock
from orchestrator.adapters.payments import bank_transfer

OPTIONS = "payment_method_options[customer_balance]"
COUNTRY = f"{OPTIONS}[bank_transfer][eu_bank_transfer][country]"


@pytest.mark.parametrize(
    ("currency", "country", "kind", "iban_in"),
    [
        ("EUR", "FR", "eu_bank_transfer", "FR"),
        ("EUR", "IT", "eu_bank_transfer", "DE"),  # no Stripe IBAN in Italy: our default
        ("GBP", "GB", "gb_bank_transfer", None),
        ("USD", "US", "us_bank_transfer", None),
        ("JPY", "JP", "jp_bank_transfer", None),
        ("MXN", "MX", "mx_bank_transfer", None),
    ],
)
def test_a_bank_transfer_is_created_and_confirmed_in_one_request(
    currency: str, country: str, kind: str, iban_in: str | None
) -> None:
    form = dict(bank_transfer(currency, country))
    assert form["payment_method_types[]"] == form["payment_method_data[type]"] == "customer_balance"
    assert (form[f"{OPTIONS}[funding_type]"], form[f"{OPTIONS}[bank_transfer][type]"]) == (
        "bank_transfer",
        kind,
    )
    assert form.get(COUNTRY) == iban_in
    assert form["confirm"] == "true"
    mock = PaymentsMock(lambda: datetime(2026, 3, 2, tzinfo=UTC))
    customer = mock.app.handle(
        httpx.Request("POST", "http://stripe/v1/customers", data={"name": "Acme"})
    ).json()
    body = urlencode([("amount", "50000"), ("currency", currency.lower()),
                      ("customer", customer["id"]), *bank_transfer(currency, country)])  # fmt: skip
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answer = mock.app.handle(
        httpx.Request("POST", "http://stripe/v1/payment_intents", content=body, headers=headers)
    )
    assert answer.status_code == 200, answer.text
    intent = answer.json()
    assert intent["status"] == "requires_action"
    assert intent["next_action"]["display_bank_transfer_instructions"]["type"] == kind
