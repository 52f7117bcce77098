"""Two CI jobs share one `q2c serve`: two tenants, each tested by its own Schemathesis run (every
phase, the stateful one over the specs' links) in parallel, with its own OAuth client.

Both runs are green, neither tenant sees the other's records, each tenant's contract report
counts its own traffic only, and the stateful phase follows the spec's links to every linked
operation with the chain kept (``VendorScore.unreached``), except those in ``UNREACHED``, the
chains it cannot keep yet (none today).

Tenants come from ``POST /_admin/tenants`` (a fresh, seeded tenant with its own OAuth client,
with the history a firm has before its integration calls: ``sim.app._serve_history``), as two
CI jobs sharing one server would make them.
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
# Chains the stateful phase cannot keep yet (listed with why; the gap is open, not accepted).
# Since 2026-12-07 the records only the vendors' UIs make come with the tenant (``history``),
# lists link to their records, and the stateful phase sends what a client following the links
# sends (``contracts.conformance_client``): every linked operation is reached. (The ERP's
# journal payment read, four links deep, was drawn too rarely until the journal list linked
# to it through ``$expand=customerPayments``, three links deep.)
UNREACHED: dict[str, set[str]] = {vendor: set() for vendor in VENDORS}
# The ERP's credit memo lines read was reached by one tenant of two in one fresh-clone CI run
# (2026-12-07): the memo list's link to its first memo's lines was drawn about once a run. The
# memo's own read (followed 20-34 times a run) now links to its lines too, as BC's navigation
# property does: 33 follows in one measured run.

# The stateful phase's budget per vendor, (scenarios, steps per scenario), also in the bounded
# run, over the specs' own links only (``inferred_links=False``). A chain from a list to a
# record's read, on to its update or payment, is three or four links deep: the PSA, payments
# and ERP take 20 steps, and the ERP, whose payment chain starts at its companies, journals
# and payments (four links), 60 scenarios. Measured 2026-12-07 (two tenants at once, every
# phase, 25 scenarios of 20 steps): the least-followed linked operation was followed 7 (PSA),
# 8 (payments), 20 (tax) and 48+ (CRM, CLM) times, the ERP's once. The ERP has 30 links: at 60
# scenarios a link followed 25 times in one run was followed 0 times in the next (one tenant,
# 2026-12-07), so it takes 100.
BUDGETS = {"erp": (100, 20), "psa": (25, 20), "payments": (25, 20)}
DEFAULT_BUDGET = (25, 10)

_RUN = """
import json, sys
from contracts.conformance import run_vendor
vendor, url, client_id, secret, examples, steps, scenarios = sys.argv[1:8]
score = run_vendor(vendor, url=url, examples=int(examples), max_steps=int(steps),
                   stateful_examples=int(scenarios), inferred_links=False,
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
    """A fresh tenant made the way a CI job makes one (``POST /_admin/tenants``), seeded with
    the records only the vendors' own UIs make (``history``): its id and its OAuth client's
    credentials."""
    answer = httpx.post(
        server.url("/_admin/tenants"), headers=ADMIN, json={"history": True}, timeout=10
    )
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
    scenarios, steps = BUDGETS.get(vendor, DEFAULT_BUDGET)
    budget = (examples, steps, scenarios)
    runs = {
        tenant: subprocess.Popen(
            [sys.executable, "-c", _RUN, vendor, url, *client, *map(str, budget)],
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
        if linked_operations(vendor) - UNREACHED[vendor]:
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
    """Every vendor, two tenants' Schemathesis runs at once against one server (make served)."""
    _check(served, vendor, examples=25)
