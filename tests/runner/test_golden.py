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
    "metrics.json": "f2267c17e0e27be8add0aff056ad8f4dd55653344eb473f36e9fac7788215cce",
    "trace.jsonl": "423ebe1ce43df5916d2cb777e432c67d22db9cec1a5e4080e0ff3c5e3e66cca6",
    "items.csv": "a9a2c9685455a215c784f6211e64f1be51da9ed19f1dcbbebd50dd8fb1f11618",
}
FLAGSHIP_SEED_7_TRACE = "c70397ff3b3036e2643f82ae70597da2684a743f616772eae5f6b8d49502f51d"
"""Checked by ``tests/runner/test_flagship.py``, which runs the flagship once for all its tests."""


def test_the_small_run_folder_is_byte_for_byte_what_it_was(tmp_path: Path) -> None:
    run_scenario(SMALL, 3, out=tmp_path)
    found = {
        name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() for name in SMALL_SEED_3
    }
    assert found == SMALL_SEED_3, "a run changed: update the hashes only if that was meant"
