"""Who wants a vendor's webhooks: registered endpoints per tenant, and the URLs they may name.

A vendor with its own registration API (Stripe's ``/v1/webhook_endpoints``) keeps its
``Subscriptions`` inside its mock; ``q2c serve`` keeps one for each vendor registered through
its admin API. Whoever delivers asks ``matching(tenant, event)``: a dict lookup per tenant, the
endpoints of one tenant in registration order (a handful, never the whole history).

The signing secret is stored with the endpoint because the sender needs it on every attempt;
what a registrant is *shown* of it is the registration API's business (Stripe: only once).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["WEBHOOK_URL", "Endpoint", "Subscriptions", "url_problem"]

MAX_URL_LENGTH = 2048  # Stripe's limit on an endpoint URL (its API answers 400 past it)


@dataclass(frozen=True)
class Endpoint:
    """One registered receiver of a vendor's webhooks in one tenant."""

    id: str
    vendor: str
    tenant: str
    url: str
    events: tuple[str, ...]  # ("*",): every event the vendor sends
    secret: str | None  # what signs deliveries (None: the vendor does not sign)
    created: int  # unix seconds
    enabled: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # vendor fields (description, ...)

    def wants(self, event: str) -> bool:
        return self.enabled and ("*" in self.events or event in self.events)


class Subscriptions:
    """Endpoints by tenant, in registration order."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self._by_tenant: dict[str, dict[str, Endpoint]] = {}

    def add(self, endpoint: Endpoint) -> Endpoint:
        self._by_tenant.setdefault(endpoint.tenant, {})[endpoint.id] = endpoint
        return endpoint

    def get(self, tenant: str, endpoint_id: str) -> Endpoint | None:
        return self._by_tenant.get(tenant, {}).get(endpoint_id)

    def update(self, endpoint: Endpoint, **changes: Any) -> Endpoint:
        return self.add(replace(endpoint, **changes))

    def remove(self, tenant: str, endpoint_id: str) -> Endpoint | None:
        return self._by_tenant.get(tenant, {}).pop(endpoint_id, None)

    def of(self, tenant: str) -> list[Endpoint]:
        return list(self._by_tenant.get(tenant, {}).values())

    def matching(self, tenant: str, event: str) -> list[Endpoint]:
        return [e for e in self._by_tenant.get(tenant, {}).values() if e.wants(event)]

    def count(self, tenant: str) -> int:
        return len(self._by_tenant.get(tenant, {}))

    def __iter__(self) -> Iterator[Endpoint]:
        for tenant in list(self._by_tenant):
            yield from list(self._by_tenant[tenant].values())


# An absolute http(s) URL: a host name or IPv4 address, a port of 1 to 65535, RFC 3986 path
# and query characters. The same pattern is the spec's (contracts/payments.yaml,
# WebhookEndpointParams.url), so what the spec refuses the mock refuses.
WEBHOOK_URL = re.compile(
    r"^https?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?"
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
    r"(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?([?][A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None.

    Real vendors want public HTTPS URLs (Stripe refuses ``localhost`` and, in live mode,
    plain HTTP); the sandbox accepts http and loopback hosts on purpose, since a CI receiver
    runs next to it (README, known limitations). IPv6 literals are not accepted.
    """
    if len(url) > MAX_URL_LENGTH:
        return f"URLs are at most {MAX_URL_LENGTH} characters"
    if WEBHOOK_URL.fullmatch(url) is None:
        return "an absolute http or https URL (host name or IPv4 address, port 1-65535) is required"
    return None
