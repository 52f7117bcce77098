"""Golden fingerprints: a change that alters what a run does must be noticed, and made on purpose.

The small scenario's run folder (seed 3) and the flagship's trace (seed 7) are pinned to the
SHA-256 of their files. A refactoring keeps them; a change of behaviour breaks this test, and
whoever makes it updates the hashes here, saying why in the commit message. To print the new
values: ``q2c run tests/scenarios/small.yaml --seed 3 --out /tmp/g && sha256sum /tmp/g/*``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sim.runner import run_scenario
from tests.support.paths import SMALL

SMALL_SEED_3 = {
    "metrics.json": "fc7ba6c7cdf9cea1948c2daaf110d0d211a4b707ad078905be84051af37f4db6",
    "trace.jsonl": "ab4dad29bf57d2c56733784f4bea697f39c96cdaf4d0a4d360c63908472b5882",
    "items.csv": "86fbc19616cf45a3a5f662eaf6cd57fafd18c199e64d12061e5b819e30cbcd3f",
}
FLAGSHIP_SEED_7_TRACE = "d675ca293aaa082200990a72c6c5a2dba3418a9919b763df97fefdc6843cc452"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
