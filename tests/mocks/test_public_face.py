"""``mocks`` has one public face: code outside the package imports from ``mocks`` only."""

from __future__ import annotations

import ast

import mocks
from tests.support.paths import ROOT

# A test of one private module itself may import it (and nothing else private).
TESTS_OF_INTERNALS = {
    "tests/mocks/test_auth.py": {"mocks._auth"},
    "tests/mocks/test_tax_errors.py": {"mocks._tax_errors"},  # its codes against AvaTax's own
    "tests/mocks/test_erp_lines.py": {"mocks._erp_line_columns"},  # records made from columns
    "tests/mocks/test_ids.py": {"mocks._state"},  # ids computed by hand, against uuid.uuid5
    "tests/mocks/test_served_head.py": {"mocks._served_head"},  # its rules against httpx's
}


def _mocks_imports(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    found = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mocks.")
    }
    found |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("mocks.")
    }
    return found


def test_every_public_name_resolves() -> None:
    assert len(set(mocks.__all__)) == len(mocks.__all__)
    missing = [name for name in mocks.__all__ if not hasattr(mocks, name)]
    assert missing == []


def test_nothing_outside_mocks_reaches_into_its_modules() -> None:
    offenders = {}
    for package in ("sim", "orchestrator", "reports", "contracts", "tests"):
        for file in sorted((ROOT / package).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            reached = _mocks_imports(path) - TESTS_OF_INTERNALS.get(path, set())
            if reached:
                offenders[path] = sorted(reached)
    assert offenders == {}
