"""Record ids: ``guid`` is ``uuid5(NAMESPACE_URL, "q2c:<namespace>:<n>")`` without the UUID
object (it is on every stored record's path), so every id a run or a tenant ever made stays."""

from __future__ import annotations

import uuid

import pytest

from mocks._state import guid


@pytest.mark.parametrize("namespace", ["t:customer", "sandbox:salesInvoices:line", "é ü", ""])
def test_guid_is_the_uuid5_it_always_was(namespace: str) -> None:
    for n in [0, 1, 7, 99_999, 2**40]:
        expected = uuid.uuid5(uuid.NAMESPACE_URL, f"q2c:{namespace}:{n}")
        made = guid(namespace, n)
        assert made == str(expected)
        assert uuid.UUID(made).version == 5
