"""OAuth 2.0 client credentials for a vendor mock: a token endpoint, bearer tokens that carry a
tenant and scopes, and a check per operation.

Off by default (``enforce=False``): the simulator's core does not ask for tokens yet, so a mock
built without enforcement acts in the tenant its ``X-Tenant`` header names, as before, and
ignores any ``Authorization``. With enforcement on (the contract tests, ``q2c serve``) every
operation that declares a scope wants ``Authorization: Bearer <token>``: none, unknown or
expired is a 401, a token without the operation's scope a 403, and the tenant is the token's
(``X-Tenant`` is then ignored), so another tenant's records are simply not there (404).

Tokens are minted from a counter and the client's secret, never from ``uuid4`` or the wall
clock: a simulated run that turns enforcement on stays reproducible. They expire by the mock's
own clock (simulated time in the simulator). ``q2c serve``, which is not simulated, gives each
authority a random ``salt`` per server start, so a token never repeats across restarts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from mocks._http import Call, Problem, Reply, VendorApp

__all__ = ["TOKEN_PATHS", "Authority", "Client", "secure"]

# Where each vendor's identity provider answers (Salesforce, Ironclad, Kantata, Microsoft
# identity for Business Central, Avalara identity, Stripe Connect), relative to the mock's root.
TOKEN_PATHS = {
    "crm": "/services/oauth2/token",
    "clm": "/oauth/token",
    "psa": "/oauth/token",
    "erp": "/oauth2/v2.0/token",
    "tax": "/connect/token",
    "payments": "/oauth/token",
}
TOKEN_TTL_S = 3600
# Per vendor where it differs. "Kantata OX OAuth access tokens do not expire"
# (developer.kantata.com/kantata/specification/section/security, consulted 2026-12-07): the
# sandbox's PSA token says so with ten years, longer than any run, so an integration that
# reads Kantata's change feed every few hours does not fetch a token for every read.
TOKEN_TTL_BY_VENDOR_S = {"psa": 10 * 365 * 86400}
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Client:
    """An API client registered with the vendor, acting in one tenant."""

    client_id: str
    secret: str
    tenant: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Grant:
    tenant: str
    scopes: tuple[str, ...]
    expires: datetime
    client_id: str


class Authority:
    """The vendor's authorization server and the check every scoped operation goes through."""

    def __init__(
        self, vendor: str, clock: Callable[[], datetime], scopes: Iterable[str], *, enforce: bool
    ) -> None:
        self.vendor = vendor
        self.clock = clock
        self.scopes = tuple(scopes)
        self.enforce = enforce
        self.token_path = TOKEN_PATHS[vendor]
        self._clients: dict[str, Client] = {}
        self._tokens: dict[str, _Grant] = {}
        self._minted = 0
        self.salt = ""  # mixed into every token; random per start in q2c serve

    def register(
        self, client_id: str, secret: str, tenant: str, scopes: Iterable[str] | None = None
    ) -> Client:
        """Register (or replace) a client; ``scopes`` defaults to every scope of the vendor."""
        granted = tuple(self.scopes if scopes is None else scopes)
        unknown = [s for s in granted if s not in self.scopes]
        if unknown:
            raise ValueError(f"{self.vendor} has no scope {unknown[0]!r}")
        client = Client(client_id, secret, tenant, granted)
        self._clients[client_id] = client
        return client

    def revoke_tokens(self, tenant: str | None = None) -> None:
        """Forget every issued token (a state reset), or only those acting in ``tenant``;
        clients stay registered."""
        if tenant is None:
            self._tokens.clear()
            return
        for token in [t for t, grant in self._tokens.items() if grant.tenant == tenant]:
            del self._tokens[token]

    def unregister(self, tenant: str) -> None:
        """Forget the clients of ``tenant`` and their tokens (the tenant is deleted)."""
        for client_id in [c for c, client in self._clients.items() if client.tenant == tenant]:
            del self._clients[client_id]
        self.revoke_tokens(tenant)

    # -- the token endpoint --------------------------------------------------------------

    def issue(self, call: Call) -> Reply:
        """``POST`` client credentials (form body, or HTTP Basic for the client) -> a token."""
        media = call.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != FORM:
            raise _oauth(400, "invalid_request", "content-type", f"send the request as {FORM}")
        try:
            fields = dict(parse_qsl(call.content.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise _oauth(400, "invalid_request", "body", "the body is not a form") from None
        grant_type = fields.get("grant_type")
        if grant_type is None:
            raise _oauth(400, "invalid_request", "grant_type", "grant_type is required")
        if grant_type != "client_credentials":
            raise _oauth(
                400, "unsupported_grant_type", "grant_type", "only client_credentials is supported"
            )
        client_id, secret = self._client_credentials(call, fields)
        client = self._clients.get(client_id or "")
        if (
            client is None
            or secret is None
            or not hmac.compare_digest(client.secret.encode(), secret.encode())
        ):
            raise _oauth(401, "invalid_client", "client_id", "unknown client or wrong secret")
        raw = fields.get("scope")
        asked = [] if raw is None else raw.split(" ")
        if "" in asked:
            raise _oauth(400, "invalid_scope", "scope", "scopes are separated by single spaces")
        refused = [s for s in asked if s not in client.scopes]
        if refused:
            raise _oauth(400, "invalid_scope", "scope", f"scope {refused[0]!r} is not granted")
        scopes = tuple(dict.fromkeys(asked)) if asked else client.scopes
        self._minted += 1
        digest = hashlib.sha256(
            f"{self.salt}{client.secret}:{client.client_id}:{self._minted}".encode()
        )
        token = f"{self.vendor}.{digest.hexdigest()[:40]}"
        ttl = TOKEN_TTL_BY_VENDOR_S.get(self.vendor, TOKEN_TTL_S)
        expires = self.clock() + timedelta(seconds=ttl)
        self._tokens[token] = _Grant(client.tenant, scopes, expires, client.client_id)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": " ".join(scopes),
        }
        return Reply(200, body, {"cache-control": "no-store", "pragma": "no-cache"})

    @staticmethod
    def _client_credentials(call: Call, fields: dict[str, str]) -> tuple[str | None, str | None]:
        header = call.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise _oauth(
                    401, "invalid_client", "authorization", "bad Basic credentials"
                ) from None
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        return fields.get("client_id"), fields.get("client_secret")

    def client_of(self, authorization: str) -> str | None:
        """The client a valid, unexpired bearer token (an ``Authorization`` header's value)
        was issued to, else None. Read-only: a fault layer in front of the mock keys its quotas
        on it before the gate has looked at the call."""
        scheme, _, token = authorization.partition(" ")
        grant = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or self.clock() >= grant.expires:
            return None
        return grant.client_id

    # -- every scoped operation ----------------------------------------------------------

    def admit(self, call: Call, scope: str) -> str | None:
        """The tenant a scoped call acts in (``None``: not enforcing, use ``X-Tenant``), or a
        401/403 problem naming what is missing."""
        if not self.enforce:
            return None
        header = call.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(self.vendor, "a bearer token is required", None)
        grant = self._tokens.get(token.strip())
        if grant is None:
            raise _unauthorized(self.vendor, "the token is not valid", "invalid_token")
        if self.clock() >= grant.expires:
            raise _unauthorized(self.vendor, "the token has expired", "invalid_token")
        if scope not in grant.scopes:
            raise Problem(
                403,
                "Forbidden",
                f"the token lacks scope {scope}",
                errors=[{"field": "authorization", "message": f"scope {scope} required"}],
                headers={
                    "www-authenticate": f'Bearer realm="{self.vendor}", '
                    f'error="insufficient_scope", scope="{scope}"'
                },
            )
        call.granted_client = grant.client_id  # the quota key of the fault layer
        return grant.tenant


def secure(app: VendorApp, clock: Callable[[], datetime], *, enforce: bool) -> Authority:
    """Give ``app`` its token endpoint and its gate, with the scopes its routes declared; call
    it after every route is registered."""
    scopes = sorted({s for s in app.scopes().values() if s is not None})
    authority = Authority(app.name, clock, scopes, enforce=enforce)
    app.route("POST", authority.token_path)(authority.issue)
    app.gate = authority
    return authority


def _unauthorized(vendor: str, detail: str, error: str | None) -> Problem:
    challenge = f'Bearer realm="{vendor}"' + (f', error="{error}"' if error else "")
    return Problem(
        401,
        "Unauthorized",
        detail,
        errors=[{"field": "authorization", "message": detail}],
        headers={"www-authenticate": challenge},
    )


def _oauth(status: int, error: str, field: str, detail: str) -> Problem:
    """An RFC 6749 token error, as a problem document naming the field (and ``error``)."""
    problem = Problem(
        status,
        "Unauthorized" if status == 401 else "Bad Request",
        f"{error}: {detail}",
        errors=[{"field": field, "message": error}],
    )
    if status == 401:
        problem.headers["www-authenticate"] = 'Basic realm="token"'
    return problem
