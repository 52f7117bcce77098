"""Record ids are the same GUIDs they always were: ``mocks._state.guid`` computes uuid5 by hand
(hashlib, no ``UUID`` object) for speed, and must agree with ``uuid.uuid5`` bit for bit, or every
id in every trace would move."""

from __future__ import annotations

import uuid

import pytest

from mocks._state import guid


@pytest.mark.parametrize("namespace", ["psa:time_entries", "erp", "", "Zoë € \U0001f4b6"])
def test_guid_is_uuid5_of_the_q2c_url(namespace: str) -> None:
    for n in [*range(2000), 2**40, -3]:
        expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"q2c:{namespace}:{n}"))
        assert guid(namespace, n) == expected


def test_guid_is_a_version_5_rfc_4122_uuid() -> None:
    parsed = uuid.UUID(guid("erp", 7))
    assert (parsed.version, parsed.variant) == (5, uuid.RFC_4122)
