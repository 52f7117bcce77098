"""``q2c serve``: the six vendor mocks over real HTTP, for anyone's integration or CI.

One uvicorn server mounts each mock under its role (``/crm``, ``/clm``, ``/psa``, ``/erp``,
``/tax``, ``/payments``), each with its own spec at ``<mount>/openapi.json`` and OAuth enforced
(the sandbox client ``q2c-contract`` is registered in the scenario's tenant, so a hand-run
``schemathesis run`` finds its token through ``schemathesis.toml``). Each mock sits behind a
fault layer (``mocks.FaultyVendor``) that an admin API under ``/_admin`` drives at run
time, Toxiproxy-style: add, list and remove fault rules per vendor (a quota may name a vendor
preset, as a scenario does), and reset the server's tenant; ``/_admin/tenants`` makes more
tenants, each with its own OAuth client, for CI jobs that share one server
(``sim.app._tenants``). Served from a scenario, the scenario's ``faults:`` are installed at
start, moved onto the wall clock (``sim.app._serve_faults``). The mocks' webhooks go to the
URLs registered for them (``sim.app.serve_webhooks``, routes under ``/_admin/webhooks`` in
``sim.app.webhook_admin``). Every request to a vendor and every answer is checked against the
vendor's spec (``contracts.traffic``, the validator the simulator's consumer checks use): the
findings per tenant are at ``GET /_admin/contract-report``, and ``strict`` refuses a request
that breaks the spec (422 naming the rule) before the vendor acts on it. The admin API wants
``Authorization: Bearer <admin token>`` and, unless the server was started with
``--allow-remote``, a loopback client.

This is not simulated code: the mocks run on the wall clock and the admin token is random.
"""

from __future__ import annotations

import gc
import hmac
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts import VENDORS, WEBHOOK_VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from contracts.specs import load
from contracts.traffic import TrafficChecker
from mocks import (
    Call,
    ErpMock,
    FaultyVendor,
    Mock,
    Mount,
    PaymentsMock,
    Problem,
    Reply,
    TaxMock,
    VendorApp,
    build,
    stripe_secret,
    to_response,
)
from sim.app._limits import H11_HEAD, MAX_BODY, Limits, fastest_protocol
from sim.app._serve_faults import admin_rule, apply_scenario_faults, scenario_offset
from sim.app._tenants import TenantAdmin, seed, wipe
from sim.app.serve_webhooks import Outbox
from sim.app.webhook_admin import WebhookAdmin
from sim.heap import LeanHeap
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.seeds import derive_seed

__all__ = ["ADMIN", "LOOPBACK", "Sandbox", "is_loopback"]

ADMIN = "/_admin"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEFAULT_TENANT = "sandbox"
_UNDER_ADMIN = ADMIN + "/"  # built once: every request is checked against it


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Sandbox:
    """Every mock behind its fault layer, the admin API, and the ASGI app serving them."""

    scenario: Scenario | None
    seed: int
    admin_token: str
    allow_remote: bool = False
    clock: Callable[[], datetime] = _wall_clock
    max_body: int = MAX_BODY  # bytes; a larger body is a 413 (sim.app._limits)
    # the scenario moment the server's start stands for (None: the period's first day)
    scenario_time: datetime | None = None
    webhooks_to: str | None = None  # registered for every webhook vendor, each its own way
    webhook_retry_scale: float = 1.0  # < 1 shrinks every vendor's retry waits (CI)
    strict: bool = False  # refuse requests that break the vendor's spec (q2c serve --strict)
    mocks: dict[str, Mock] = field(init=False, default_factory=dict)
    faults: dict[str, FaultyVendor] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.tenant = self.scenario.tenant if self.scenario is not None else DEFAULT_TENANT
        self.outbox = Outbox(self.seed, retry_scale=self.webhook_retry_scale)
        self._feed_rng = random.Random(derive_seed(self.seed, "serve", "feed", "psa"))
        if self.scenario is not None:
            self.outbox.chaos.update(self.scenario.faults.webhooks)
        events = {v: tuple(sorted(load(v).get("webhooks", {}))) for v in WEBHOOK_VENDORS}
        self.webhooks = WebhookAdmin(self.outbox, self.tenant, events)
        self.traffic = TrafficChecker(strict=self.strict)
        self._build_mocks()
        for vendor in VENDORS:
            rng = random.Random(derive_seed(self.seed, "serve", "faults", vendor))
            self.faults[vendor] = FaultyVendor(self.mocks[vendor].app, self.clock, rng)
        self.scenario_faults: dict[str, list[str]] = {}
        if self.scenario is not None:
            start = at(self.scenario.period.start, 0)
            offset = scenario_offset(start, self.clock(), self.scenario_time)
            self.scenario_faults = apply_scenario_faults(
                self.scenario.faults, self.faults, offset, self.seed
            )
        watched = {
            vendor: self.traffic.watch(vendor, layer) for vendor, layer in self.faults.items()
        }
        self.mount = Mount(watched)  # type: ignore[arg-type]
        self.limits = Limits(self._route, self.precheck, self.max_body)
        self.admin = self._admin_app()
        self.webhooks.install(self.admin, self._guarded, lambda: self.mocks["payments"])

    # -- the mocks -------------------------------------------------------------------------

    def _build_mocks(self) -> None:
        """Fresh mocks, OAuth enforced with tokens salted at random per start, the sandbox
        client registered in the server's tenant, seeded from the scenario (``seed``)."""
        options: dict[str, dict[str, Any]] = {vendor: {} for vendor in VENDORS}
        if self.scenario is not None:
            from sim.world.world import tax_rules

            options["tax"]["rules"] = tax_rules(self.scenario)
        options["psa"]["appearance"] = self._feed_appearance  # Kantata's feed: no webhooks
        self.mocks = {
            vendor: build(
                vendor, self.clock, self.outbox.sink, enforce_auth=True, **options[vendor]
            )
            for vendor in VENDORS
        }
        erp, tax = self.mocks["erp"], self.mocks["tax"]
        assert isinstance(erp, ErpMock) and isinstance(tax, TaxMock)
        erp.tax_connector = tax.estimate  # BC's AvaTax connector (mocks._erp_tax)
        for vendor, mock in self.mocks.items():
            mock.auth.salt = secrets.token_hex(16)
            mock.auth.register(CLIENT_ID, CLIENT_SECRET, self.tenant)
            self.traffic.guard(vendor, mock.app)
        seed(self.mocks, self.tenant, self.scenario)
        self._register_webhooks()

    def _feed_appearance(self, tenant: str, event_type: str) -> list[float]:
        """The scenario's webhook chaos for the PSA, on its Subscribed Events (as the
        simulation's courier draws it, ``sim.world.courier.Courier.feed``): a duplicate event,
        one that appears up to ``max_delay_s`` late, or none."""
        chaos = self.outbox.chaos.get("psa")
        if chaos is None:
            return [0.0]
        rng = self._feed_rng
        copies = 2 if rng.random() < chaos.duplicate else 1
        late = [round(rng.uniform(0.0, chaos.max_delay_s), 3)
                if chaos.max_delay_s > 0 and rng.random() < chaos.reorder else 0.0
                for _ in range(copies)]  # fmt: skip
        return [d for d in late if rng.random() >= chaos.drop]

    def _register_webhooks(self) -> None:
        """Stripe's endpoints live in its mock (random secrets here); ``--webhooks-to``."""
        payments = self.mocks["payments"]
        assert isinstance(payments, PaymentsMock)
        stripe = payments.webhook_endpoints
        stripe.new_secret = lambda tenant, n: stripe_secret()
        self.outbox.sources["payments"] = stripe
        self.registered_to: dict[str, dict[str, Any]] = {}
        if self.webhooks_to is None:
            return
        for vendor in WEBHOOK_VENDORS:
            if vendor == "payments":
                created = stripe.register(self.tenant, self.webhooks_to, ["*"])
                self.registered_to[vendor] = {"id": created["id"], "secret": created["secret"]}
            else:
                endpoint = self.webhooks.register(vendor, self.tenant, self.webhooks_to, ["*"])
                self.registered_to[vendor] = self.webhooks.describe(endpoint)

    def reset(self) -> None:
        """The server's own tenant back to its seeded state, its tokens revoked; webhook
        registrations and deliveries go (``--webhooks-to`` registers again). Other tenants'
        records (``/_admin/tenants``), fault rules and webhook chaos are left alone."""
        self.webhooks.reset()
        wipe(self.mocks, self.tenant)
        seed(self.mocks, self.tenant, self.scenario)
        self._register_webhooks()

    # -- the admin API ---------------------------------------------------------------------

    def _admin_app(self) -> VendorApp:
        admin = VendorApp("admin", spec="")
        admin.route("GET", ADMIN + "/faults")(self._guarded(self._list))
        admin.route("POST", ADMIN + "/faults/{vendor}")(self._guarded(self._add))
        admin.route("DELETE", ADMIN + "/faults/{vendor}")(self._guarded(self._clear))
        admin.route("DELETE", ADMIN + "/faults/{vendor}/{rule_id}")(self._guarded(self._remove))
        admin.route("POST", ADMIN + "/reset")(self._guarded(self._reset))
        TenantAdmin(lambda: self.mocks, self.scenario).install(admin, self._guarded)
        admin.route("GET", ADMIN + "/contract-report")(self._guarded(self._contract_report))
        admin.route("DELETE", ADMIN + "/contract-report")(self._guarded(self._clear_report))
        return admin

    def _guarded(self, handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
        def check(call: Call) -> Reply:
            refusal = self._refusal(call.headers.get("authorization", ""))
            if refusal is not None:
                raise refusal
            return handler(call)

        return check

    def _refusal(self, authorization: str) -> Problem | None:
        """The 401 of an admin call without the admin token (``None``: it has it)."""
        scheme, _, token = authorization.partition(" ")
        given = token.strip().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given, self.admin_token.encode()):
            return None
        return Problem(
            401,
            "Unauthorized",
            "the admin API wants Authorization: Bearer <admin token>",
            errors=[{"field": "authorization", "message": "admin token required"}],
            headers={"www-authenticate": 'Bearer realm="q2c-admin"'},
        )

    def _layer(self, call: Call) -> FaultyVendor:
        vendor = call.params["vendor"]
        if vendor not in self.faults:
            raise Problem(
                404,
                "Not Found",
                f"no vendor {vendor!r}: use one of {', '.join(VENDORS)}",
                errors=[{"field": "vendor", "message": "unknown vendor"}],
            )
        return self.faults[vendor]

    def _list(self, call: Call) -> Reply:
        return Reply(200, {vendor: layer.list() for vendor, layer in self.faults.items()})

    def _add(self, call: Call) -> Reply:
        layer = self._layer(call)
        rule = admin_rule(call.params["vendor"], call.json())
        rule_id = layer.add(rule)
        body = {"id": rule_id, "vendor": call.params["vendor"], **rule.model_dump(mode="json")}
        return Reply(201, body)

    def _remove(self, call: Call) -> Reply:
        if not self._layer(call).remove(call.params["rule_id"]):
            raise Problem(404, "Not Found", f"no fault rule {call.params['rule_id']!r}")
        return Reply(204)

    def _clear(self, call: Call) -> Reply:
        self._layer(call).clear()
        return Reply(204)

    def _reset(self, call: Call) -> Reply:
        self.reset()
        return Reply(204)

    def _contract_report(self, call: Call) -> Reply:
        """What the clients sent and got that breaks the vendors' specs, per tenant
        (``?tenant=`` for one)."""
        return Reply(200, self.traffic.report(call.query.get("tenant")))

    def _clear_report(self, call: Call) -> Reply:
        self.traffic.clear(call.query.get("tenant"))
        return Reply(204)

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.limits(scope, receive, send)

    def precheck(self, scope: dict[str, Any]) -> Problem | None:
        """The 401/403 a request earns by its head alone, asked before its body is read."""
        path, headers = scope["path"], httpx.Headers(scope["headers"])
        if path == ADMIN or path.startswith(_UNDER_ADMIN):
            return self._refusal(headers.get("authorization", ""))
        vendor, _, rest = path[1:].partition("/")
        mock = self.mocks.get(vendor)
        return None if mock is None else mock.app.precheck(scope["method"], "/" + rest, headers)

    async def _route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (
            scope["path"] == ADMIN or scope["path"].startswith(_UNDER_ADMIN)
        ):
            client = (scope.get("client") or ("", 0))[0]
            if not self.allow_remote and not is_loopback(str(client)):
                return await _forbidden(send)
            return await self.admin.asgi(scope, receive, send)
        return await self.mount(scope, receive, send)


async def _forbidden(send: Any) -> None:
    response = to_response(
        Problem(403, "Forbidden", "the admin API answers loopback clients only").reply()
    )
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": response.content})


def serve(
    *,
    host: str,
    port: int,
    scenario: Scenario | None,
    seed: int,
    admin_token: str,
    allow_remote: bool,
    console: Any,
    max_body: int = MAX_BODY,
    scenario_time: datetime | None = None,
    webhooks_to: str | None = None,
    webhook_retry_scale: float = 1.0,
    strict: bool = False,
) -> None:
    """Print where everything is, then serve until interrupted."""
    import uvicorn

    sandbox = Sandbox(
        scenario, seed, admin_token, allow_remote=allow_remote, max_body=max_body,
        scenario_time=scenario_time, webhooks_to=webhooks_to,
        webhook_retry_scale=webhook_retry_scale, strict=strict,
    )  # fmt: skip
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    console.print(f"q2c sandbox for tenant {sandbox.tenant!r} on {base}", highlight=False)
    for vendor in VENDORS:
        token_path = sandbox.mocks[vendor].auth.token_path
        console.print(
            f"  {vendor:9} {base}/{vendor}/openapi.json   token: POST {base}/{vendor}{token_path}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"  client_id={CLIENT_ID} client_secret={CLIENT_SECRET} (grant_type=client_credentials)\n"
        f"  admin: {base}{ADMIN}/faults, {base}{ADMIN}/tenants"
        f"  (Authorization: Bearer {admin_token})\n"
        f"  contract report: {base}{ADMIN}/contract-report"
        f"{'  (--strict: non-conforming requests are refused)' if strict else ''}\n"
        f"  contract test: SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run "
        f"{base}/erp/openapi.json",
        highlight=False,
        soft_wrap=True,
    )
    for vendor, rule_ids in sandbox.scenario_faults.items():
        console.print(
            f"  faults from the scenario on {vendor}: {', '.join(rule_ids)}", highlight=False
        )
    _print_webhooks(sandbox, base, console)
    # Speed (make bench-serve): uvloop is the loop ("auto"; pinned in pyproject), no access
    # log, and the parser is httptools (ProblemHttpToolsProtocol: bounded heads, problem
    # documents for refused ones), h11 only where httptools is missing.
    config = uvicorn.Config(
        sandbox, host=host, port=port, log_level="warning", lifespan="off", access_log=False,
        http=fastest_protocol(), h11_max_incomplete_event_size=H11_HEAD, loop="auto",
    )  # fmt: skip
    # Latency (make bench-serve's p99): every stored record is a few dicts the cyclic collector
    # walks, so with CPython's thresholds its full collections grew with the tenant's records
    # (POST p99 35 -> 106 ms over three rounds as 60,000 customers piled up). What exists at
    # start (specs, mocks, tables) is frozen out of its scans and young collections are made
    # rarer, as a simulated run does (sim.heap); reference counting still frees every answer.
    gc.freeze()
    heap = LeanHeap()
    heap.tune()
    try:
        uvicorn.Server(config).run()
    finally:
        sandbox.outbox.close()
        heap.release()  # a process that goes on (a test serving in-process) is left as it was
        gc.unfreeze()


def _print_webhooks(sandbox: Sandbox, base: str, console: Any) -> None:
    """Where webhooks go and the secrets that sign them (shown to the registrant: here)."""
    scale = sandbox.outbox.retry_scale
    note = "" if scale == 1 else f" (retry waits scaled by {scale:g}: NOT the vendors' pace)"
    console.print(
        f"  webhooks: Stripe's POST {base}/payments/v1/webhook_endpoints, others "
        f"POST {base}{ADMIN}/webhooks/{{crm,clm}}; log GET {base}{ADMIN}/webhooks/deliveries"
        + note,
        highlight=False,
        soft_wrap=True,
    )
    if sandbox.webhooks_to is None:
        return
    for vendor, registered in sandbox.registered_to.items():
        secret = registered.get("secret")
        how = f"secret {secret}" if secret else registered.get("signing", "")
        console.print(
            f"  -> {vendor:9} {sandbox.webhooks_to}  {how}", highlight=False, soft_wrap=True
        )
    if "clm" in sandbox.registered_to:
        console.print(
            "  clm verification key (Ironclad, PEM):\n"
            + sandbox.outbox.ironclad_key.public_pem.rstrip(),
            highlight=False,
            soft_wrap=True,
        )
