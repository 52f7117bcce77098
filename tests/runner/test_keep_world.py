"""A run that does not keep its world (``q2c run``) lets it go before judging, and writes the
same run folder as one that keeps it (issue 14: a big run's mocks and core were held through
judging, writing and the report)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

from sim.runner import run, write_run
from sim.scenario.format import Scenario
from sim.world.world import World


def test_a_world_not_kept_is_gone_before_the_oracle_judges(
    small: Scenario, tmp_path: Path, monkeypatch: Any
) -> None:
    import sim.runner as runner

    seen: list[weakref.ref[World]] = []
    alive_at_judging: list[bool] = []
    judge = runner.judge

    def judging(*args: Any) -> Any:
        alive_at_judging.append(seen[0]() is not None)
        return judge(*args)

    monkeypatch.setattr(runner, "judge", judging)
    lean = run(small, 3, doctor=lambda w: seen.append(weakref.ref(w)), keep_world=False)
    assert lean.world is None and alive_at_judging == [False]
    kept = run(small, 3)
    assert kept.world is not None
    gc.collect()
    write_run(lean, tmp_path / "lean", "q2c run small")
    write_run(kept, tmp_path / "kept", "q2c run small")
    names = sorted(p.relative_to(tmp_path / "kept") for p in (tmp_path / "kept").rglob("*.*"))
    assert names == sorted(
        p.relative_to(tmp_path / "lean") for p in (tmp_path / "lean").rglob("*.*")
    )
    for name in names:  # trace, items, metrics, truth and books, byte for byte
        assert (tmp_path / "lean" / name).read_bytes() == (tmp_path / "kept" / name).read_bytes()
    assert lean.metrics["trace_sha256"] == kept.metrics["trace_sha256"]
