"""Stripe adapter: a customer per ERP customer, and payment intents that ask the client to pay
an invoice by bank transfer (or card where bank transfer is not offered), idempotently.

Stripe caps one payment at eight digits of the minor unit, so a large invoice is requested in
instalments; each intent names its invoice in ``metadata``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orchestrator._wire import call
from orchestrator.model import Customer
from orchestrator.money import minor_unit
from orchestrator.runtime import Flow, Runtime

MAX_MINOR = 99_999_999
BANK_TRANSFER_CURRENCIES = ("EUR", "GBP", "USD", "JPY", "MXN")


def instalments(total_minor: int) -> list[int]:
    """Split an amount into as few parts within Stripe's cap as possible, the last one
    taking the remainder."""
    count = -(-total_minor // MAX_MINOR)
    part = total_minor // count
    return [part] * (count - 1) + [total_minor - part * (count - 1)]


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
        self, stripe_customer: str, invoice: dict[str, Any], currency: str
    ) -> Flow[list[str]]:
        """Payment intents for a posted ERP invoice's gross amount; their ids."""
        total = Decimal(invoice["totalAmountIncludingTax"]).scaleb(minor_unit(currency))
        if total <= 0:
            return []
        method = "customer_balance" if currency in BANK_TRANSFER_CURRENCIES else "card"
        parts = instalments(int(total))
        ids = []
        for k, amount in enumerate(parts, start=1):
            intent = yield from self._post(
                "/v1/payment_intents",
                [
                    ("amount", str(amount)),
                    ("currency", currency.lower()),
                    ("customer", stripe_customer),
                    ("payment_method_types[]", method),
                    ("description", f"Invoice {invoice['number']} ({k}/{len(parts)})"),
                    ("metadata[invoice_id]", invoice["id"]),
                    ("metadata[invoice_number]", invoice["number"]),
                ],
                key=f"pi:{invoice['id']}:{k}",
            )
            ids.append(str(intent["id"]))
        return ids

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
