"""Every spec in contracts/ loads with a YAML loader that refuses duplicate keys.

PyYAML keeps the last of two equal keys without a word: ``erp.yaml`` once declared ``"400"``
twice on three operations and served only the second answer. JSON Schema and OpenAPI tools
disagree on which one wins, so a duplicate is a defect whatever it says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.contracts import CONTRACTS

_SPECS = sorted(CONTRACTS.glob("*.yaml"))


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that raises on a mapping key given twice, naming the line."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass


def test_the_strict_loader_refuses_a_duplicate_key() -> None:
    """The loader itself: a repeated response code is an error naming the key and both lines."""
    with pytest.raises(
        yaml.constructor.ConstructorError, match=r"duplicate key '400' \(first on line 2\)"
    ):
        _load('responses:\n  "400": {a: 1}\n  "400": {b: 2}\n')
    assert _load('a:\n  "400": 1\nb:\n  "400": 2\n') == {"a": {"400": 1}, "b": {"400": 2}}


@pytest.mark.parametrize("path", _SPECS, ids=lambda p: p.name)
def test_spec_has_no_duplicate_keys(path: Path) -> None:
    """Each contract (the drift copies too) parses with no key given twice in any mapping."""
    assert _load(path.read_text(encoding="utf-8"))["openapi"].startswith("3.1.")
