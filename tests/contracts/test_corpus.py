"""The corpus test: `q2c contracts diff` on pairs of real spec versions from public vendor
histories (Xero's and Twilio's OpenAPI repositories), each against the verdict written by hand
from the vendor's commit message or changelog in ``corpus/corpus.yaml``.

Each pair is two fragments of the real files, cut the same way by ``corpus/trim.py``; the
verdict is the highest level the diff must report and the exact set of rule ids, and the exit
code a CI gate sees at ``--fail-on error`` and ``--fail-on warning`` follows from it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.diff import LEVELS, diff, diff_files, load
from tests.contracts.corpus.trim import trim
from tests.support.cli import invoke

CORPUS = Path(__file__).parent / "corpus"
PAIRS: list[dict[str, Any]] = yaml.safe_load((CORPUS / "corpus.yaml").read_text())
VERDICTS = (*LEVELS, "none")  # error, warning, info, none


def _files(pair: dict[str, Any]) -> tuple[Path, Path]:
    return CORPUS / pair["id"] / "old.yaml", CORPUS / pair["id"] / "new.yaml"


def test_the_corpus_is_varied_and_every_pair_is_documented() -> None:
    """Enough pairs, from more than one vendor, breaking and not, each with its source."""
    assert len(PAIRS) >= 8
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)
    assert len({p["repo"] for p in PAIRS}) >= 2
    verdicts = [p["verdict"] for p in PAIRS]
    assert {"error", "warning", "none"} <= set(verdicts)
    assert sum(v in {"info", "none"} for v in verdicts) >= 4
    for pair in PAIRS:
        assert pair["verdict"] in VERDICTS, pair["id"]
        assert all(len(pair[side]) == 40 for side in ("old", "new")), pair["id"]
        assert pair["says"] and pair["why"] and pair["vendor"] and pair["operations"]
        assert (pair["rules"] == []) == (pair["verdict"] == "none"), pair["id"]
    # folders and table agree: no fragment without its verdict
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name[0] != "_") == sorted(
        p["id"] for p in PAIRS
    )


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p["id"])
def test_each_fragment_names_its_source_and_holds_only_its_operations(
    pair: dict[str, Any],
) -> None:
    """Each file says which repository, file and commit it was cut from, and cutting it again
    with the pair's operations changes nothing (it is what trim.py makes of the real file)."""
    for side, path in zip(("old", "new"), _files(pair), strict=True):
        head = path.read_text().split("\n", 2)
        assert pair["repo"] in head[0] and pair["path"] in head[0], path
        assert pair[side] in head[1], path
        spec = load(path)
        assert trim(copy.deepcopy(spec), pair["operations"]) == spec, path


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p["id"])
def test_each_verdict_is_right(pair: dict[str, Any]) -> None:
    """The diff reports exactly the rules the verdict names, at the verdict's level."""
    old, new = _files(pair)
    changes = diff_files(old, new)
    assert sorted({c.rule for c in changes}) == sorted(pair["rules"]), pair["says"]
    top = min((LEVELS.index(c.level) for c in changes), default=len(LEVELS))
    assert VERDICTS[top] == pair["verdict"], pair["says"]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p["id"])
def test_each_gate_exits_as_the_verdict_says(pair: dict[str, Any]) -> None:
    """A CI gate fails at --fail-on error on an error only, at --fail-on warning also on a
    warning, and passes otherwise."""
    old, new = (str(p) for p in _files(pair))
    for fail_on, failing in (("error", {"error"}), ("warning", {"error", "warning"})):
        code, out, err = invoke("contracts", "diff", old, new, "--fail-on", fail_on)
        assert code == (1 if pair["verdict"] in failing else 0), (fail_on, out, err)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p["id"])
def test_each_fragment_diffed_with_itself_is_clean(pair: dict[str, Any]) -> None:
    """Diffing a fragment with itself is clean: what is reported is the vendor's change."""
    for path in _files(pair):
        spec = load(path)
        assert diff(spec, copy.deepcopy(spec)) == []
