"""The Kantata role a rate by role and country lives on, and our role read back from it."""

from __future__ import annotations

from orchestrator.adapters.psa import kantata_role, our_role


def test_a_rate_by_country_is_a_role_per_country_and_reads_back() -> None:
    name = kantata_role("senior_developer", "NL")
    assert name == "senior_developer (NL)"
    assert our_role(name) == "senior_developer"
    assert our_role("Engineer") == "Engineer"  # an account without country roles
    assert our_role("Lead (Interim)") == "Lead (Interim)"  # not a country suffix
