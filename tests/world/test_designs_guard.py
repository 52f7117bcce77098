"""The guard around a design: failures carry the design, the call and the simulated moment,
travel between processes, and a call over its wall-clock budget is stopped or caught."""

from __future__ import annotations

import pickle
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sim.world.courier import CoreRefused
from sim.world.design_guard import UNREACHABLE, DesignFailure, GuardedCore, guard

MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class _Runtime:
    def now(self) -> datetime:
        return MOMENT


class _Core:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls = 0

    def handle(self, request: httpx.Request) -> Any:
        self.calls += 1
        if callable(self.answer):
            return self.answer(request)
        return self.answer


def _guarded(answer: Any, budget_s: float = 5.0) -> GuardedCore:
    core: GuardedCore = guard("mine", lambda rt, t, o: _Core(answer), budget_s)(_Runtime(), "t", {})
    return core


def test_a_good_answer_passes_and_attributes_reach_the_design() -> None:
    core = _guarded(httpx.Response(200, json={"exceptions": []}))
    response = core.handle(httpx.Request("GET", "http://core/exceptions"))
    assert response.json() == {"exceptions": []}
    assert core.calls == 1  # the design's own attribute, read through the guard
    assert core.handle(httpx.Request("GET", "http://core/status")).status_code == 200


@pytest.mark.parametrize(
    ("path", "answer", "problem"),
    [
        ("/exceptions", httpx.Response(200, json={"exceptions": {}}), "is not of type"),
        ("/exceptions", httpx.Response(500, text="boom"), "answered 500"),
        ("/status", httpx.Response(200, json=[]), "is not of type"),
        ("/webhooks/crm", {"status": 200}, "handle() returned dict, not an httpx.Response"),
    ],
)
def test_a_wrong_shape_is_the_designs_failure(path: str, answer: Any, problem: str) -> None:
    core = _guarded(answer)
    method = "POST" if path.startswith("/webhooks") else "GET"
    with pytest.raises(DesignFailure) as caught:
        core.handle(httpx.Request(method, f"http://core{path}", content=b'{"id": "1"}'))
    failure = caught.value
    assert (failure.design, failure.call, failure.kind) == (
        "mine",
        f"{method} {path}",
        "wrong shape",
    )
    assert failure.at == MOMENT.isoformat() and problem in failure.problem
    assert f"The request: {method} {path}" in failure.details


def test_any_other_status_on_a_read_means_nothing_to_read() -> None:
    """An acknowledging design's 202, or the conventional 404: not a failure."""
    for status in (202, 404):
        core = _guarded(httpx.Response(status, json={"accepted": True}))
        assert core.handle(httpx.Request("GET", "http://core/status")).status_code == status


def test_a_failure_pickles_by_its_arguments() -> None:
    failure = DesignFailure("mine", "GET /status", "2026-03-02T09:30:00+00:00", "raised", "boom")
    failure.partial = object()  # the runner's in-process attachment does not travel
    copy = pickle.loads(pickle.dumps(failure))
    assert str(copy) == str(failure) and copy.partial is None
    assert str(copy) == (
        "design 'mine' failed on GET /status at 2026-03-02T09:30:00+00:00 (simulated): raised: boom"
    )


def test_a_call_that_never_returns_is_interrupted_on_the_main_thread() -> None:
    def forever(request: httpx.Request) -> httpx.Response:
        while True:
            time.sleep(0.01)

    core = _guarded(forever, budget_s=0.2)
    with pytest.raises(DesignFailure, match=r"no answer: no answer within 0.2 s"):
        core.handle(httpx.Request("POST", "http://core/billing-runs", content=b"{}"))


def test_off_the_main_thread_a_slow_call_is_caught_when_it_returns() -> None:
    """No timer there (signals go to the main thread): the overrun is measured."""

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return httpx.Response(202)

    core = _guarded(slow, budget_s=0.1)
    caught: list[BaseException] = []

    def call() -> None:
        try:
            core.handle(httpx.Request("POST", "http://core/billing-runs", content=b"{}"))
        except DesignFailure as exc:
            caught.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    worker.join()
    assert len(caught) == 1 and "over the 0.1 s call budget" in str(caught[0])


def test_a_zero_budget_means_none() -> None:
    def slowish(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return httpx.Response(202)

    assert (
        _guarded(slowish, budget_s=0).handle(httpx.Request("POST", "http://core/x")).status_code
        == 202
    )


def test_a_webhook_may_answer_later_other_calls_may_not() -> None:
    """A deferred answer (a flow returning the response, point-to-point style) is the world's
    to run on the clock; for a call that must answer at once it is a wrong shape."""

    def later(request: httpx.Request) -> Any:
        def flow() -> Any:
            yield "a runtime event"
            return httpx.Response(200)

        return flow()

    core = _guarded(later)
    answer = core.handle(httpx.Request("POST", "http://core/webhooks/crm", content=b"{}"))
    assert next(answer) == "a runtime event"
    with pytest.raises(DesignFailure, match="only webhook receivers may answer inline"):
        core.handle(httpx.Request("GET", "http://core/status"))


def test_a_refused_connection_is_the_worlds_to_retry_not_a_design_failure() -> None:
    """A proxy for a design in another process (``sim.live``) raises ``CoreRefused`` when it
    cannot connect: finance and the vendors retry it, as while a crashed core is down."""

    def refuse(request: httpx.Request) -> Any:
        raise CoreRefused("connection refused", request=request)

    core = _guarded(refuse)
    with pytest.raises(CoreRefused):
        core.handle(httpx.Request("POST", "http://core/billing-runs", content=b"{}"))


def test_a_proxys_stand_in_for_an_unreachable_design_is_not_judged_but_a_5xx_is() -> None:
    stand_in = httpx.Response(503, json={"title": "down"}, headers={UNREACHABLE: "1"})
    assert _guarded(stand_in).handle(httpx.Request("GET", "http://core/status")).status_code == 503
    with pytest.raises(DesignFailure, match="answered 503"):
        _guarded(httpx.Response(503, json={})).handle(httpx.Request("GET", "http://core/status"))
