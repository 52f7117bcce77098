"""Stripe's webhook endpoints API for the payments mock: how a Stripe user registers a receiver.

``POST /v1/webhook_endpoints`` (form: ``url``, ``enabled_events[]``, optional ``description``
and ``metadata``) answers the endpoint object with its signing ``secret`` (``whsec_...``); the
secret is returned at creation only, never by a read or a list, as Stripe documents
(https://docs.stripe.com/api/webhook_endpoints/object, read 2026-12-07). ``GET`` lists (newest
first, Stripe's cursors) and reads, ``DELETE`` removes. Events are rendered at the mock's API
version, so ``api_version`` is refused, as are ``connect`` and the update operation, which the
sandbox does not offer (README, known limitations). Unlike Stripe, ``http`` and loopback URLs
are accepted: a CI receiver runs next to the sandbox.

Whoever delivers the mock's events (``q2c serve``) asks ``matching(tenant, event)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.specs import load
from mocks._http import Call, Reply, VendorApp
from mocks._payments_api import Order, list_page, stripe_id
from mocks._payments_forms import StripeProblem, as_list, decode_form, metadata, validate
from mocks._state import Clock, Tables
from mocks._subscriptions import Endpoint, url_problem

__all__ = ["StripeWebhookEndpoints"]

READ, WRITE = "payments:webhook_endpoints.read", "payments:webhook_endpoints.write"
MAX_DESCRIPTION = 5000  # Stripe's maxLength on description in its OpenAPI spec


class _EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    enabled_events: list[str] = Field(min_length=1)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    metadata: Any = None


def _event_types() -> tuple[str, ...]:
    """The events this mock sends (its spec's ``webhooks``), plus ``*`` for all of them."""
    return ("*", *sorted(load("payments").get("webhooks", {})))


class StripeWebhookEndpoints:
    """The ``/v1/webhook_endpoints`` routes of one payments mock and the endpoints they hold."""

    def __init__(self, app: VendorApp, tables: Tables, clock: Clock, keyed: Any) -> None:
        self.tables = tables
        self.clock = clock
        # how a new signing secret is made: deterministic by default (the in-process mock
        # must not draw randomness); q2c serve sets a random one (mocks.stripe_secret)
        self.new_secret: Callable[[str, int], str] = _derived_secret
        self.events = _event_types()
        app.route("POST", "/v1/webhook_endpoints", scope=WRITE)(keyed(self._create))
        app.route("GET", "/v1/webhook_endpoints", scope=READ)(self._list)
        app.route("GET", "/v1/webhook_endpoints/{webhook_endpoint}", scope=READ)(self._read)
        app.route("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", scope=WRITE)(self._delete)

    def endpoints(self, tenant: str) -> list[Endpoint]:
        """Every endpoint of ``tenant``, oldest first, with its secret."""
        secrets = self.tables.table(tenant, "webhook_secrets")
        return [
            Endpoint(
                id=record["id"],
                vendor="payments",
                tenant=tenant,
                url=record["url"],
                events=tuple(record["enabled_events"]),
                secret=secrets[record["id"]]["secret"],
                created=record["created"],
                enabled=record["status"] == "enabled",
            )
            for record in self.tables.all(tenant, "webhook_endpoints")
        ]

    def matching(self, tenant: str, event: str) -> list[Endpoint]:
        """The enabled endpoints of ``tenant`` that want ``event``, oldest first."""
        return [e for e in self.endpoints(tenant) if e.wants(event)]

    def register(self, tenant: str, url: str, events: list[str]) -> dict[str, Any]:
        """Create an endpoint as the API does (what ``q2c serve --webhooks-to`` uses)."""
        if (problem := url_problem(url)) is not None:
            raise StripeProblem(400, f"Invalid URL: {problem}.", param="url")
        for k, event in enumerate(events):
            if event not in self.events:
                raise StripeProblem(
                    400,
                    f"Invalid enabled_events[{k}]: must be one of {', '.join(self.events)}",
                    param=f"enabled_events[{k}]",
                )
        n = self.tables.next_number(tenant, "webhook_endpoints")
        record: dict[str, Any] = {
            "id": stripe_id("we", tenant, n, 24),
            "object": "webhook_endpoint",
            "api_version": None,
            "application": None,
            "created": int(self.clock().timestamp()),
            "description": None,
            "enabled_events": list(events),
            "livemode": False,
            "metadata": {},
            "status": "enabled",
            "url": url,
        }
        secret = self.new_secret(tenant, n)
        self.tables.insert(tenant, "webhook_endpoints", record)
        self.tables.insert(tenant, "webhook_secrets", {"id": record["id"], "secret": secret})
        return {**record, "secret": secret}

    # -- HTTP --------------------------------------------------------------------------------

    def _create(self, call: Call) -> Reply:
        data = decode_form(call)
        for refused in ("api_version", "connect"):
            if refused in data:
                raise StripeProblem(
                    400,
                    f"The sandbox does not offer {refused} on webhook endpoints.",
                    code="parameter_unknown",
                    param=refused,
                )
        as_list(data, "enabled_events")
        params = validate(_EndpointIn, data)
        tags = metadata(params.metadata) if params.metadata is not None else {}
        created = self.register(call.tenant, params.url, params.enabled_events)
        record = self.tables.get(call.tenant, "webhook_endpoints", created["id"])
        record.update(description=params.description, metadata=tags)
        return Reply(200, {**record, "secret": created["secret"]})

    def _list(self, call: Call) -> Reply:
        table = self.tables.table(call.tenant, "webhook_endpoints")
        order = Order()  # a handful per account: ordered afresh from the table (creation order)
        for endpoint_id in table:
            order.add(endpoint_id)
        return list_page(call, table, order, "/v1/webhook_endpoints", (), lambda _: True)

    def _find(self, call: Call) -> dict[str, Any]:
        endpoint_id = call.params["webhook_endpoint"]
        record = self.tables.table(call.tenant, "webhook_endpoints").get(endpoint_id)
        if record is None:
            raise StripeProblem(
                404,
                f"No such webhook endpoint: '{endpoint_id}'",
                code="resource_missing",
                param="webhook_endpoint",
            )
        return record

    def _read(self, call: Call) -> Reply:
        return Reply(200, dict(self._find(call)))

    def _delete(self, call: Call) -> Reply:
        record = self._find(call)
        del self.tables.table(call.tenant, "webhook_endpoints")[record["id"]]
        del self.tables.table(call.tenant, "webhook_secrets")[record["id"]]
        return Reply(200, {"id": record["id"], "object": "webhook_endpoint", "deleted": True})


def _derived_secret(tenant: str, n: int) -> str:
    return "whsec_" + hashlib.sha256(f"q2c:whsec:{tenant}:{n}".encode()).hexdigest()[:32]
