"""The fault layer served over ASGI (``FaultyVendor.asgi``, as ``q2c serve`` mounts it): whose
quota a call spends, calls in flight together, latency spent on the event loop, rules that heal
on their own. Driven in process with hand-made ASGI messages; tests/app/test_serve_faults.py
does the same over real sockets."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mocks import ErpMock, ErrorRule, FaultyVendor, LatencyRule, QuotaRule, QuotaWindow

T0 = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
COMPANIES = "/api/v2.0/companies"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Served:
    """An ERP enforcing OAuth, two API clients in one tenant, behind a fault layer."""

    def __init__(self, *rules: Any) -> None:
        self.clock = Clock()
        self.erp = ErpMock(self.clock, enforce_auth=True)
        self.erp.add_company("firm", "DE01", "DE", "EUR")
        for client in ("ci-a", "ci-b"):
            self.erp.auth.register(client, f"{client}-secret", "firm")
        self.layer = FaultyVendor(self.erp.app, self.clock, random.Random(7))
        for rule in rules:
            self.layer.add(rule)

    def token(self, client: str) -> str:
        form = {"grant_type": "client_credentials", "client_id": client,
                "client_secret": f"{client}-secret"}  # fmt: skip
        answer = self.erp.app.handle(
            httpx.Request("POST", "http://erp.mock/oauth2/v2.0/token", data=form)
        )
        token: str = answer.json()["access_token"]
        return token

    def status(self, token: str | None, tenant: str, peer: str = "10.0.0.1") -> int:
        headers = {"x-tenant": tenant}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        request = httpx.Request("GET", f"http://erp.mock{COMPANIES}", headers=headers)
        arrival = self.layer.arrive(request, peer)
        self.layer.depart(arrival)
        assert arrival.response is not None
        return arrival.response.status_code

    async def asgi(self, token: str) -> tuple[int, dict[str, str]]:
        """One GET through ``layer.asgi``: its status and headers."""
        scope = {
            "type": "http", "method": "GET", "path": COMPANIES, "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 50_000),
            "headers": [(b"authorization", f"Bearer {token}".encode())],
        }  # fmt: skip
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.layer.asgi(scope, receive, send)
        start = sent[0]
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        return start["status"], headers


def test_the_authority_names_the_client_of_a_valid_token_only() -> None:
    """client_of reads the token's client without checking a scope; unknown, malformed or
    expired tokens have none."""
    served = Served()
    token = served.token("ci-a")
    assert served.erp.auth.client_of(f"Bearer {token}") == "ci-a"
    assert served.erp.auth.client_of(f"bearer  {token} ") == "ci-a"
    assert served.erp.auth.client_of("Bearer nope") is None
    assert served.erp.auth.client_of(f"Basic {token}") is None
    served.clock.now += timedelta(hours=2)
    assert served.erp.auth.client_of(f"Bearer {token}") is None


def test_a_quota_counts_per_oauth_client_whatever_the_x_tenant_header_says() -> None:
    """2 calls an hour: a client changing X-Tenant on each call still meets the 429, another
    client has its own allowance, and calls without a token count under their remote address
    (changing X-Tenant does not help them either)."""
    served = Served(QuotaRule(windows=[QuotaWindow(limit=2, window_s=3600)]))
    a, b = served.token("ci-a"), served.token("ci-b")
    assert [served.status(a, f"tenant-{i}") for i in range(3)] == [200, 200, 429]
    assert [served.status(b, "other") for _ in range(3)] == [200, 200, 429]
    anonymous = [served.status(None, f"tenant-{i}") for i in range(3)]
    assert anonymous == [401, 401, 429]
    assert served.status(None, "x", peer="10.0.0.2") == 401  # another address, its own count
    assert served.layer.fired["quota"] == 3


def test_without_enforced_auth_the_x_tenant_header_is_the_caller() -> None:
    """The simulator's mocks do not enforce OAuth: the tenant the mock acts in is the
    X-Tenant header's, and so is the quota key (as before serve keyed on clients)."""
    layer = FaultyVendor(ErpMock(Clock()).app, Clock(), random.Random(1))
    request = httpx.Request("GET", f"http://erp.mock{COMPANIES}", headers={"x-tenant": "firm"})
    assert layer.caller(request, "10.0.0.1") == "firm"
    assert layer.caller(httpx.Request("GET", "http://erp.mock/")) == "default"


def test_served_calls_in_flight_together_meet_a_concurrency_cap_of_one() -> None:
    """Two calls served at once under a cap of 1: one answered, one 429 with Retry-After;
    once both are written the slot is free again."""
    served = Served(QuotaRule(concurrency=1))
    token = served.token("ci-a")

    async def together() -> list[tuple[int, dict[str, str]]]:
        return list(await asyncio.gather(served.asgi(token), served.asgi(token)))

    answers = asyncio.run(together())
    assert sorted(status for status, _ in answers) == [200, 429]
    refused = next(headers for status, headers in answers if status == 429)
    assert refused["retry-after"] == "1" and refused["x-ratelimit-limit"] == "1"
    assert asyncio.run(served.asgi(token))[0] == 200
    assert served.layer.fired["concurrency"] == 1


def test_served_latency_is_an_asyncio_sleep_of_the_rules_draw(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A latency rule with no spread draws its median: every served call awaits
    asyncio.sleep(0.1) (never a blocking sleep), and 10 of them run on one event loop."""
    served = Served(LatencyRule(median_ms=100, p99_ms=100))
    token = served.token("ci-a")
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)

    async def ten() -> list[tuple[int, dict[str, str]]]:
        return list(await asyncio.gather(*(served.asgi(token) for _ in range(10))))

    assert [status for status, _ in asyncio.run(ten())] == [200] * 10
    assert slept == pytest.approx([0.1] * 10)


def test_without_rules_a_served_call_never_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """No latency rule and no concurrency cap: the answer is written at once (no loop turn)."""
    served = Served(QuotaRule(windows=[QuotaWindow(limit=100, window_s=60)]))
    token = served.token("ci-a")
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    status, headers = asyncio.run(served.asgi(token))
    assert status == 200 and headers["x-ratelimit-remaining"] == "99"
    assert slept == []


def test_a_rule_with_an_end_stops_firing_there_and_others_go_on() -> None:
    """``until`` ends one rule (a served scenario's heal) and leaves the others firing."""
    served = Served()
    healed = served.layer.add(ErrorRule(rate=1.0), until=T0 + timedelta(minutes=30))
    served.layer.add(LatencyRule(median_ms=50, p99_ms=50), until=T0 + timedelta(minutes=30))
    token = served.token("ci-a")
    assert served.status(token, "firm") in (500, 502)
    assert served.layer.latency_s() == pytest.approx(0.05)
    listed = served.layer.list()[0]
    assert listed["id"] == healed and listed["until"] == "2026-03-31T18:30:00Z"
    served.layer.add(QuotaRule(windows=[QuotaWindow(limit=1, window_s=3600)]))
    served.clock.now = T0 + timedelta(minutes=30)
    assert served.layer.latency_s() is None
    assert [served.status(token, "firm") for _ in range(2)] == [200, 429]
