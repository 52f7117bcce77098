"""Designs written outside the simulator, as an architect would plug their own in."""

from __future__ import annotations

import httpx

from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, Runtime


class Idle:
    """Acknowledges every webhook and does nothing: no project, no invoice."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, json={"accepted": True})


def idle(runtime: Runtime, tenant: str, options: dict[str, str]) -> Idle:
    return Idle()


class Forgetful(ReferenceCore):
    """The reference core with one bug: accepted milestones are never collected for billing."""

    def collect_milestone(self, psa_id: str) -> Flow[None]:
        return
        yield


def forgetful(runtime: Runtime, tenant: str, options: dict[str, str]) -> Forgetful:
    return Forgetful(runtime, tenant, options)
