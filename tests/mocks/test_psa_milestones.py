"""Kantata's billing milestones as Kantata has them: no state and no client acceptance, but a
``billing_type``: ``upon_completion`` milestones become invoiceable when their task (a story)
is completed, ``fixed_date`` ones on their ``date_to_invoice``; an invoice refuses one that is
not invoiceable yet, with Kantata's 422 validation error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.mock_worlds import PSA, PsaWorld, _kantata


def _task(world: PsaWorld, **fields: Any) -> str:
    body = {"story": {"workspace_id": world.ws, "title": "Design sign-off",
                      "story_type": "milestone", **fields}}  # fmt: skip
    response = world.http.post(f"{PSA}/stories", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["results"][0]["id"])


def _milestone(world: PsaWorld, **fields: Any) -> httpx.Response:
    body = {"billing_milestone": {"workspace_id": world.ws, "title": "Design",
                                  "amount_in_cents": 250_000, **fields}}  # fmt: skip
    return world.http.post(f"{PSA}/billing_milestones", json=body)


def _made(world: PsaWorld, **fields: Any) -> str:
    response = _milestone(world, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["results"][0]["id"])


def test_a_milestone_has_kantatas_fields_and_no_invented_state() -> None:
    world = PsaWorld()
    task = _task(world, due_date="2024-03-29")
    ms = _made(world, billing_type="upon_completion", story_id=int(task))
    body = world.http.get(f"{PSA}/billing_milestones/{ms}", params={"include": "story"}).json()
    record = body["billing_milestones"][ms]
    assert {"state", "completed_at", "accepted_at"}.isdisjoint(record)
    assert (record["billing_type"], record["story_id"], record["currency"]) == (
        "upon_completion", task, "EUR",
    )  # fmt: skip
    assert body["stories"][task]["state"] == "not started"
    assert body["stories"][task]["story_type"] == "milestone"


def test_upon_completion_is_refused_until_its_task_is_completed_then_invoiced_once() -> None:
    world = PsaWorld()
    task = _task(world)
    ms = _made(world, billing_type="upon_completion", story_id=task)
    assert _kantata(world.invoice([], [ms]), 422)["errors"] == [
        {"field": "invoice.billing_milestone_ids[0]", "message": "not invoiceable yet"}
    ]
    assert world.http.get(f"{PSA}/invoices").json()["count"] == 0
    world.psa.complete_story("default", task)
    story = world.http.get(f"{PSA}/stories/{task}").json()["stories"][task]
    assert story["state"] == "completed"
    assert world.invoice([], [ms]).status_code == 201
    assert _kantata(world.invoice([], [ms]), 422)["errors"] == [
        {"field": "invoice.billing_milestone_ids[0]", "message": "already invoiced"}
    ]


def test_fixed_date_is_invoiceable_from_its_date_only() -> None:
    """The mock's clock reads 2024-03-01: a milestone dated that day is invoiceable, one dated
    the next day is not."""
    world = PsaWorld()
    today, tomorrow = _made(world, date_to_invoice="2024-03-01"), _made(
        world, billing_type="fixed_date", date_to_invoice="2024-03-02")  # fmt: skip
    assert _kantata(world.invoice([], [today, tomorrow]), 422)["errors"] == [
        {"field": "invoice.billing_milestone_ids[1]", "message": "not invoiceable yet"}
    ]
    assert world.invoice([], [today]).status_code == 201


def test_completing_a_task_feeds_one_story_event_and_makes_its_milestones_invoiceable() -> None:
    """Kantata's milestones do not change when their task is completed: the feed shows the
    task's change (one ``story:updated``, its subject completed), not one per milestone."""
    world = PsaWorld()
    task, other = _task(world), _task(world)
    first = _made(world, billing_type="upon_completion", story_id=task)
    second = _made(world, billing_type="upon_completion", story_id=task)
    third = _made(world, billing_type="upon_completion", story_id=other)
    before = len(world.feed())
    world.psa.complete_story("default", task)
    assert world.feed()[before:] == [("story:updated", task)]
    body = world.http.get(
        f"{PSA}/subscribed_events", params={"event_types": "story:updated", "include": "subject"}
    ).json()
    [event] = body["subscribed_events"].values()
    assert event["subject_ref"] == {"key": "stories", "id": task}
    assert body["stories"][task]["state"] == "completed"
    assert world.invoice([], [first, second]).status_code == 201
    assert world.invoice([], [third]).status_code == 422
    with pytest.raises(ValueError, match="already completed"):
        world.psa.complete_story("default", task)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"billing_type": "upon_completion", "date_to_invoice": "2024-03-31"},
         "billing_milestone.story_id"),
        ({"billing_type": "fixed_date"}, "billing_milestone.date_to_invoice"),
        ({}, "billing_milestone.date_to_invoice"),
    ],
)  # fmt: skip
def test_a_milestone_without_what_its_type_needs_is_refused(
    fields: dict[str, Any], field: str
) -> None:
    world = PsaWorld()
    response = world.http.post(
        f"{PSA}/billing_milestones",
        json={"billing_milestone": {"workspace_id": world.ws, "title": "Go-live",
                                    "amount_in_cents": 100, **fields}},
    )  # fmt: skip
    assert [e["field"] for e in _kantata(response, 422)["errors"]] == [field]


def test_a_task_of_another_workspace_or_none_at_all_is_refused() -> None:
    world = PsaWorld()
    other = world.http.post(
        f"{PSA}/workspaces", json={"workspace": {"title": "B", "currency": "EUR"}}
    )
    foreign = world.http.post(f"{PSA}/stories", json={"story": {
        "workspace_id": other.json()["results"][0]["id"], "title": "Theirs"}})  # fmt: skip
    task = str(foreign.json()["results"][0]["id"])
    response = _milestone(world, billing_type="upon_completion", story_id=task)
    assert _kantata(response, 422)["errors"] == [
        {
            "field": "billing_milestone.story_id",
            "message": "story_id names a task of another workspace",
        }
    ]
    assert _milestone(world, billing_type="upon_completion", story_id=999).status_code == 404


def test_only_lists_the_milestones_named_with_their_tasks() -> None:
    world = PsaWorld()
    task = _task(world)
    ids = [_made(world, billing_type="upon_completion", story_id=task) for _ in range(3)]
    only = f"{ids[2]},{ids[0]},{ids[2]}"
    body = world.http.get(
        f"{PSA}/billing_milestones", params={"only": only, "include": "story"}
    ).json()
    assert [r["id"] for r in body["results"]] == [ids[0], ids[2]]
    assert list(body["stories"]) == [task]
    bad = world.http.get(f"{PSA}/billing_milestones", params={"only": "1;2"})
    assert bad.status_code == 400
