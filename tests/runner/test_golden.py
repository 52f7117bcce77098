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
    "metrics.json": "d8c896d1ac1e5446be98b4406e568c653d5be9c140dc49bad65ca4b65f466256",
    "trace.jsonl": "6ef190e4beb96290e12a396df44466e8269cb82a1b24cbccc212173219f5b654",
    "items.csv": "4f5643e2f191d8acd911b4ac05026aca97673ad4952b67288e8f1d40ca9b8925",
}
FLAGSHIP_SEED_7_TRACE = "640eeadf94e3abd19aae9dcdac79af91f961c2f2e68b004aad1d95a137dd17c9"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
