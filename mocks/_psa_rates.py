"""Kantata rate cards, for the PSA mock: sets, their dated versions, one card per currency,
and the rate of each role on each card version.

Kantata's model (developer.kantata.com, "Rate Card Sets (Group of Rate Cards)", "Rate Card Set
Version (Effective version by Date)", "Rate Cards (Multiple Currencies)", "Rate Card Role (Rate
for a Role)", consulted 2026-12-07; vendor-specs kantata/mavenlink-rate-card-versions-api-
openapi.yml): a rate card set groups one rate card per currency; a set version takes effect on
its ``effective_date`` and owns one rate card version per card of the set (made with the set
version, or with the card for every set version already there); rate card versions are never
created directly; a rate card role is the rate, in cents per hour, of one role on one card
version. A workspace points at the card it bills by (``rate_card_id``). Kantata keeps no
location on a rate card role: rates by country are one role per role and country.

Simplified here, stated: set versions are in force once created (Kantata publishes them with
``PUT /rate_card_set_versions/{id}/publish``; the sandbox offers no publishing), two set
versions of a set may not share an effective date (Kantata refuses to publish a second on the
same date), set versions are created empty (no ``clone_id``), and a card version's
``default_rate`` is 0 (roles without a rate card role bill nothing).
"""

from __future__ import annotations

from typing import Any

from mocks._http import Call, Problem, Reply
from mocks._psa_models import RateCardIn, RateCardRoleIn, RateCardSetIn, RateCardSetVersionIn
from mocks._state import plain

__all__ = ["RATE_KINDS", "RatesMixin"]

RATE_KINDS = ("rate_card_sets", "rate_cards", "rate_card_set_versions", "rate_card_roles")


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "Unprocessable Entity",
        f"{field} {message}",
        errors=[{"field": field, "message": message}],
    )


class RatesMixin:
    """Rate card writes over HTTP, and the rate card versions the run's books keep."""

    tables: Any

    def _new(self, tenant: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _envelope(self, call: Call, kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def _create_rate_card_set(self, call: Call) -> Reply:
        data = plain(call.parse(RateCardSetIn, "rate_card_set"))
        made = self._new(
            call.tenant,
            "rate_card_sets",
            {**data, "rate_card_ids": [], "rate_card_set_version_ids": []},
        )
        return Reply(201, self._envelope(call, "rate_card_sets", [made]))

    def _create_rate_card(self, call: Call) -> Reply:
        data = call.parse(RateCardIn, "rate_card")
        card_set = self.tables.get(
            call.tenant, "rate_card_sets", str(data.rate_card_set_id), "rate card set"
        )
        cards = [self.tables.get(call.tenant, "rate_cards", i) for i in card_set["rate_card_ids"]]
        if any(c["currency"] == data.currency for c in cards):
            raise _invalid("currency", f"already has a rate card in the set: {data.currency}")
        card = self._new(
            call.tenant,
            "rate_cards",
            {
                "rate_card_set_id": card_set["id"],
                "currency": data.currency,
                "rate_card_set_title": f"{card_set['title']} ({data.currency})",
                "rate_card_version_ids": [],
            },
        )
        card_set["rate_card_ids"].append(card["id"])
        for set_version_id in card_set["rate_card_set_version_ids"]:
            self._card_version(call.tenant, card, set_version_id)
        return Reply(201, self._envelope(call, "rate_cards", [card]))

    def _create_rate_card_set_version(self, call: Call) -> Reply:
        data = call.parse(RateCardSetVersionIn, "rate_card_set_version")
        card_set = self.tables.get(
            call.tenant, "rate_card_sets", str(data.rate_card_set_id), "rate card set"
        )
        day = data.effective_date.isoformat()
        for existing in card_set["rate_card_set_version_ids"]:
            earlier = self.tables.get(call.tenant, "rate_card_set_versions", existing)
            if earlier["effective_date"] == day:
                raise _invalid("effective_date", f"already has a set version on {day}")
        version = self._new(
            call.tenant,
            "rate_card_set_versions",
            {
                "rate_card_set_id": card_set["id"],
                "effective_date": day,
                "active": True,
                "rate_card_version_ids": [],
            },
        )
        card_set["rate_card_set_version_ids"].append(version["id"])
        for card_id in card_set["rate_card_ids"]:
            card = self.tables.get(call.tenant, "rate_cards", card_id)
            self._card_version(call.tenant, card, version["id"])
        return Reply(201, self._envelope(call, "rate_card_set_versions", [version]))

    def _card_version(self, tenant: str, card: dict[str, Any], set_version_id: str) -> None:
        """The rate card version a card has in a set version (Kantata makes it, never a client)."""
        set_version = self.tables.get(tenant, "rate_card_set_versions", set_version_id)
        made = self._new(
            tenant,
            "rate_card_versions",
            {
                "rate_card_id": card["id"],
                "rate_card_set_version_id": set_version_id,
                "default_rate": 0,
                "rate_card_role_ids": [],
            },
        )
        card["rate_card_version_ids"].append(made["id"])
        set_version["rate_card_version_ids"].append(made["id"])

    def _create_rate_card_role(self, call: Call) -> Reply:
        data = call.parse(RateCardRoleIn, "rate_card_role")
        version = self.tables.get(
            call.tenant, "rate_card_versions", str(data.rate_card_version_id), "rate card version"
        )
        role_id = str(data.role_id)
        self.tables.get(call.tenant, "roles", role_id, "role")
        for existing in version["rate_card_role_ids"]:
            if self.tables.get(call.tenant, "rate_card_roles", existing)["role_id"] == role_id:
                raise _invalid("role_id", f"already has a rate on this card version: {role_id}")
        made = self._new(
            call.tenant,
            "rate_card_roles",
            {
                "rate_card_version_id": version["id"],
                "role_id": role_id,
                "rate": data.rate,
            },
        )
        version["rate_card_role_ids"].append(made["id"])
        return Reply(201, self._envelope(call, "rate_card_roles", [made]))

    def rate_card_versions_for_books(self, tenant: str) -> list[dict[str, Any]]:
        """The rate card versions as the run's books keep them for the oracle, in the shape it
        reads: per workspace, the versions of the card it bills by, numbered 1, 2, ... in the
        order they were made, with their effective date, currency and rates by role."""
        books = []
        for workspace in self.tables.all(tenant, "workspaces"):
            card_id = workspace.get("rate_card_id")
            if card_id is None:
                continue
            card = self.tables.get(tenant, "rate_cards", str(card_id))
            for number, version_id in enumerate(card["rate_card_version_ids"], start=1):
                version = self.tables.get(tenant, "rate_card_versions", version_id)
                set_version = self.tables.get(
                    tenant, "rate_card_set_versions", version["rate_card_set_version_id"]
                )
                roles = [
                    self.tables.get(tenant, "rate_card_roles", i)
                    for i in version["rate_card_role_ids"]
                ]
                books.append(
                    {
                        "id": version["id"],
                        "workspace_id": workspace["id"],
                        "version_number": number,
                        "effective_date": set_version["effective_date"],
                        "currency": card["currency"],
                        "rate_card_roles": [
                            {"role_id": r["role_id"], "rate": r["rate"]} for r in roles
                        ],
                    }
                )
        return books
