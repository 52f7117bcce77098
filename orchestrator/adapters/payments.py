"""Stripe adapter: a customer per ERP customer, and a payment intent that asks the client to
pay an invoice by bank transfer (or card where Stripe offers no bank transfer), idempotently.

A bank transfer is requested as Stripe's guide does it
(https://docs.stripe.com/payments/bank-transfers/accept-a-payment, read 2026-12-07): one
request creates and confirms (``confirm=true``) a ``customer_balance`` intent funded by
``bank_transfer`` of the currency's type; Stripe answers ``requires_action`` with the transfer
instructions, which the client pays. An EU transfer names the country of the virtual IBAN: the
client's own where Stripe offers one (``EU_COUNTRIES``), so it pays a domestic account, else
Germany (any SEPA account takes a SEPA transfer: our choice).

Stripe takes one payment of at most eight digits of the minor unit (99,999,999: 999,999.99 USD
or INR; https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts, consulted
2026-12-07) and at least its minimum charge. An invoice outside those bounds is not split into
a stream of card payments (an INR 10^11 invoice would take 100,000 of them): it is settled as a
firm settles any large invoice, by bank transfer to its own account (``settlement``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from orchestrator._wire import call
from orchestrator.model import Customer
from orchestrator.money import minor_unit
from orchestrator.runtime import Flow, Runtime

MAX_MINOR = 99_999_999
# Stripe's minimum charge per currency, in minor units (same source); a currency Stripe does
# not take is settled by bank transfer
MIN_MINOR = {
    "AUD": 50, "CAD": 50, "CHF": 50, "DKK": 250, "EUR": 50, "GBP": 30, "INR": 50, "JPY": 50,
    "MXN": 1000, "NOK": 300, "PLN": 200, "SEK": 300, "SGD": 50, "USD": 50,
}  # fmt: skip
# the bank transfer type per currency Stripe takes bank transfers in
BANK_TRANSFER = {
    "EUR": "eu_bank_transfer", "GBP": "gb_bank_transfer", "JPY": "jp_bank_transfer",
    "MXN": "mx_bank_transfer", "USD": "us_bank_transfer",
}  # fmt: skip
BANK_TRANSFER_CURRENCIES = tuple(BANK_TRANSFER)
EU_COUNTRIES = ("BE", "DE", "ES", "FR", "IE", "NL")  # where Stripe offers EU virtual IBANs
EU_DEFAULT_COUNTRY = "DE"

Settlement = Literal["nothing", "stripe", "bank_transfer"]


def settlement(total_minor: int, currency: str) -> Settlement:
    """How an invoice of ``total_minor`` is to be paid: ``stripe`` when one payment intent can
    carry it (within Stripe's minimum and maximum charge for the currency), ``bank_transfer``
    to the firm's own account otherwise (the ERP sends the invoice, which names the account;
    the ERP's bank reconciliation applies the money), ``nothing`` when nothing is owed."""
    if total_minor <= 0:
        return "nothing"
    minimum = MIN_MINOR.get(currency)
    if minimum is None or not minimum <= total_minor <= MAX_MINOR:
        return "bank_transfer"
    return "stripe"


def total_minor(invoice: dict[str, Any], currency: str) -> int:
    """The invoice's gross amount in the currency's minor unit."""
    return int(Decimal(invoice["totalAmountIncludingTax"]).scaleb(minor_unit(currency)))


def bank_transfer(currency: str, country: str) -> list[tuple[str, str]]:
    """The parameters that create and confirm a bank-transfer intent in ``currency``."""
    options = "payment_method_options[customer_balance]"
    kind = BANK_TRANSFER[currency]
    form = [
        ("payment_method_types[]", "customer_balance"),
        ("payment_method_data[type]", "customer_balance"),
        (f"{options}[funding_type]", "bank_transfer"),
        (f"{options}[bank_transfer][type]", kind),
    ]
    if kind == "eu_bank_transfer":
        where = country if country in EU_COUNTRIES else EU_DEFAULT_COUNTRY
        form.append((f"{options}[bank_transfer][eu_bank_transfer][country]", where))
    return [*form, ("confirm", "true")]


class PaymentsAdapter:
    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self._rt = runtime
        self._tenant = tenant

    def _post(self, path: str, form: list[tuple[str, str]], key: str) -> Flow[Any]:
        return (yield from call(self._rt, "payments", self._tenant, "POST", path, form=form,
                                headers={"idempotency-key": key}))  # fmt: skip

    def ensure_customer(self, customer: Customer) -> Flow[str]:
        created = yield from self._post(
            "/v1/customers",
            [("name", customer.name[:256]), ("metadata[erp_customer_id]", customer.id)],
            key=f"cus:{customer.id}",
        )
        return str(created["id"])

    def request_payment(
        self, stripe_customer: str, invoice: dict[str, Any], currency: str, country: str = ""
    ) -> Flow[list[str]]:
        """One payment intent for a posted ERP invoice's gross amount, when ``settlement``
        says ``stripe``, confirmed at once when it is a bank transfer (``country``: the
        client's, for an EU transfer's IBAN); its id, in a list (none when nothing is owed)."""
        amount = total_minor(invoice, currency)
        plan = settlement(amount, currency)
        if plan == "nothing":
            return []
        if plan != "stripe":
            raise ValueError(f"invoice {invoice['number']} cannot be paid in one Stripe payment")
        form = [
            ("amount", str(amount)),
            ("currency", currency.lower()),
            ("customer", stripe_customer),
            ("description", f"Invoice {invoice['number']} (1/1)"),
            ("metadata[invoice_id]", invoice["id"]),
            ("metadata[invoice_number]", invoice["number"]),
        ]
        form += bank_transfer(currency, country) if currency in BANK_TRANSFER else [
            ("payment_method_types[]", "card")]  # fmt: skip
        intent = yield from self._post("/v1/payment_intents", form, key=f"pi:{invoice['id']}:1")
        return [str(intent["id"])]

    def events_between(self, after: int, upto: int) -> Flow[list[dict[str, Any]]]:
        """The account's events created after Unix time ``after`` and at or before ``upto``,
        oldest first (``created[gt]``/``created[lte]``, newest-first pages followed back)."""
        rows: list[dict[str, Any]] = []
        bounds = {"limit": "100", "created[gt]": str(after), "created[lte]": str(upto)}
        params = dict(bounds)
        while True:
            body = yield from call(self._rt, "payments", self._tenant, "GET", "/v1/events",
                                   params=params)  # fmt: skip
            rows += body["data"]
            if not body.get("has_more") or not body["data"]:
                rows.reverse()
                return rows
            params = {**bounds, "starting_after": body["data"][-1]["id"]}

    def intents(self) -> Flow[list[dict[str, Any]]]:
        """Every payment intent of the account, newest first (Stripe's cursor paging)."""
        rows: list[dict[str, Any]] = []
        params = {"limit": "100"}
        while True:
            body = yield from call(self._rt, "payments", self._tenant, "GET",
                                   "/v1/payment_intents", params=params)  # fmt: skip
            rows += body["data"]
            if not body.get("has_more") or not body["data"]:
                return rows
            params = {"limit": "100", "starting_after": body["data"][-1]["id"]}
