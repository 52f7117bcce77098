"""OAuth 2.0 client credentials for the core: one bearer token per vendor, asked for with only
the scopes the reference core's calls need, kept until shortly before it expires.

Like the resilience layer it wraps the runtime, so adapters never see a token. A token the
vendor no longer accepts (401) is replaced once and the call sent again; a token endpoint that
fails hands its own answer (503, 429, ...) to the retry layer above, as any failed call would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode

import httpx

from orchestrator._wire import decode
from orchestrator.runtime import Flow, Runtime, RuntimeLayer

__all__ = ["SCOPES", "TOKEN_PATHS", "TokenRuntime"]

# Each vendor's token endpoint (Salesforce, Ironclad, Kantata, Microsoft identity for Business
# Central, Avalara identity, Stripe Connect).
TOKEN_PATHS = {
    "crm": "/services/oauth2/token",
    "clm": "/oauth/token",
    "psa": "/oauth/token",
    "erp": "/oauth2/v2.0/token",
    "tax": "/connect/token",
    "payments": "/oauth/token",
}

# What the reference core does with each vendor, and nothing more: it reads the CRM, never
# writes it; it records invoices in the PSA but never edits time; it posts to the ERP and
# reads back only what it checks.
SCOPES: dict[str, tuple[str, ...]] = {
    "crm": ("crm:records.read",),
    "clm": (  # Ironclad's own scope names
        "public.records.readRecords", "public.workflows.readWorkflows",
        "public.workflows.createWorkflows",
    ),
    "psa": (
        "psa:workspaces.read", "psa:workspaces.write", "psa:rates.read", "psa:rates.write",
        "psa:milestones.read",
        "psa:milestones.write", "psa:people.read", "psa:time.read", "psa:expenses.read",
        "psa:invoices.read", "psa:invoices.write",
        "psa:events.read",  # Subscribed Events, the change feed the core polls
    ),
    "erp": (
        "erp:companies.read", "erp:customers.read", "erp:customers.write", "erp:currencies.read",
        "erp:invoices.read", "erp:invoices.write", "erp:payments.read", "erp:payments.write",
        "erp:credits.read", "erp:credits.write",
    ),
    "tax": ("tax:transactions.write",),
    "payments": (
        "payments:customers.write", "payments:payment_intents.read",
        "payments:payment_intents.write", "payments:events.read",  # the reconciliation's log
    ),
}  # fmt: skip

_EARLY = timedelta(seconds=60)  # renew a minute before expiry: no call races the clock


class TokenRuntime(RuntimeLayer):
    """The runtime, with ``Authorization: Bearer`` added to every vendor call."""

    def __init__(
        self,
        inner: Runtime,
        client_id: str,
        client_secret: str,
        scopes: Mapping[str, tuple[str, ...]] = SCOPES,
    ) -> None:
        super().__init__(inner)
        self._client = (client_id, client_secret)
        self._scopes = dict(scopes)
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._fetching: dict[str, None] = {}
        self.issued = 0

    def send(
        self,
        vendor: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Flow[httpx.Response]:
        for renewed in (False, True):
            token = yield from self._token(vendor, renew=renewed)
            if isinstance(token, httpx.Response):
                return token  # the token endpoint failed: that is this call's answer
            response = yield from self._inner.send(
                vendor, method, path, content=content, params=params,
                headers={**(headers or {}), "authorization": f"Bearer {token}"},
            )  # fmt: skip
            if response.status_code != 401:
                break
            self._tokens.pop(vendor, None)  # rejected: the vendor forgot it, ask again once
        return response

    def _token(self, vendor: str, renew: bool) -> Flow[str | httpx.Response]:
        while vendor in self._fetching:  # another flow is asking right now: use its token
            yield from self._inner.sleep(0.5)
        held = self._tokens.get(vendor)
        if held is not None and not renew and self._inner.now() < held[1] - _EARLY:
            return held[0]
        self._fetching[vendor] = None
        try:
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client[0],
                "client_secret": self._client[1],
                "scope": " ".join(self._scopes[vendor]),
            }
            try:
                response = yield from self._inner.send(
                    vendor, "POST", TOKEN_PATHS[vendor], content=urlencode(form).encode(),
                    headers={"content-type": "application/x-www-form-urlencoded",
                             "accept": "application/json"},
                )  # fmt: skip
            except httpx.TransportError as exc:
                # no token, and the call itself never went out: a plain "unavailable", which
                # the retry layer repeats (asking for a token twice does no harm)
                response = httpx.Response(503, json={"title": "token endpoint unreachable",
                                                     "detail": str(exc)})  # fmt: skip
        finally:
            del self._fetching[vendor]
        if response.status_code != 200:
            return response
        body = decode(response.content)
        token = str(body["access_token"])
        self._tokens[vendor] = (token, self._inner.now() + timedelta(seconds=body["expires_in"]))
        self.issued += 1
        return token
