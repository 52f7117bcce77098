"""Deliberately faulty designs, served by ``q2c design serve tests.live.faulty:NAME`` in the
live tests: the oracle must name what they break."""

from __future__ import annotations

from typing import Any

from orchestrator.reference import ReferenceCore
from orchestrator.runtime import Flow, Runtime


class NeverBillsMilestones(ReferenceCore):
    """The reference core that hears of accepted milestones and drops them."""

    def collect_milestone(self, psa_id: str) -> Flow[None]:
        return
        yield


def never_bills_milestones(
    runtime: Runtime, tenant: str, options: dict[str, str] | None = None
) -> Any:
    return NeverBillsMilestones(runtime, tenant, options)
