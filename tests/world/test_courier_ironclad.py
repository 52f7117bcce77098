"""Ironclad's webhook deactivation in the courier: a 410 (Gone) disables the CLM's webhook at
once, and so does a run of at least 100 failures in a row over 7 days; a disabled webhook sends
nothing more (developer.ironcladapp.com/reference/webhook-deactivation)."""

from __future__ import annotations

from sim.world.courier import REDELIVERY
from tests.world.test_courier import HOUR, _courier, _emit, _hook


def test_a_410_disables_the_clm_webhook_at_once() -> None:
    """No retry of the refused copy, nothing sent after it, the disabling traced once."""
    env, core, courier, trace = _courier(answers=[202, 410])
    env.process(_emit(env, courier, "clm", 4, 60.0))
    env.run()
    assert [event for _, event in core.got] == ["clm-0", "clm-1"]
    counts = courier.metrics()["clm"]
    assert (counts["delivered"], counts["redelivered"], counts["unsent"]) == (1, 0, 2)
    assert courier.disabled == {"clm": "410 Gone"}
    assert trace.kinds["webhook.disabled"] == 1
    assert trace.kinds["webhook.unsent"] == 2


def test_a_410_is_an_ordinary_failure_for_vendors_that_do_not_disable_on_it() -> None:
    env, core, courier, _ = _courier(answers=[410, 202])
    courier(_hook("payments", 1))
    env.run()
    assert len(core.got) == 2
    assert courier.disabled == {}
    assert "unsent" not in courier.metrics()["payments"]  # the metrics keep their shape


def test_a_hundred_failures_in_a_row_over_seven_days_disable_it() -> None:
    """One notification every 12 hours, every try answered 500 (11 tries each): the webhook
    is disabled at the first failure that is both the 100th in a row or later and 7 days
    after the first; the notifications after it are not sent."""
    most, span = REDELIVERY["clm"].disable_after or (0, 0.0)
    assert (most, span) == (100, 7 * 24 * HOUR)
    env, core, courier, trace = _courier(answers=[500] * 10_000)
    env.process(_emit(env, courier, "clm", 20, 12 * HOUR))
    env.run()
    first, last = core.got[0][0], core.got[-1][0]
    assert len(core.got) >= most
    assert span <= last - first < span + 14 * HOUR
    assert courier.disabled["clm"].startswith(f"{len(core.got)} failures in a row")
    assert trace.kinds["webhook.disabled"] == 1
    assert courier.metrics()["clm"]["unsent"] > 0


def test_a_success_resets_the_run_of_failures() -> None:
    """A delivery accepted every day keeps the webhook on through a week of failures."""
    answers: list[int | str] = []
    for _ in range(10):
        answers += [500] * 11 + [202]  # a notification given up on, then one accepted
    env, _core, courier, _ = _courier(answers=answers)
    env.process(_emit(env, courier, "clm", 20, 12 * HOUR))
    env.run()
    assert courier.disabled == {}
    assert courier.metrics()["clm"]["delivered"] >= 10  # tries interleave; the rest answer 202
