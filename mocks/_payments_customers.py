"""Stripe customers over HTTP, for the payments mock: list (by ``email``), read, create and
update (``POST /v1/customers/{customer}``), each change stored as Stripe's event.

Its own room because a customer is the one Stripe object the integration keeps in step with
another system (the CRM's account): its update merges ``metadata`` key by key, clears a field
set to empty, and emits ``customer.updated`` with ``previous_attributes`` only when something
changed, as Stripe does. Payment intents and events stay in ``mocks.payments``.
"""

from __future__ import annotations

import copy
from typing import Any

from mocks._http import Call, Reply
from mocks._payments_api import LIVEMODE, Order, StripeObjects, list_page, only, stripe_id
from mocks._payments_forms import CustomerIn, decode_form, metadata, validate

__all__ = ["CustomersMixin"]


class CustomersMixin(StripeObjects):
    """The ``/v1/customers`` handlers (``mocks.payments`` registers the routes)."""

    def _order(self, tenant: str, kind: str) -> Order:
        raise NotImplementedError

    def _find(self, call: Call, kind: str, record_id: str, param: str) -> dict[str, Any]:
        raise NotImplementedError

    def _list_customers(self, call: Call) -> Reply:
        email = call.query.get("email")
        table = self.tables.table(call.tenant, "customers")
        order = self._order(call.tenant, "customers")
        return list_page(
            call, table, order, "/v1/customers", ("email",), lambda r: email in (None, r["email"])
        )

    def _read_customer(self, call: Call) -> Reply:
        only(call, ())
        return Reply(200, self._find(call, "customers", call.params["customer"], "customer"))

    def _create_customer(self, call: Call) -> Reply:
        data = decode_form(call)
        meta = metadata(data.pop("metadata", {}))
        fields = validate(CustomerIn, data)
        n = self.tables.next_number(call.tenant, "customers")
        customer = {
            "id": stripe_id("cus", call.tenant, n),
            "object": "customer",
            "balance": fields.balance or 0,
            "created": self._now(),
            "description": fields.description or None,
            "email": fields.email or None,
            "livemode": LIVEMODE,
            "metadata": meta,
            "name": fields.name or None,
            "phone": fields.phone or None,
        }
        self._insert(call.tenant, "customers", customer)
        self._emit(call.tenant, "customer.created", customer, call.headers.get("idempotency-key"))
        return Reply(200, customer)

    def _update_customer(self, call: Call) -> Reply:
        data = decode_form(call)
        meta = data.pop("metadata", None)
        if meta is not None:
            metadata(meta)  # refuse a malformed param before execution
        fields = validate(CustomerIn, data)
        customer = self._find(call, "customers", call.params["customer"], "customer")
        before = copy.deepcopy(customer)
        if meta is not None:
            customer["metadata"] = metadata(meta, customer["metadata"])
        for name, value in fields.model_dump(exclude_unset=True).items():
            customer[name] = (value or 0) if name == "balance" else (value or None)
        previous = {name: value for name, value in before.items() if customer[name] != value}
        if previous:  # Stripe emits customer.updated only for a change
            key = call.headers.get("idempotency-key")
            self._emit(call.tenant, "customer.updated", customer, key, previous)
        return Reply(200, customer)
