"""Faults that bite over HTTP in `q2c serve`: latency spent on the wall clock without blocking
other requests, a concurrency cap across connections, quotas per OAuth client, vendor presets
through the admin API, a scenario's `faults:` on the wall clock, and every fault answer in the
served specs. Each server is a real `q2c serve` on a free loopback port, started and stopped
here."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from contracts import VENDORS
from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from sim.app.serve import Sandbox
from sim.scenario import load_scenario
from tests.support.paths import SMALL
from tests.support.served import q2c_serve

ADMIN = {"authorization": "Bearer faults-admin-token"}
COMPANIES = "/erp/api/v2.0/companies"
# SMALL's period starts 2026-03-01: the ERP is down for its first day, the CRM refuses
# connections on its second, the tax engine errs on every call until the scenario heals.
FAULTS = """
faults:
  heal: 2026-03-03
  vendors:
    erp:
      outages:
        - {start: 2026-03-01T00:00:00, end: 2026-03-02T00:00:00}
    crm:
      outages:
        - {start: 2026-03-02T00:00:00, end: 2026-03-02T12:00:00, mode: refused}
    tax:
      errors: {rate: 1.0}
"""


def _serve(*options: str) -> Iterator[str]:
    """`q2c serve` with the admin token until the generator is closed; yields its base URL."""
    with q2c_serve("--admin-token", ADMIN["authorization"].split()[1], *options) as server:
        yield server.base


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    yield from _serve()


@pytest.fixture
def erp(served: str) -> Iterator[dict[str, str]]:
    """The ERP's bearer header; every fault rule of the ERP is cleared afterwards."""
    yield _token(served, "erp", "/oauth2/v2.0/token")
    assert httpx.delete(f"{served}/_admin/faults/erp", headers=ADMIN).status_code == 204


def _token(base: str, vendor: str, path: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    answer = httpx.post(f"{base}/{vendor}{path}", data=form)
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['access_token']}"}


def _add(base: str, vendor: str, rule: dict[str, object]) -> dict[str, object]:
    added = httpx.post(f"{base}/_admin/faults/{vendor}", json=rule, headers=ADMIN)
    assert added.status_code == 201, added.text
    body: dict[str, object] = added.json()
    return body


def _in_parallel(
    clients: int, calls: int, *targets: tuple[str, dict[str, str]]
) -> list[list[tuple[int, float]]]:
    """``clients`` threads, each with its own connection, making ``calls`` rounds in a row of
    one call to each (url, headers) target: (status, seconds) per call, per target."""

    def client(_: int) -> list[list[tuple[int, float]]]:
        timings: list[list[tuple[int, float]]] = [[] for _ in targets]
        with httpx.Client(timeout=30) as http:
            for _ in range(calls):
                for (url, headers), timed in zip(targets, timings, strict=True):
                    began = time.perf_counter()
                    status = http.get(url, headers=headers).status_code
                    timed.append((status, time.perf_counter() - began))
        return timings

    with ThreadPoolExecutor(clients) as pool:
        per_client = list(pool.map(client, range(clients)))
    return [[t for timings in per_client for t in timings[i]] for i in range(len(targets))]


def test_latency_is_spent_on_the_wall_clock_without_blocking_other_requests(
    served: str, erp: dict[str, str]
) -> None:
    """A 200 ms median latency rule, 200 ERP calls from 20 connections at once: the calls' p50
    is within 20% of 200 ms above that of CRM calls (no rule) made alongside by the same
    clients, and the 200 take about 10 medians, not 200 (a blocking sleep would serialise
    them: 40 s). A busy machine only ever adds delay (tens of ms at a load of 14 on 2 cores),
    so the round is measured up to three times and the least added p50 is judged."""
    _add(served, "erp", {"kind": "latency", "median_ms": 200, "p99_ms": 400})
    crm = _token(served, "crm", "/services/oauth2/token")
    query = f"{served}/crm/services/data/v60.0/query?q=SELECT Id FROM Account"
    added = []
    for _ in range(3):
        began = time.perf_counter()
        faulty, plain = _in_parallel(20, 10, (f"{served}{COMPANIES}", erp), (query, crm))
        elapsed = time.perf_counter() - began
        assert {status for status, _ in faulty + plain} == {200}
        assert elapsed < 10, f"200 calls took {elapsed:.1f} s: the latency blocks other requests"
        p50 = statistics.median(seconds for _, seconds in faulty)
        added.append(p50 - statistics.median(seconds for _, seconds in plain))
        if min(added) <= 0.240:
            break
    assert min(added) == pytest.approx(0.200, rel=0.20), added


def test_a_concurrency_cap_of_one_answers_429_to_parallel_clients(
    served: str, erp: dict[str, str]
) -> None:
    """8 clients on their own connections under a cap of 1 call in flight: some calls are
    answered, the ones that came while another was in flight get 429."""
    _add(served, "erp", {"kind": "quota", "concurrency": 1})
    (timings,) = _in_parallel(8, 40, (f"{served}{COMPANIES}", erp))
    statuses = [status for status, _ in timings]
    assert set(statuses) == {200, 429}, statuses
    listed = httpx.get(f"{served}/_admin/faults", headers=ADMIN).json()
    assert listed["erp"][0]["concurrency"] == 1


def test_a_quota_is_counted_per_oauth_client_not_per_x_tenant(
    served: str, erp: dict[str, str]
) -> None:
    """3 calls an hour: changing X-Tenant on every call does not reset the count, nor does
    dropping the token (calls without one count under the caller's address)."""
    _add(served, "erp", {"kind": "quota", "windows": [{"limit": 3, "window_s": 3600}]})
    with httpx.Client(timeout=5) as http:
        answers = [
            http.get(f"{served}{COMPANIES}", headers={**erp, "x-tenant": f"dodge-{i}"})
            for i in range(4)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert "x-ratelimit-remaining" not in answers[2].headers  # BC sends none
        assert "retry-after" not in answers[3].headers
        anonymous = [
            http.get(f"{served}{COMPANIES}", headers={"x-tenant": f"dodge-{i}"}).status_code
            for i in range(4)
        ]
        assert anonymous == [401, 401, 401, 429]


def test_the_admin_api_takes_a_vendor_preset_by_name(served: str, erp: dict[str, str]) -> None:
    """`{"kind": "quota", "preset": "xero"}` installs Xero's published limits (60 a minute,
    1,000 a day on the default tier, 5 in flight), overrides as in a scenario's quota; an
    unknown preset is a 422 naming the field and the presets there are."""
    xero = _add(served, "erp", {"kind": "quota", "preset": "xero"})
    assert xero["windows"] == [
        {"limit": 60, "window_s": 60.0, "applies_to": "all", "per_endpoint": False, "shared": 0.0},
        {
            "limit": 1000,
            "window_s": 86400.0,
            "applies_to": "all",
            "per_endpoint": False,
            "shared": 0.0,
        },
    ]
    assert xero["concurrency"] == 5
    httpx.delete(f"{served}/_admin/faults/erp/{xero['id']}", headers=ADMIN)
    _add(served, "erp", {"kind": "quota", "preset": "business_central", "limit": 2,
                         "window_s": 60})  # fmt: skip
    statuses = [httpx.get(f"{served}{COMPANIES}", headers=erp).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    wrong = httpx.post(f"{served}/_admin/faults/erp", json={"kind": "quota", "preset": "sap"},
                       headers=ADMIN)  # fmt: skip
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "preset"
    assert "business_central" in wrong.json()["errors"][0]["message"]


def test_every_served_operation_documents_the_fault_answers(served: str) -> None:
    """Each vendor's served spec declares its throttling answer (429 with no rate-limit
    headers; Salesforce's 403 with Sforce-Limit-Info), 503 and 5XX on every operation, as
    reusable responses."""
    with httpx.Client(timeout=5) as http:
        for vendor in VENDORS:
            spec = http.get(f"{served}/{vendor}/openapi.json").json()
            # Salesforce throttles with 403 REQUEST_LIMIT_EXCEEDED (Forbidden, carrying its
            # Sforce-Limit-Info), never 429; the others with a bare 429
            salesforce = vendor == "crm"
            throttled = "Forbidden" if salesforce else "TooManyRequests"
            headers = set(spec["components"]["responses"][throttled].get("headers", {}))
            assert ("Sforce-Limit-Info" in headers) == salesforce, vendor
            assert salesforce or not headers, vendor
            for path, item in spec["paths"].items():
                for method, operation in item.items():
                    if method not in ("get", "post", "patch", "put", "delete"):
                        continue
                    answers = operation["responses"]
                    where = f"{vendor} {method} {path}"
                    key, ref = ("403", "Forbidden") if salesforce else ("429", "TooManyRequests")
                    assert answers[key] == {"$ref": f"#/components/responses/{ref}"}, where
                    assert not salesforce or "429" not in answers, where
                    assert answers["503"]["$ref"].endswith("/ServiceUnavailable"), where
                    assert answers["5XX"]["$ref"].endswith("/ServerError"), where


def test_serve_applies_the_scenarios_faults_on_the_wall_clock(tmp_path: Path) -> None:
    """`q2c serve --scenario` with an ERP outage on the period's first day: the ERP answers
    503 with Retry-After (an hour at most) from the start while its spec is still served, the
    CRM answers, and the admin API lists the scenario's rules in wall time, ending at the
    scenario's heal."""
    scenario = tmp_path / "small-with-faults.yaml"
    scenario.write_text(SMALL.read_text() + FAULTS)
    server = _serve("--scenario", str(scenario))
    base = next(server)
    try:
        with httpx.Client(timeout=5) as http:
            down = http.get(f"{base}{COMPANIES}")  # the outage answers before any auth check
            assert down.status_code == 503, down.text
            assert 3000 < int(down.headers["retry-after"]) <= 3600  # capped at an hour
            assert http.get(f"{base}/erp/openapi.json").status_code == 200  # not the vendor's
            crm = _token(base, "crm", "/services/oauth2/token")
            query = f"{base}/crm/services/data/v60.0/query?q=SELECT Id FROM Account"
            assert http.get(query, headers=crm).status_code == 200
            listed = http.get(f"{base}/_admin/faults", headers=ADMIN).json()
        outage = listed["erp"][0]
        start = datetime.fromisoformat(outage["start"])
        assert abs(start - datetime.now(UTC)) < timedelta(minutes=5)
        assert datetime.fromisoformat(outage["until"]) == start + timedelta(days=2)
        assert [r["kind"] for r in listed["tax"]] == ["errors"]
    finally:
        server.close()


def test_the_scenario_time_picks_which_moment_the_start_stands_for(tmp_path: Path) -> None:
    """In process, on a hand-moved clock: started at the scenario's 2 March 11:00, the CRM
    refuses connections (503 x-fault: refused) for an hour, then answers; the tax engine's
    errors end at the heal (3 March, 13 hours later) and the ERP's outage is already over."""
    (tmp_path / "faulty.yaml").write_text(SMALL.read_text() + FAULTS)
    spec = load_scenario(tmp_path / "faulty.yaml")
    wall = datetime(2030, 1, 1, 12, tzinfo=UTC)
    clock = Clock(wall)
    sandbox = Sandbox(spec, 1, "admin", clock=clock,
                      scenario_time=datetime(2026, 3, 2, 11, tzinfo=UTC))  # fmt: skip
    crm, erp, tax = (sandbox.faults[v] for v in ("crm", "erp", "tax"))
    request = httpx.Request("GET", "http://crm.mock/services/data/v60.0/query?q=x")
    refused = crm.handle(request)
    assert refused.status_code == 503 and refused.headers["x-fault"] == "refused"
    assert erp.list()[0]["end"] == "2030-01-01T01:00:00Z"
    clock.now = wall + timedelta(hours=1)
    assert crm.handle(request).status_code == 401  # answered: the mock wants a token
    tax_call = httpx.Request("POST", "http://tax.mock/api/v2/transactions/create")
    assert tax.handle(tax_call).status_code in (500, 502)
    clock.now = wall + timedelta(hours=13)
    assert tax.handle(tax_call).status_code == 401


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
