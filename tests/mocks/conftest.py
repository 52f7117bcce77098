"""The fixture the payments tests share: ``world``, a fresh Stripe account of the payments mock
(``tests.support.payments.World``) for each test.

A conftest rather than a fixture imported into each ``test_payments_*`` module, so that it is
written once and no import stands unused. A module of another vendor that needs a world of its
own defines its own ``world`` fixture, which takes precedence over this one.
"""

from __future__ import annotations

import pytest

from tests.support.payments import World


@pytest.fixture
def world() -> World:
    return World()
