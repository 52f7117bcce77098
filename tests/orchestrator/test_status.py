"""``GET /status`` is read every simulated day: it answers counts, the same size however many
exceptions the core has raised (the exceptions themselves are at ``GET /exceptions``)."""

from __future__ import annotations

import json

import httpx

from orchestrator.reference import ReferenceCore
from tests.support.runtimes import StillRuntime


def _get(core: ReferenceCore, path: str) -> httpx.Response:
    return core.handle(httpx.Request("GET", f"http://core{path}"))


def test_status_counts_exceptions_and_stays_the_same_size() -> None:
    core = ReferenceCore(StillRuntime(), "t1")
    sizes = []
    for n in range(200):
        core.ctx.raise_exception("billing_failed", f"invoice:C-{n}:2026-03", "outage")
        if n % 3 == 0:
            core.ctx.resolve_exception("billing_failed", f"invoice:C-{n}:2026-03")
        if n in (9, 199):
            sizes.append(len(_get(core, "/status").content))
    status = _get(core, "/status").json()
    assert status["exceptions"] == {"raised": 200, "open": 133}
    assert status["resilience"]["dead_letters"] == 0
    assert sizes[1] - sizes[0] <= 6  # 10 or 200 exceptions: only the counts grow a digit
    listed = json.loads(_get(core, "/exceptions").content)["exceptions"]
    assert len(listed) == 200 and sum(e["status"] == "open" for e in listed) == 133
