"""Kantata's rate card model in the PSA mock: a card added to a set gets a version in every set
version already there, a set version one per card, rates belong to one card version, reads
filter by card and set version, and what the model refuses is a 404 or 422 naming the field."""

from __future__ import annotations

from typing import Any

from tests.support.mock_worlds import PSA, PsaWorld


def _made(world: PsaWorld, kind: str, key: str, body: dict[str, Any], **query: str) -> Any:
    answer = world.http.post(f"{PSA}/{kind}", json={key: body}, params=query or None)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_cards_and_set_versions_make_one_card_version_each_pair() -> None:
    world = PsaWorld()
    set_id = _made(world, "rate_card_sets", "rate_card_set", {"title": "SOW"})["results"][0]["id"]
    dated = {"rate_card_set_id": set_id, "effective_date": "2024-01-01"}
    first = _made(world, "rate_card_set_versions", "rate_card_set_version", dated)
    eur = _made(world, "rate_cards", "rate_card", {"rate_card_set_id": set_id, "currency": "EUR"},
                include="rate_card_versions")  # fmt: skip
    (early,) = eur["rate_card_versions"].values()  # the card's version in the earlier set version
    assert early["rate_card_set_version_id"] == first["results"][0]["id"]
    later = {**dated, "effective_date": "2024-07-01"}
    second = _made(world, "rate_card_set_versions", "rate_card_set_version", later,
                   include="rate_card_versions")  # fmt: skip
    (late,) = second["rate_card_versions"].values()
    eur_id = eur["results"][0]["id"]
    by_card = world.http.get(f"{PSA}/rate_card_versions", params={"rate_card_id": eur_id}).json()
    assert by_card["count"] == 2
    by_date = world.http.get(
        f"{PSA}/rate_card_versions",
        params={"rate_card_set_version_id": second["results"][0]["id"], "include": "rate_card"},
    ).json()
    assert by_date["results"] == [{"key": "rate_card_versions", "id": late["id"]}]
    assert by_date["rate_cards"][eur_id]["currency"] == "EUR"


def test_what_the_model_refuses_names_the_field() -> None:
    world = PsaWorld()
    missing = world.http.post(
        f"{PSA}/rate_cards", json={"rate_card": {"rate_card_set_id": 99, "currency": "EUR"}}
    )
    assert missing.status_code == 404
    set_id = _made(world, "rate_card_sets", "rate_card_set", {"title": "SOW"})["results"][0]["id"]
    dated = {"rate_card_set_id": set_id, "effective_date": "2024-01-01"}
    _made(world, "rate_cards", "rate_card", {"rate_card_set_id": set_id, "currency": "EUR"})
    made = _made(world, "rate_card_set_versions", "rate_card_set_version", dated,
                 include="rate_card_versions")  # fmt: skip
    (version,) = made["rate_card_versions"]
    located = {"rate_card_version_id": version, "role_id": world.role, "rate": 100,
               "location": "DE"}  # fmt: skip
    refused = world.http.post(f"{PSA}/rate_card_roles", json={"rate_card_role": located})
    assert refused.status_code in (400, 422)  # Kantata keeps no location on a rate card role
    unknown_role = {"rate_card_version_id": version, "role_id": 99, "rate": 100}
    assert (
        world.http.post(f"{PSA}/rate_card_roles", json={"rate_card_role": unknown_role}).status_code
        == 404
    )
    wrong_include = world.http.get(f"{PSA}/rate_card_versions", params={"include": "user"})
    assert wrong_include.status_code == 400
    assert world.psa.rate_card_versions_for_books("default") == []  # no workspace points at it
