"""``q2c serve``: the six vendor mocks over real HTTP, for anyone's integration or CI.

One uvicorn server mounts each mock under its role (``/crm``, ``/clm``, ``/psa``, ``/erp``,
``/tax``, ``/payments``), each with its own spec at ``<mount>/openapi.json`` and OAuth enforced
(the sandbox client ``q2c-contract`` is registered in the scenario's tenant, so a hand-run
``schemathesis run`` finds its token through ``schemathesis.toml``). Each mock sits behind a
fault layer (``mocks.FaultyVendor``) that an admin API under ``/_admin`` drives at run
time, Toxiproxy-style: add, list and remove fault rules per vendor, and reset every mock's
state. The admin API wants ``Authorization: Bearer <admin token>`` and, unless the server was
started with ``--allow-remote``, a loopback client.

This is not simulated code: the mocks run on the wall clock and the admin token is random.
"""

from __future__ import annotations

import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from contracts import VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from mocks import (
    Call,
    FaultyVendor,
    Mock,
    Mount,
    Problem,
    Reply,
    VendorApp,
    build,
    invalid,
    parse_rule,
    to_response,
)
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
    mocks: dict[str, Mock] = field(init=False, default_factory=dict)
    faults: dict[str, FaultyVendor] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.tenant = self.scenario.tenant if self.scenario is not None else DEFAULT_TENANT
        self._build_mocks()
        for vendor in VENDORS:
            rng = random.Random(derive_seed(self.seed, "serve", "faults", vendor))
            self.faults[vendor] = FaultyVendor(self.mocks[vendor].app, self.clock, rng)
        self.mount = Mount(self.faults)  # type: ignore[arg-type]
        self.admin = self._admin_app()

    # -- the mocks -------------------------------------------------------------------------

    def _build_mocks(self) -> None:
        """Fresh mocks, OAuth enforced, the sandbox client registered, seeded from the
        scenario: the ERP's companies are its legal entities, the PSA has its roles and one
        consultant per staffing line, the CRM an account per client, the tax engine its rules."""
        options: dict[str, dict[str, Any]] = {vendor: {} for vendor in VENDORS}
        if self.scenario is not None:
            from sim.world.world import tax_rules

            options["tax"]["rules"] = tax_rules(self.scenario)
        self.mocks = {
            vendor: build(vendor, self.clock, None, enforce_auth=True, **options[vendor])
            for vendor in VENDORS
        }
        for mock in self.mocks.values():
            mock.auth.register(CLIENT_ID, CLIENT_SECRET, self.tenant)
        self._seed()

    def _seed(self) -> None:
        erp, psa, crm = self.mocks["erp"], self.mocks["psa"], self.mocks["crm"]
        assert hasattr(erp, "add_company") and hasattr(psa, "add_role")
        assert hasattr(crm, "create") and hasattr(psa, "add_user")
        s = self.scenario
        if s is None:
            erp.add_company(self.tenant, "SANDBOX-DE", "DE", "EUR", "Sandbox GmbH")
            role = psa.add_role(self.tenant, "Engineer")
            psa.add_user(self.tenant, "Sandbox Engineer", "engineer@sandbox.example", role, "DE")
            return
        for entity in s.legal_entities:
            erp.add_company(
                self.tenant, entity.id, entity.country, entity.currency, entity.name,
                entity.region,
            )  # fmt: skip
        roles = {name: psa.add_role(self.tenant, name) for name in s.roles}
        for contract in s.contracts:
            for k, staff in enumerate(contract.staffing):
                email = f"{contract.id.lower()}.{k}@firm.example"
                name = f"{staff.role} {staff.country} {contract.id} {k}"
                psa.add_user(self.tenant, name, email, roles[staff.role], staff.country)
        for client in s.clients:
            crm.create(self.tenant, "Account", {"Name": client.name or client.id})

    def reset(self) -> None:
        """Every mock back to its seeded state; fault rules stay installed."""
        self._build_mocks()
        for vendor, layer in self.faults.items():
            layer.app = self.mocks[vendor].app

    # -- the admin API ---------------------------------------------------------------------

    def _admin_app(self) -> VendorApp:
        admin = VendorApp("admin", spec="")
        admin.route("GET", ADMIN + "/faults")(self._guarded(self._list))
        admin.route("POST", ADMIN + "/faults/{vendor}")(self._guarded(self._add))
        admin.route("DELETE", ADMIN + "/faults/{vendor}")(self._guarded(self._clear))
        admin.route("DELETE", ADMIN + "/faults/{vendor}/{rule_id}")(self._guarded(self._remove))
        admin.route("POST", ADMIN + "/reset")(self._guarded(self._reset))
        return admin

    def _guarded(self, handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
        def check(call: Call) -> Reply:
            scheme, _, token = call.headers.get("authorization", "").partition(" ")
            given = token.strip().encode()
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given, self.admin_token.encode()
            ):
                raise Problem(
                    401,
                    "Unauthorized",
                    "the admin API wants Authorization: Bearer <admin token>",
                    errors=[{"field": "authorization", "message": "admin token required"}],
                    headers={"www-authenticate": 'Bearer realm="q2c-admin"'},
                )
            return handler(call)

        return check

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
        try:
            rule = parse_rule(call.json())
        except ValidationError as exc:
            raise invalid(exc) from None
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

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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
) -> None:
    """Print where everything is, then serve until interrupted."""
    import uvicorn

    sandbox = Sandbox(scenario, seed, admin_token, allow_remote=allow_remote)
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
        f"  admin: {base}{ADMIN}/faults  (Authorization: Bearer {admin_token})\n"
        f"  contract test: SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run "
        f"{base}/erp/openapi.json",
        highlight=False,
        soft_wrap=True,
    )
    # Speed (issue 12, make bench-serve): "auto" picks httptools' C parser and uvloop, pinned in
    # pyproject, over h11 and asyncio's loop; no access log, no lifespan round trip.
    config = uvicorn.Config(
        sandbox, host=host, port=port, log_level="warning", lifespan="off", access_log=False,
        http="auto", loop="auto",
    )  # fmt: skip
    uvicorn.Server(config).run()
