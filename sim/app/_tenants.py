"""Tenants of ``q2c serve``: isolated sandboxes on one server, so parallel CI jobs can share it.

Every mock already keeps its records per tenant and every scoped request acts in its bearer
token's tenant (``Call.granted_tenant``), so a tenant is an OAuth client registered on all six
mocks with the tenant's name, plus its seed data. ``POST /_admin/tenants`` makes one with a
random client id and secret (``secrets``: serve is not simulated code) and shows the secret
once; ``POST /_admin/tenants/{id}/reset`` wipes and reseeds that tenant only, and
``DELETE /_admin/tenants/{id}`` forgets its data, its client and its tokens. The server's own
tenant (the scenario's, with the documented sandbox client) is always there and is what the
older ``POST /_admin/reset`` resets.

A tenant may be seeded from another scenario (``{"scenario": "<library name or path>"}``): its
companies, roles, consultants and accounts; ``{"history": true}`` adds the records only a
vendor's own UI makes (an executed contract, billable milestones, posted documents:
``sim.app._serve_history``), for a CI job that follows every link of the specs. The tax
engine's rule book is the server's, built from the server's scenario at start (a sandbox
simplification, in the README).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mocks import Call, Mock, Problem, PsaMock, Reply, VendorApp
from sim.app._serve_history import seed_history
from sim.firm.workforce import kantata_roles
from sim.scenario.format import Scenario

__all__ = ["TENANTS", "TenantAdmin", "seed", "wipe"]

TENANTS = "/_admin/tenants"
LIBRARY = Path("scenarios")  # where a bare scenario name is looked up, as `q2c scenarios list`


def seed(mocks: Mapping[str, Mock], tenant: str, scenario: Scenario | None) -> None:
    """Give ``tenant`` its starting records: the ERP's companies are the scenario's legal
    entities, the PSA has its roles and one consultant per staffing line, the CRM an account
    per client (without a scenario: one company, one role, one engineer)."""
    erp, psa, crm = mocks["erp"], mocks["psa"], mocks["crm"]
    assert hasattr(erp, "add_company") and hasattr(psa, "add_role")
    assert hasattr(crm, "create") and hasattr(psa, "add_user")
    if scenario is None:
        erp.add_company(tenant, "SANDBOX-DE", "DE", "EUR", "Sandbox GmbH")
        role = psa.add_role(tenant, "Engineer")
        psa.add_user(tenant, "Sandbox Engineer", "engineer@sandbox.example", role, "DE")
        return
    for entity in scenario.legal_entities:
        erp.add_company(
            tenant, entity.id, entity.country, entity.currency, entity.name, entity.region
        )
    roles = {pair: psa.add_role(tenant, name) for pair, name in kantata_roles(scenario).items()}
    for contract in scenario.contracts:
        for k, staff in enumerate(contract.staffing):
            email = f"{contract.id.lower()}.{k}@firm.example"
            name = f"{staff.role} {staff.country} {contract.id} {k}"
            psa.add_user(tenant, name, email, roles[staff.role, staff.country], staff.country)
    for client in scenario.clients:
        crm.create(tenant, "Account", {"Name": client.name or client.id})


def wipe(mocks: Mapping[str, Mock], tenant: str) -> None:
    """Forget every record and issued token of ``tenant`` (its clients stay registered)."""
    for mock in mocks.values():
        mock.tables.drop(tenant)
        if isinstance(mock, PsaMock):
            mock.events.drop(tenant)  # its Subscribed Events too
        mock.auth.revoke_tokens(tenant)


@dataclass
class _Tenant:
    id: str
    client_id: str
    scenario: Scenario | None
    source: str | None  # what the caller asked to seed from, echoed in listings
    history: bool = False  # seeded with the records only the vendors' UIs make


class TenantAdmin:
    """The ``/_admin/tenants`` routes over the served mocks (``mocks`` is read on every call:
    the sandbox may swap them)."""

    def __init__(self, mocks: Callable[[], Mapping[str, Mock]], default: Scenario | None) -> None:
        self._mocks = mocks
        self._default = default
        self._tenants: dict[str, _Tenant] = {}

    def install(self, admin: VendorApp, guarded: Callable[[Any], Any]) -> None:
        admin.route("GET", TENANTS)(guarded(self._list))
        admin.route("POST", TENANTS)(guarded(self._create))
        admin.route("GET", TENANTS + "/{id}")(guarded(self._read))
        admin.route("POST", TENANTS + "/{id}/reset")(guarded(self._reset))
        admin.route("DELETE", TENANTS + "/{id}")(guarded(self._delete))

    def _create(self, call: Call) -> Reply:
        body = call.json() if call.content.strip() else {}
        if not isinstance(body, dict) or set(body) - {"scenario", "history"}:
            raise Problem(
                422,
                "Unprocessable Entity",
                'the body is {} or {"scenario": "<library name or path>", "history": true}',
                errors=[{"field": "scenario", "message": "the members are scenario and history"}],
            )
        history = body.get("history", False)
        if not isinstance(history, bool):
            raise Problem(
                422,
                "Unprocessable Entity",
                "history must be true or false",
                errors=[{"field": "history", "message": "expected a boolean"}],
            )
        source = body.get("scenario")
        scenario = self._default if source is None else _scenario(source)
        tenant = _Tenant(f"t-{secrets.token_hex(8)}", "", scenario, source, history)
        tenant.client_id = f"q2c-{tenant.id}"
        secret = secrets.token_urlsafe(32)
        mocks = self._mocks()
        for mock in mocks.values():
            mock.auth.register(tenant.client_id, secret, tenant.id)
        self._seed(mocks, tenant)
        self._tenants[tenant.id] = tenant
        answer = {**_view(tenant, mocks), "client_secret": secret}
        return Reply(
            201, answer, {"cache-control": "no-store", "location": f"{TENANTS}/{tenant.id}"}
        )

    def _list(self, call: Call) -> Reply:
        mocks = self._mocks()
        return Reply(200, {"tenants": [_view(t, mocks) for t in self._tenants.values()]})

    def _read(self, call: Call) -> Reply:
        return Reply(200, _view(self._found(call), self._mocks()))

    def _found(self, call: Call) -> _Tenant:
        tenant = self._tenants.get(call.params["id"])
        if tenant is None:
            raise Problem(
                404,
                "Not Found",
                f"no tenant {call.params['id']!r} (deleted, or made by another server start)",
                errors=[{"field": "id", "message": "unknown tenant"}],
            )
        return tenant

    def _reset(self, call: Call) -> Reply:
        tenant = self._found(call)
        mocks = self._mocks()
        wipe(mocks, tenant.id)
        self._seed(mocks, tenant)
        return Reply(204)

    @staticmethod
    def _seed(mocks: Mapping[str, Mock], tenant: _Tenant) -> None:
        seed(mocks, tenant.id, tenant.scenario)
        if tenant.history:
            seed_history(mocks, tenant.id, tenant.scenario)

    def _delete(self, call: Call) -> Reply:
        tenant = self._found(call)
        mocks = self._mocks()
        wipe(mocks, tenant.id)
        for mock in mocks.values():
            mock.auth.unregister(tenant.id)
        del self._tenants[tenant.id]
        return Reply(204)


def _view(tenant: _Tenant, mocks: Mapping[str, Mock]) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "client_id": tenant.client_id,
        "scenario": tenant.source,
        "history": tenant.history,
        "token_paths": {
            vendor: f"/{vendor}{mock.auth.token_path}" for vendor, mock in mocks.items()
        },
    }


def _scenario(source: Any) -> Scenario:
    """The scenario a tenant is seeded from: a library name or a YAML path, else a 422 that
    says what is wrong with it (file, line, field path, expectation)."""
    from sim.scenario import ScenarioError, load_scenario

    if not isinstance(source, str) or not source:
        raise Problem(
            422,
            "Unprocessable Entity",
            "scenario must be a library scenario's name or a YAML file's path",
            errors=[{"field": "scenario", "message": "expected a name or a path"}],
        )
    path = Path(source)
    if path.suffix not in (".yaml", ".yml") and len(path.parts) == 1:
        path = LIBRARY / f"{source}.yaml"
    if not path.is_file():
        raise Problem(
            422,
            "Unprocessable Entity",
            f"no scenario file {str(path)!r}",
            errors=[{"field": "scenario", "message": "no such file"}],
        )
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise Problem(
            422,
            "Unprocessable Entity",
            exc.render(),
            errors=[
                {"field": f"scenario:{p.path}", "message": str(p), "line": p.line}
                for p in exc.problems
            ],
        ) from None
