"""Payments mock mirroring Stripe's API: customers (``mocks._payments_customers``), payment
intents and events.

Bodies are form-encoded with bracket notation, answers are JSON, amounts are integers in the
currency's minor unit and currencies are lowercase ISO codes. Every POST honours Stripe's
``Idempotency-Key``. A bank transfer follows Stripe's flow (``mocks._payments_confirm``):
created, confirmed (``confirm=true`` or the confirm endpoint) to ``requires_action`` with the
transfer instructions, then funded. The simulated firm's clients pay through ``fund`` (bank
transfers to a confirmed ``customer_balance`` intent may arrive in parts), ``fail`` and
``dispute`` (``mocks._payments_payers``); creating or changing an object stores the events
Stripe emits for it (``customer.created``, ``payment_intent.created``,
``payment_intent.requires_action``, ...; ``GET /v1/events``) and hands each to the webhook sink.

The account is in test mode (``LIVEMODE``): every object says ``livemode: false``, and whoever
delivers the events retries them on Stripe's test-mode schedule (``sim.world.courier``).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from mocks._auth import secure
from mocks._http import Call, Reply, VendorApp
from mocks._payments_api import (
    API_VERSION,
    CREATED,
    LIVEMODE,
    Order,
    created_bounds,
    idempotent,
    list_page,
    only,
    stripe_id,
    within,
)
from mocks._payments_confirm import check_options, options_of, require_confirmable
from mocks._payments_customers import CustomersMixin
from mocks._payments_forms import (
    BANK_TRANSFER,
    MINIMUM_AMOUNT,
    CancelIn,
    ConfirmIn,
    PaymentIntentIn,
    StripeProblem,
    as_list,
    as_stripe,
    decode_form,
    metadata,
    too_large,
    validate,
)
from mocks._payments_payers import PayersMixin
from mocks._payments_webhooks import StripeWebhookEndpoints
from mocks._state import Clock, Tables, WebhookSink

__all__ = ["API_VERSION", "LIVEMODE", "PaymentsMock"]

CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "processing")


class PaymentsMock(CustomersMixin, PayersMixin):
    """Stripe accounts per tenant (``X-Tenant``), in test mode (``LIVEMODE``)."""

    vendor = "payments"

    def __init__(
        self, clock: Clock, sink: WebhookSink | None = None, *, enforce_auth: bool = False
    ) -> None:
        self.clock = clock
        self.sink = sink
        self.tables = Tables()
        # kept as they change, so that no call scans the account's history: the amount
        # disputed per intent, and the ids of each kind of object in creation order
        self._disputed: dict[tuple[str, str], int] = {}
        self._orders: dict[tuple[str, str], Order] = {}
        self.app = VendorApp("payments")
        self.app.refine = as_stripe
        app = self.app
        keyed = self._keyed
        app.route("GET", "/v1/customers", scope="payments:customers.read")(self._list_customers)
        app.route("POST", "/v1/customers", scope="payments:customers.write")(
            keyed(self._create_customer)
        )
        app.route("GET", "/v1/customers/{customer}", scope="payments:customers.read")(
            self._read_customer
        )
        app.route("POST", "/v1/customers/{customer}", scope="payments:customers.write")(
            keyed(self._update_customer)
        )
        app.route("GET", "/v1/payment_intents", scope="payments:payment_intents.read")(
            self._list_intents
        )
        app.route("POST", "/v1/payment_intents", scope="payments:payment_intents.write")(
            keyed(self._create_intent)
        )
        app.route("GET", "/v1/payment_intents/{intent}", scope="payments:payment_intents.read")(
            self._read_intent
        )
        app.route(
            "POST", "/v1/payment_intents/{intent}/confirm", scope="payments:payment_intents.write"
        )(keyed(self._confirm))
        app.route(
            "POST", "/v1/payment_intents/{intent}/cancel", scope="payments:payment_intents.write"
        )(keyed(self._cancel))
        app.route("GET", "/v1/events", scope="payments:events.read")(self._list_events)
        app.route("GET", "/v1/events/{id}", scope="payments:events.read")(self._read_event)
        self.webhook_endpoints = StripeWebhookEndpoints(app, self.tables, clock, keyed)
        self.auth = secure(self.app, clock, enforce=enforce_auth)

    # -- inspection --------------------------------------------------------------------------

    def payment_intent(self, tenant: str, intent_id: str) -> dict[str, Any]:
        """One intent, as the client's bank sees it (a copy)."""
        return copy.deepcopy(self._helper_intent(tenant, intent_id))

    def payment_intents(self, tenant: str) -> list[dict[str, Any]]:
        """Every intent of the tenant, oldest first (copies; for tests and inspection)."""
        return copy.deepcopy(list(self.tables.all(tenant, "payment_intents")))

    def intents_since(self, tenant: str, seen: int) -> list[dict[str, Any]]:
        """The intents created after the first ``seen`` ones, oldest first (copies).

        The client's inbox of payment requests: a client that remembers how many it has read
        reads only the new ones, whatever the account's history.
        """
        ids = self._order(tenant, "payment_intents").ids[seen:]
        table = self.tables.table(tenant, "payment_intents")
        return [copy.deepcopy(table[intent_id]) for intent_id in ids]

    def events(self, tenant: str) -> list[dict[str, Any]]:
        """Every event of the tenant, oldest first."""
        return copy.deepcopy(list(self.tables.all(tenant, "events")))

    # -- internals ---------------------------------------------------------------------------

    def _order(self, tenant: str, kind: str) -> Order:
        return self._orders.setdefault((tenant, kind), Order())

    def _insert(self, tenant: str, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        self._order(tenant, kind).add(record["id"])
        return self.tables.insert(tenant, kind, record)

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def _helper_intent(self, tenant: str, intent_id: str) -> dict[str, Any]:
        intent = self.tables.table(tenant, "payment_intents").get(intent_id)
        if intent is None:
            raise ValueError(f"no payment intent {intent_id!r} in tenant {tenant!r}")
        return intent

    def _find(self, call: Call, kind: str, record_id: str, param: str) -> dict[str, Any]:
        record = self.tables.table(call.tenant, kind).get(record_id)
        if record is None:
            noun = {"customers": "customer", "payment_intents": "payment_intent"}.get(kind, "event")
            raise StripeProblem(
                404,
                f"No such {noun}: '{record_id}'",
                code="resource_missing",
                param=param,
                executed=True,
            )
        return record

    def _keyed(self, handler: Any) -> Any:
        return idempotent(self.tables, lambda: self.clock(), handler)

    def _instructions(self, intent: dict[str, Any]) -> dict[str, Any]:
        reference = hashlib.sha256(intent["id"].encode()).hexdigest()[:12].upper()
        return {
            "type": "display_bank_transfer_instructions",
            "display_bank_transfer_instructions": {
                "amount_remaining": intent["amount"] - intent["amount_received"],
                "currency": intent["currency"],
                "reference": reference,
                "type": BANK_TRANSFER[intent["currency"]],
            },
        }

    # -- HTTP: payment intents ---------------------------------------------------------------

    def _list_intents(self, call: Call) -> Reply:
        owner = call.query.get("customer")
        table = self.tables.table(call.tenant, "payment_intents")
        return list_page(
            call,
            table,
            self._order(call.tenant, "payment_intents"),
            "/v1/payment_intents",
            ("customer",),
            lambda r: owner in (None, r["customer"]),
        )

    def _read_intent(self, call: Call) -> Reply:
        only(call, ())
        return Reply(200, self._find(call, "payment_intents", call.params["intent"], "intent"))

    def _create_intent(self, call: Call) -> Reply:
        data = decode_form(call)
        meta = metadata(data.pop("metadata", {}))
        as_list(data, "payment_method_types")
        fields = validate(PaymentIntentIn, data)
        refusal = too_large(fields.amount)
        if refusal is not None:
            raise refusal
        types: list[str] = list(fields.payment_method_types)
        options = options_of(fields.payment_method_options)
        check_options(types, options)
        method = fields.payment_method_data.type if fields.payment_method_data else None
        if method is not None and method not in types:
            raise StripeProblem(
                400,
                f"The payment method type {method} is not in payment_method_types "
                f"({', '.join(types)}).",
                param="payment_method_data[type]",
            )
        if fields.customer is not None:
            self._find(call, "customers", fields.customer, "customer")
        bank = "customer_balance" in types
        if bank and fields.customer is None:
            raise StripeProblem(
                400,
                "A customer is required to use the customer_balance payment method.",
                param="customer",
                executed=True,
            )
        if bank and fields.currency not in BANK_TRANSFER:
            raise StripeProblem(
                400,
                f"customer_balance does not support currency {fields.currency}; "
                f"use one of {', '.join(BANK_TRANSFER)}.",
                param="currency",
                executed=True,
            )
        minimum = MINIMUM_AMOUNT[fields.currency]
        if fields.amount < minimum:
            raise StripeProblem(
                400,
                f"Amount must be at least {minimum} {fields.currency} minor units.",
                code="amount_too_small",
                param="amount",
                executed=True,
            )
        n = self.tables.next_number(call.tenant, "payment_intents")
        intent_id = stripe_id("pi", call.tenant, n, 24)
        secret = hashlib.sha256(f"secret:{intent_id}".encode()).hexdigest()[:24]
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": fields.amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{secret}",
            "confirmation_method": "automatic",
            "created": self._now(),
            "currency": fields.currency,
            "customer": fields.customer,
            "description": fields.description or None,
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": LIVEMODE,
            "metadata": meta,
            "next_action": None,
            "payment_method": None,
            "payment_method_options": options,
            "payment_method_types": types,
            "status": "requires_payment_method",
        }
        if fields.confirm:  # refused as a whole, before anything is created
            require_confirmable(intent, method, options)
        if method is not None:
            intent.update(payment_method=self._payment_method(call.tenant, method),
                          status="requires_confirmation")  # fmt: skip
        key = call.headers.get("idempotency-key")
        self._insert(call.tenant, "payment_intents", intent)
        self._emit(call.tenant, "payment_intent.created", intent, key)
        if fields.confirm:
            self._confirmed(call.tenant, intent, key)
        return Reply(200, intent)

    def _confirm(self, call: Call) -> Reply:
        fields = validate(ConfirmIn, decode_form(call))
        intent = self._find(call, "payment_intents", call.params["intent"], "intent")
        options = intent["payment_method_options"]
        if fields.payment_method_options is not None:
            options = options_of(fields.payment_method_options)
            check_options(intent["payment_method_types"], options)
        method: str | None = None
        if fields.payment_method_data is not None:
            method = fields.payment_method_data.type
        elif intent["payment_method"] is not None:
            method = "customer_balance"  # the only payment methods the sandbox attaches
        require_confirmable(intent, method, options)
        assert method is not None
        if fields.payment_method_data is not None or intent["payment_method"] is None:
            intent["payment_method"] = self._payment_method(call.tenant, method)
        intent["payment_method_options"] = options
        self._confirmed(call.tenant, intent, call.headers.get("idempotency-key"))
        return Reply(200, intent)

    def _confirmed(self, tenant: str, intent: dict[str, Any], key: str | None) -> None:
        """A confirmed customer-balance intent waits for the transfer (``requires_action``)."""
        intent.update(status="requires_action", next_action=self._instructions(intent))
        self._emit(tenant, "payment_intent.requires_action", intent, key)

    def _payment_method(self, tenant: str, method: str) -> str:
        """A new payment method's id (``pm_...``), as ``payment_method_data`` creates one."""
        return stripe_id("pm", tenant, self.tables.next_number(tenant, "payment_methods"))

    def _cancel(self, call: Call) -> Reply:
        fields = validate(CancelIn, decode_form(call))
        intent = self._find(call, "payment_intents", call.params["intent"], "intent")
        if intent["status"] not in CANCELABLE:
            raise StripeProblem(
                400,
                f"You cannot cancel this PaymentIntent because its status is "
                f"{intent['status']}; only one of {', '.join(CANCELABLE)} can be canceled.",
                code="payment_intent_unexpected_state",
                param="intent",
                executed=True,
            )
        intent.update(
            status="canceled",
            canceled_at=self._now(),
            cancellation_reason=fields.cancellation_reason,
            next_action=None,
        )
        self._emit(
            call.tenant, "payment_intent.canceled", intent, call.headers.get("idempotency-key")
        )
        return Reply(200, intent)

    # -- HTTP: events ------------------------------------------------------------------------

    def _list_events(self, call: Call) -> Reply:
        wanted = call.query.get("type")
        prefix = wanted[:-1] if wanted is not None and wanted.endswith(".*") else None

        bounds = created_bounds(call)

        def keep(event: dict[str, Any]) -> bool:
            if not within(event["created"], bounds):
                return False
            if prefix is not None:
                return bool(event["type"].startswith(prefix))
            return wanted in (None, event["type"])

        def too_old(event: dict[str, Any]) -> bool:
            created: int = event["created"]
            return created <= bounds.get("gt", -1) or created < bounds.get("gte", 0)

        table = self.tables.table(call.tenant, "events")
        order = self._order(call.tenant, "events")
        return list_page(call, table, order, "/v1/events", ("type", *CREATED), keep, too_old)

    def _read_event(self, call: Call) -> Reply:
        only(call, ())
        return Reply(200, self._find(call, "events", call.params["id"], "id"))
