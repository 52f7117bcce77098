"""Clients' VAT ids: a 'valid' one is well-formed by the official format the tax engine checks,
for every country the sandbox knows; a 'malformed' one never is."""

from __future__ import annotations

import pytest
from faker import Faker

from mocks import TaxRules
from sim.firm.registrations import VAT_ID_SHAPES, tax_id

RULES = TaxRules.default()


@pytest.mark.parametrize("country", sorted(VAT_ID_SHAPES))
def test_a_valid_vat_id_passes_the_tax_engines_check(country: str) -> None:
    """Twenty seeded ids per country all match the engine's format for that country."""
    fake = Faker()
    for seed in range(20):
        fake.seed_instance(seed)
        vat_id = tax_id(fake, country, "valid")
        assert vat_id is not None and RULES.valid_vat_id(country, vat_id), vat_id


def test_every_vat_country_of_the_engine_has_a_shape() -> None:
    """No VAT country falls back to a made-up shape."""
    assert set(RULES.vat_id_patterns) <= set(VAT_ID_SHAPES)


@pytest.mark.parametrize("country", ["DK", "SE", "CY", "DE"])
def test_a_malformed_vat_id_fails_it(country: str) -> None:
    """The mistyped ids a scenario asks for are rejected, so VAT applies as the oracle expects."""
    fake = Faker()
    fake.seed_instance(1)
    vat_id = tax_id(fake, country, "malformed")
    assert vat_id is not None and not RULES.valid_vat_id(country, vat_id)
