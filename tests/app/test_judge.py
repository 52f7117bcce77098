"""`q2c judge RUN`: a finished run re-judged from its folder alone gives the same metrics.json,
byte for byte, on a clean run, a crash with restart and webhook chaos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.runner import run_scenario
from tests.support.cli import invoke, words
from tests.support.paths import ROOT, SMALL

pytestmark = pytest.mark.slow

RUNS = [
    (SMALL, 3),
    (ROOT / "scenarios" / "crash-restart.yaml", 3),
    (ROOT / "scenarios" / "webhook-chaos.yaml", 5),
]


@pytest.mark.parametrize(("scenario", "seed"), RUNS, ids=lambda v: getattr(v, "stem", str(v)))
def test_judge_rewrites_the_same_metrics(scenario: Path, seed: int, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_scenario(scenario, seed, out=out)
    written = {name: (out / name).read_bytes() for name in ("metrics.json", "items.csv")}
    (out / "metrics.json").unlink()
    (out / "items.csv").unlink()
    code, out_text, err = invoke("judge", str(out), "--no-report")
    assert code == 0, out_text + err
    for name, content in written.items():
        assert (out / name).read_bytes() == content, name


def test_judge_says_what_a_folder_lacks(tmp_path: Path) -> None:
    shutil.copy(SMALL, tmp_path / "small.yaml")
    code, _, err = invoke("judge", str(tmp_path))
    assert code == 2
    assert "not a complete run folder: missing scenario.json" in words(err)
    assert "run the scenario again" in words(err)


def test_judge_wants_a_folder(tmp_path: Path) -> None:
    code, _, err = invoke("judge", str(tmp_path / "nowhere"))
    assert code == 2 and "is not a folder" in words(err)
