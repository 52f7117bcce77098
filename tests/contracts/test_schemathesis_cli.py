"""`q2c contracts check`: the conformance suite from the command line, scored per operation."""

from __future__ import annotations

from typing import Any

import pytest

import contracts.conformance
from contracts.conformance import fixture
from mocks import Reply
from tests.support.cli import invoke, words
from tests.support.contracts import Contract


def test_check_lists_every_operation_of_the_vendor_and_exits_0() -> None:
    """A conforming vendor: one row per spec operation, a 100% score, exit 0."""
    code, out, err = invoke("contracts", "check", "--vendor", "clm", "--examples", "2")
    assert code == 0, out + err
    text = words(out)
    for method, template in Contract("clm").operations():
        assert f"{method} {template}" in text
    assert "conformance 100.00%" in text
    assert "1 of 1 vendors conform." in text


def test_check_refuses_an_unknown_vendor() -> None:
    """A vendor that is not mocked is bad input (exit 2), named in the message."""
    code, _, err = invoke("contracts", "check", "--vendor", "sap")
    assert code == 2
    assert "sap" in err


def test_check_reports_a_mock_that_breaks_its_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLM mock whose record reads answer an undeclared 418 is caught: exit 1, failure named."""

    def broken(vendor: str, *args: Any, **kwargs: Any) -> Any:
        mock = fixture(vendor, *args, **kwargs)
        teapot = lambda call: Reply(418, {"oops": True})  # noqa: E731
        mock.app._routes = [
            (method, regex, teapot if method == "GET" else handler, scope)
            for method, regex, handler, scope in mock.app._routes
        ]
        return mock

    monkeypatch.setattr(contracts.conformance, "fixture", broken)
    code, out, _ = invoke("contracts", "check", "--vendor", "clm", "--examples", "2")
    assert code == 1
    text = words(out)
    assert "FAIL GET /public/api/v1/records" in text
    assert "0 of 1 vendors conform." in text
