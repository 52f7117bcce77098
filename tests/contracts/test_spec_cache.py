"""Parsed specs are kept as JSON under the hash of their YAML (``contracts.specs.load``): the
cached document is the parsed one, type for type, and a changed spec is never read stale."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import specs


def _same(a: Any, b: Any) -> bool:
    """Equal, in the same order and of the same types (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("Q2C_CACHE_DIR", str(tmp_path / "cache"))
    specs.load.cache_clear()
    yield tmp_path / "cache" / "specs"
    specs.load.cache_clear()


def _parsed(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=specs._JsonLoader)


@pytest.mark.parametrize("name", [*specs.VENDORS, *specs.PROTOCOLS])
def test_a_cached_spec_is_the_parsed_spec(cache: Path, name: str) -> None:
    first = specs.load(name)
    assert len(list(cache.glob(f"{name}-*.json"))) == 1
    specs.load.cache_clear()
    again = specs.load(name)  # from the cache
    assert again is not first
    assert _same(again, _parsed(specs.CONTRACTS / f"{name}.yaml"))


def test_a_changed_spec_is_parsed_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    shutil.copy(specs.CONTRACTS / "tax.yaml", folder / "tax.yaml")
    monkeypatch.setattr(specs, "CONTRACTS", folder)
    assert specs.load("tax")["info"]["title"] != "Changed"
    text = (folder / "tax.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    document["info"]["title"] = "Changed"
    (folder / "tax.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    specs.load.cache_clear()
    assert specs.load("tax")["info"]["title"] == "Changed"
    assert len(list(cache.glob("tax-*.json"))) == 2


def test_what_json_cannot_give_back_is_never_cached(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "odd.yaml").write_text("paths:\n  200: {a: 1}\nbig: 99999999999999999999\n")
    monkeypatch.setattr(specs, "CONTRACTS", folder)
    document = specs.load("odd")
    assert document == {"paths": {200: {"a": 1}}, "big": 99999999999999999999}
    assert not cache.exists() or list(cache.iterdir()) == []


def test_an_unreadable_cache_file_is_passed_over(cache: Path) -> None:
    specs.load("crm")
    (file,) = cache.glob("crm-*.json")
    file.write_bytes(b"{not json")
    specs.load.cache_clear()
    assert _same(specs.load("crm"), _parsed(specs.CONTRACTS / "crm.yaml"))


def test_an_empty_cache_setting_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("Q2C_CACHE_DIR", "")
    assert specs.spec_cache() is None
    specs.load.cache_clear()
    try:
        assert specs.load("design")["openapi"].startswith("3.1")
    finally:
        specs.load.cache_clear()
