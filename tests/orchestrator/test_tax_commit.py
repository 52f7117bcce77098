"""The tax adapter's commit asks AvaTax's ``$include=SummaryOnly`` (it reads nothing of the
answer), and against the tax mock the document is committed all the same while the answer
carries no line."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import httpx

from orchestrator.adapters.tax import TaxAdapter
from orchestrator.model import LegalEntity
from orchestrator.runtime import run_flow
from tests.support.runtimes import MockRuntime
from tests.support.tax import World, _doc, _ok


class _Engine(MockRuntime):
    """Every call answered by a tax mock, through its spec-checking client; keeps the answers."""

    def __init__(self, world: World) -> None:
        super().__init__("tax", world.http)
        self.answers: list[httpx.Response] = []

    def answer(self, *call: Any) -> httpx.Response | BaseException:
        response = super().answer(*call)
        if isinstance(response, httpx.Response):
            self.answers.append(response)
        return response


def test_commit_asks_summary_only_and_the_document_is_committed() -> None:
    world = World()
    world.create(_doc(*(["100.00"] * 50), code="INV-9"))
    engine = _Engine(world)
    entity = cast(LegalEntity, SimpleNamespace(id="ACME-DE"))
    run_flow(TaxAdapter(cast(Any, engine), "default").commit(entity, "INV-9"))
    ((_, method, path, _, _, params),) = engine.sent
    assert (method, path) == ("POST", "/api/v2/companies/ACME-DE/transactions/INV-9/commit")
    assert params == {"$include": "SummaryOnly"}
    answered = _ok(engine.answers[0])
    assert answered["status"] == "Committed"
    assert "lines" not in answered and answered["summary"]
    stored = _ok(world.get("INV-9"))
    assert stored["status"] == "Committed" and len(stored["lines"]) == 50
