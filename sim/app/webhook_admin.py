"""The admin API's webhook routes for ``q2c serve``: registration, chaos, the delivery log.

A vendor with a registration API of its own is registered there (Stripe:
``POST /payments/v1/webhook_endpoints``, answering the ``whsec_`` secret once); the admin API
refuses it so that an integration learns the vendor's way. The others are registered here:

- ``POST /_admin/webhooks/{vendor}`` ``{"url", "events"?, "tenant"?}`` (``crm``, ``clm``;
  not ``psa``: Kantata pushes no webhooks, an integration polls its Subscribed Events): 201
  with the endpoint and how it is signed; for the CLM the answer carries the Ironclad
  verification key (PEM), which is what Ironclad's ``GET /webhooks/verification-key`` gives
  its users (the sandbox's CLM does not mirror Ironclad's own webhook API yet);
- ``GET /_admin/webhooks``: every endpoint of every vendor (Stripe's with their secrets: the
  operator sees what Stripe's Dashboard reveals), the retry schedules and their sources;
- ``DELETE /_admin/webhooks/{vendor}/{id}``;
- ``PUT``/``DELETE /_admin/webhooks/{vendor}/chaos`` and ``GET /_admin/webhooks/chaos``: the
  scenario's webhook chaos model (``duplicate``, ``reorder``, ``max_delay_s``, ``drop``); for
  ``psa`` it acts on the Subscribed Events feed (a duplicate event, a late one, none);
- ``GET /_admin/webhooks/deliveries?tenant=&after=``: the tenant's delivery log (event, URL,
  attempt, status, next retry), oldest first, from after a sequence number.

``--webhooks-to URL`` registers URL for every vendor that sends webhooks, each its own way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts import WEBHOOK_VENDORS
from mocks import SIGNING, Call, Endpoint, Problem, Reply, Subscriptions, VendorApp, invalid
from mocks import url_problem as _url_problem
from sim.app.serve_webhooks import Outbox
from sim.scenario.faults import WebhookChaosSpec

__all__ = ["OWN_API", "WebhookAdmin"]

ADMIN = "/_admin/webhooks"
OWN_API = {"payments": "POST /payments/v1/webhook_endpoints (Stripe's API)"}
Guard = Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]


class _Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048)
    events: list[str] = Field(default=["*"], min_length=1)
    tenant: str | None = None


class WebhookAdmin:
    """The admin-registered endpoints and the routes that manage webhooks."""

    def __init__(self, outbox: Outbox, tenant: str, events: dict[str, tuple[str, ...]]) -> None:
        self.outbox = outbox
        self.tenant = tenant
        self.events = events  # each vendor's webhook names (its spec's ``webhooks``)
        self.registered = {v: Subscriptions(v) for v in WEBHOOK_VENDORS if v not in OWN_API}
        self.outbox.sources.update(self.registered)
        self._count = 0

    def reset(self) -> None:
        """Forget the admin's registrations and the deliveries (the mocks' own go with them)."""
        self.registered = {v: Subscriptions(v) for v in self.registered}
        self.outbox.sources.update(self.registered)
        self.outbox.reset()

    def register(self, vendor: str, tenant: str, url: str, events: list[str]) -> Endpoint:
        for k, event in enumerate(events):
            if event != "*" and event not in self.events[vendor]:
                known = ", ".join(("*", *self.events[vendor]))
                raise _unprocessable(f"events.{k}", f"{event!r} is not one of {known}")
        if (problem := _url_problem(url)) is not None:
            raise _unprocessable("url", problem)
        self._count += 1
        endpoint = Endpoint(
            id=f"wh_{vendor}_{self._count}", vendor=vendor, tenant=tenant, url=url,
            events=tuple(events), secret=None, created=int(time.time()),
        )  # fmt: skip
        return self.registered[vendor].add(endpoint)

    def describe(self, endpoint: Endpoint, *, secret: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": endpoint.id, "vendor": endpoint.vendor, "tenant": endpoint.tenant,
            "url": endpoint.url, "events": list(endpoint.events),
            "signing": SIGNING[endpoint.vendor],
        }  # fmt: skip
        if endpoint.vendor == "clm":
            body["verification_key"] = self.outbox.ironclad_key.public_pem
        if secret is not None:
            body["secret"] = secret
        return body

    # -- routes ----------------------------------------------------------------------------

    def install(self, admin: VendorApp, guard: Guard, stripe_endpoints: Callable[[], Any]) -> None:
        self._stripe = stripe_endpoints
        admin.route("GET", ADMIN)(guard(self._list))
        admin.route("GET", ADMIN + "/deliveries")(guard(self._deliveries))
        admin.route("GET", ADMIN + "/chaos")(guard(self._chaos_list))
        admin.route("POST", ADMIN + "/{vendor}")(guard(self._add))
        admin.route("PUT", ADMIN + "/{vendor}/chaos")(guard(self._chaos_set))
        admin.route("DELETE", ADMIN + "/{vendor}/chaos")(guard(self._chaos_clear))
        admin.route("DELETE", ADMIN + "/{vendor}/{endpoint_id}")(guard(self._remove))

    def _vendor(self, call: Call, *, feed_too: bool = False) -> str:
        """The path's vendor if it sends webhooks (``feed_too``: or is the PSA, whose chaos
        acts on its Subscribed Events feed instead of deliveries)."""
        vendor = call.params["vendor"]
        if feed_too and vendor == "psa":
            return vendor
        if vendor not in WEBHOOK_VENDORS:
            feed = (" (Kantata's changes are pulled: GET /psa/api/v1/subscribed_events)"
                    if vendor == "psa" else "")  # fmt: skip
            raise Problem(
                404,
                "Not Found",
                f"{vendor!r} sends no webhooks{feed}: use one of {', '.join(WEBHOOK_VENDORS)}",
                errors=[{"field": "vendor", "message": "not a webhook vendor"}],
            )
        return vendor

    def _add(self, call: Call) -> Reply:
        vendor = self._vendor(call)
        if vendor in OWN_API:
            raise Problem(
                409,
                "Conflict",
                f"{vendor} registers webhooks through its own API: {OWN_API[vendor]}",
                errors=[{"field": "vendor", "message": "use the vendor's registration API"}],
            )
        try:
            wanted = _Registration.model_validate(call.json())
        except ValidationError as exc:
            raise invalid(exc) from None
        endpoint = self.register(vendor, wanted.tenant or self.tenant, wanted.url, wanted.events)
        return Reply(201, self.describe(endpoint))

    def _list(self, call: Call) -> Reply:
        endpoints: list[dict[str, Any]] = []
        for store in self.registered.values():
            endpoints += [self.describe(e) for e in store]
        stripe = self._stripe()
        for tenant in stripe.tables.tenants():
            for e in stripe.endpoints(tenant):
                endpoints.append(self.describe(e, secret=e.secret))
        body = {"endpoints": endpoints, "schedules": self.outbox.schedules()}
        return Reply(200, body)

    def _remove(self, call: Call) -> Reply:
        vendor = self._vendor(call)
        store = self.registered.get(vendor)
        tenant = call.query.get("tenant", self.tenant)
        if store is None or store.remove(tenant, call.params["endpoint_id"]) is None:
            raise Problem(404, "Not Found", f"no {vendor} endpoint {call.params['endpoint_id']!r}")
        return Reply(204)

    def _chaos_list(self, call: Call) -> Reply:
        return Reply(200, self.outbox.chaos_view())

    def _chaos_set(self, call: Call) -> Reply:
        vendor = self._vendor(call, feed_too=True)
        try:
            chaos = WebhookChaosSpec.model_validate(call.json())
        except ValidationError as exc:
            raise invalid(exc) from None
        self.outbox.chaos[vendor] = chaos
        return Reply(200, {"vendor": vendor, **chaos.model_dump(mode="json")})

    def _chaos_clear(self, call: Call) -> Reply:
        self.outbox.chaos.pop(self._vendor(call, feed_too=True), None)
        return Reply(204)

    def _deliveries(self, call: Call) -> Reply:
        tenant = call.query.get("tenant", self.tenant)
        after = call.int_query("after", 0)
        return Reply(200, {"tenant": tenant, "deliveries": self.outbox.deliveries(tenant, after)})


def _unprocessable(field: str, message: str) -> Problem:
    return Problem(
        422,
        "Unprocessable Entity",
        f"invalid fields: {field}",
        errors=[{"field": field, "message": message}],
    )
