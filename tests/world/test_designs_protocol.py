"""contracts/design.yaml says what the world really sends: every request of a whole run (each
vendor's webhooks as the courier delivers them, billing runs, reads) is valid against it, and
the reference core's answers to the reads are too."""

from __future__ import annotations

from typing import Any

import httpx

from contracts.consumer import ContractValidator
from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Runtime
from sim.runner import run
from sim.scenario.format import Scenario

SEEN: list[tuple[httpx.Request, httpx.Response]] = []


class _Recording(ReferenceCore):
    def handle(self, request: httpx.Request) -> Any:
        response = super().handle(request)
        SEEN.append((request, response))
        return response


def recording(runtime: Runtime, tenant: str, options: dict[str, str]) -> _Recording:
    return _Recording(runtime, tenant, options)


def test_every_request_of_a_run_and_every_read_answer_keep_the_protocol(small: Scenario) -> None:
    SEEN.clear()
    assert run(small, 1, design="tests.world.test_designs_protocol:recording").ok
    protocol = ContractValidator(("design",))
    headers = {"content-type": "application/json"}
    bad = protocol.request_violations("design", "POST", "/webhooks/crm", headers, b'{"id": "1"}')
    assert bad, "the check would not notice a wrong body"
    calls: set[str] = set()
    for request, response in SEEN:
        method, path = request.method, request.url.path
        calls.add(f"{method} {path}")
        found = protocol.request_violations("design", method, path, request.headers,
                                            request.content)  # fmt: skip
        assert not found, [v.text for v in found]
        if method == "GET":
            answer = protocol.response_violations("design", method, path, response.status_code,
                                                  response.headers, response.read())  # fmt: skip
            assert not answer, [v.text for v in answer]
    assert {
        "POST /webhooks/crm", "POST /webhooks/clm",
        "POST /webhooks/payments", "POST /billing-runs", "GET /status", "GET /exceptions",
    } <= calls  # fmt: skip
    assert "POST /webhooks/psa" not in calls  # Kantata pushes none: the design polls its feed
