"""Two CI jobs share one `q2c serve`: two tenants, each tested by its own Schemathesis run (every
phase, the stateful one over the specs' links) in parallel, with its own OAuth client.

Both runs are green, neither tenant sees the other's records, each tenant's contract report
counts its own traffic only, and the stateful phase follows the spec's links to every linked
operation with the chain kept (``VendorScore.unreached``), except those in ``UNREACHED``, the
chains it cannot keep yet (listed with why; the gap is open, not accepted).

Tenants come from ``POST /_admin/tenants`` (a fresh, seeded tenant with its own OAuth client),
as two CI jobs sharing one server would make them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contracts import VENDORS
from contracts.conformance import linked_operations
from sim.app.serve import Sandbox
from tests.support.loopback import LoopbackServer

ADMIN = {"authorization": "Bearer admin"}
# Chains the stateful phase cannot keep yet from generated data alone (measured 2026-12-07,
# 25 examples, 10 steps): the linked record exists only after a step no link drives, or the
# link's source only answers 2xx to a body generated data rarely gets right.
_ERP_KEPT = {
    "GET /api/v2.0/companies({id})",
    "GET /api/v2.0/companies({company_id})/customers",
    "POST /api/v2.0/companies({company_id})/customers",
}
UNREACHED: dict[str, set[str]] = {
    "crm": set(),
    # a record exists once a workflow is signed, which no API call of the mock does
    "clm": {"PATCH /public/api/v1/records/{id}"},
    # an invoice needs an accepted milestone (accepted in the PSA's UI, not over this API);
    # a rate card version needs a workspace and a role, from two different answers
    "psa": {"GET /api/v1/invoices/{id}", "GET /api/v1/rate_card_versions/{id}"},
    # invoices, credit memos and payments need lines whose amounts agree to the cent with a
    # customer of the company; the links from a created customer are seldom drawn
    "erp": linked_operations("erp") - _ERP_KEPT,
    # a transaction is created only for addresses the tax profile covers
    "tax": linked_operations("tax"),
    # reached by the in-process suite at 30 examples; a served run at 25 does not always draw
    # these links (2026-12-07: one of two tenants' runs missed them)
    "payments": {"GET /v1/events/{id}", "GET /v1/payment_intents", "POST /v1/customers/{customer}"},
}

_RUN = """
import json, sys
from contracts.conformance import run_vendor
vendor, url, client_id, secret, examples = sys.argv[1:6]
score = run_vendor(vendor, url=url, examples=int(examples), max_steps=10,
                   credentials=(client_id, secret))
print(json.dumps({
    "ok": score.ok,
    "failures": [f"{f.operation}: {f.check}: {f.message[:300]}" for f in score.failures],
    "errors": score.errors[:5],
    "unreached": score.unreached(),
    "statuses": {str(k): v for k, v in score.statuses.items()},
    "links": dict(score.links),
}))
"""


def _new_tenant(server: Served) -> tuple[str, tuple[str, str]]:
    """A fresh, seeded tenant made the way a CI job makes one (``POST /_admin/tenants``): its
    id and its OAuth client's credentials."""
    answer = httpx.post(server.url("/_admin/tenants"), headers=ADMIN, json={}, timeout=10)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    return made["id"], (made["client_id"], made["client_secret"])


class Served(LoopbackServer):
    def __init__(self) -> None:
        self.sandbox = Sandbox(None, seed=1, admin_token="admin")
        super().__init__(self.sandbox)


@pytest.fixture
def served() -> Iterator[Served]:
    with Served() as server:
        yield server


def _token(served: Served, vendor: str, client: tuple[str, str]) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1]}
    path = served.sandbox.mocks[vendor].auth.token_path
    answer = httpx.post(served.url(f"/{vendor}{path}"), data=form, timeout=10)
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def _parallel_runs(
    served: Served, vendor: str, clients: dict[str, tuple[str, str]], examples: int
) -> dict[str, dict[str, Any]]:
    """One Schemathesis run per tenant, all at once, each in its own process."""
    url = served.url(f"/{vendor}/openapi.json")
    runs = {
        tenant: subprocess.Popen(
            [sys.executable, "-c", _RUN, vendor, url, *client, str(examples)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tenant, client in clients.items()
    }
    results = {}
    for tenant, process in runs.items():
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err[-3000:]
        results[tenant] = json.loads(out.strip().splitlines()[-1])
    return results


def _erp_records(served: Served, client: tuple[str, str]) -> set[str]:
    """Every company and customer id the client's tenant sees in the ERP."""
    auth = _token(served, "erp", client)
    base = served.url("")
    companies = httpx.get(f"{base}/erp/api/v2.0/companies", headers=auth, timeout=10).json()
    seen = {c["id"] for c in companies["value"]}
    for company in list(seen):
        customers = httpx.get(f"{base}/erp/api/v2.0/companies({company})/customers",
                              headers=auth, timeout=10).json()  # fmt: skip
        seen |= {c["id"] for c in customers["value"]}
    return seen


def _check(served: Served, vendor: str, examples: int) -> None:
    clients = dict(_new_tenant(served) for _ in range(2))
    results = _parallel_runs(served, vendor, clients, examples)
    for tenant, result in results.items():
        assert result["ok"], (tenant, result["failures"], result["errors"])
        lost = set(result["unreached"]) - UNREACHED[vendor]
        assert not lost, (tenant, sorted(lost), result["links"])
        if UNREACHED[vendor] != linked_operations(vendor):
            assert result["links"], f"{tenant}: the stateful phase followed no link"
    report = httpx.get(served.url("/_admin/contract-report"), headers=ADMIN, timeout=10).json()
    for tenant in clients:
        assert report["tenants"][tenant]["requests"] > 0
    assert "sandbox" not in report["tenants"]  # the default tenant sent nothing
    if vendor == "erp":
        alpha, beta = (_erp_records(served, client) for client in clients.values())
        assert alpha and beta and not alpha & beta


def test_two_tenants_in_parallel_on_one_server_bounded() -> None:
    """The CLM (smallest spec), two parallel runs with a small budget: green, isolated."""
    with Served() as server:
        _check(server, "clm", examples=3)


@pytest.mark.contract
@pytest.mark.parametrize("vendor", VENDORS)
def test_two_tenants_in_parallel_on_one_server(served: Served, vendor: str) -> None:
    """Every vendor, two tenants' Schemathesis runs at once against one server (make contract)."""
    _check(served, vendor, examples=25)
