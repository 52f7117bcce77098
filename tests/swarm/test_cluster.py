"""Swarms on a dask.distributed cluster (``q2c swarm --cluster``): the same outcomes, seed for
seed, as local workers, the same swarm.json, a lost worker's seeds re-run, and clear refusals
(Dask missing, workers on another q2c-sandbox version). Each test starts its own LocalCluster
on 127.0.0.1 and closes it."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import LocalCluster

from sim._cluster import ClusterError, _check_versions, installed_version
from sim.swarm import SeedOutcome, swarm
from tests.support.cli import invoke
from tests.support.paths import SMALL

FAULTS_YAML = """
faults:
  heal: 2026-06-01
  webhooks:
    psa: {duplicate: 0.4, reorder: 0.5, max_delay_s: 7200, drop: 0.3}
"""
TIMING = ("wall_s",)  # the only per-seed field allowed to differ between two machines


@pytest.fixture
def chaos(tmp_path: Path) -> Path:
    file = tmp_path / "small-chaos.yaml"
    file.write_text(SMALL.read_text() + FAULTS_YAML)
    return file


def _cluster(processes: bool) -> LocalCluster:
    return LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, host="127.0.0.1",
        protocol="tcp://",  # a real address even for threads (inproc:// would skip the wire)
        dashboard_address="127.0.0.1:0",  # a free port: never 8787, which another cluster may hold
    )  # fmt: skip


@pytest.fixture
def threads() -> Iterator[LocalCluster]:
    """Two single-threaded workers in this process: starts in well under a second, so the
    default suite can afford it (the seeds share the GIL: no speed-up, same results)."""
    with _cluster(processes=False) as cluster:
        yield cluster


def _seeds(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in s.items() if k not in TIMING} for s in report["seeds"]]


def test_a_cluster_swarm_writes_the_local_swarm_json(chaos: Path, threads: LocalCluster) -> None:
    """q2c swarm --cluster ADDRESS: exit code, every seed's outcome (but its wall time), the
    summary and the envelope in swarm.json equal those of local workers."""
    address = threads.scheduler_address
    runs = {}
    for name, where in (("local", ["--workers", "1"]), ("cluster", ["--cluster", address])):
        out = chaos.parent / name
        code, stdout, _ = invoke("swarm", str(chaos), "--seeds", "2", *where, "--out", str(out))
        assert code == 0, stdout
        runs[name] = json.loads((out / "swarm.json").read_text())
    local, cluster = runs["local"], runs["cluster"]
    assert [s["seed"] for s in cluster["seeds"]] == [1, 2]
    assert _seeds(cluster) == _seeds(local)
    assert cluster["cluster"] == address and local["cluster"] is None
    for key in ("envelope", "scenario", "design", "options"):
        assert cluster[key] == local[key]
    summary = {k: v for k, v in cluster["summary"].items() if k != "wall_s"}
    assert summary == {k: v for k, v in local["summary"].items() if k != "wall_s"}


def test_without_dask_the_cluster_option_exits_2_saying_what_to_install(
    chaos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--cluster with Dask not installed: exit 2, the pip line, no swarm.json; Dask is imported
    only when a cluster is asked for (a local swarm still runs)."""
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    out = chaos.parent / "s"
    code, _, stderr = invoke(
        "swarm", str(chaos), "--seeds", "1", "--cluster", "local:2", "--out", str(out)
    )
    assert code == 2
    assert "pip install 'q2c-sandbox[cluster]'" in " ".join(stderr.split())
    assert not (out / "swarm.json").exists()


def test_a_local_cluster_of_no_workers_exits_2(chaos: Path) -> None:
    """--cluster local:0 is refused before anything runs."""
    out = chaos.parent / "s"
    code, _, stderr = invoke(
        "swarm", str(chaos), "--seeds", "1", "--cluster", "local:0", "--out", str(out)
    )
    assert code == 2
    assert "local cluster needs at least 1 worker" in " ".join(stderr.split())
    assert not (out / "swarm.json").exists()


class _Workers:
    """A stand-in Client whose ``run`` answers as workers with these versions would."""

    def __init__(self, versions: dict[str, str]) -> None:
        self.versions = versions

    def run(self, fn: Any) -> dict[str, str]:
        assert fn is installed_version
        return self.versions


def test_workers_on_another_version_are_refused() -> None:
    """Workers must run this machine's q2c-sandbox version: another one (or no worker at all)
    is refused before any seed runs, naming the worker and both versions."""
    ours = installed_version()
    _check_versions(_Workers({"tcp://127.0.0.1:1": ours, "tcp://127.0.0.1:2": ours}))
    with pytest.raises(ClusterError) as refused:
        _check_versions(_Workers({"tcp://127.0.0.1:1": ours, "tcp://127.0.0.1:2": "0.0.9"}))
    message = str(refused.value)
    assert f"every worker must have q2c-sandbox {ours} installed" in message
    assert "tcp://127.0.0.1:2 has 0.0.9" in message and "127.0.0.1:1 has" not in message
    with pytest.raises(ClusterError, match="no workers"):
        _check_versions(_Workers({}))


def test_the_real_workers_pass_the_version_check(threads: LocalCluster) -> None:
    """The probe really runs on the workers (here the same install): no refusal."""
    from distributed import Client

    with Client(threads.scheduler_address, set_as_default=False) as client:
        _check_versions(client)
        assert set(client.run(installed_version).values()) == {installed_version()}


@pytest.mark.swarm
def test_processes_cluster_matches_local_even_when_a_worker_dies(chaos: Path) -> None:
    """Eight seeds on two worker processes, one of them killed (SIGKILL) while it runs a seed:
    the scheduler re-runs that worker's seeds elsewhere, and every outcome still equals the
    local swarm's, seed for seed."""
    file = str(chaos)
    seeds = range(1, 9)
    local = swarm(file, seeds, workers=2)
    with _cluster(processes=True) as cluster:
        killed: list[str] = []

        def kill_a_busy_worker(_: SeedOutcome) -> None:
            if killed:
                return
            busy = [a for a, w in cluster.scheduler.workers.items() if w.processing]
            nanny = next(n for n in cluster.workers.values() if n.worker_address in busy)
            killed.extend(t.key for t in cluster.scheduler.workers[nanny.worker_address].processing)
            os.kill(nanny.process.process.pid, signal.SIGKILL)

        remote = swarm(file, seeds, done=kill_a_busy_worker, cluster=cluster.scheduler_address)
    assert killed, "no worker was busy when the first seed finished"
    strip = TIMING
    assert [{k: v for k, v in vars(o).items() if k not in strip} for o in remote] == [
        {k: v for k, v in vars(o).items() if k not in strip} for o in local
    ]
