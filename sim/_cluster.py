"""Where many independent runs execute: in this process, in local worker processes, or on a
dask.distributed cluster. ``q2c swarm`` fans its seeds out through ``fan_out``; a future
``q2c compare`` (two designs over the same seeds) can reuse it as is, since it knows nothing
about seeds, scenarios or judging: it calls a top-level function once per argument tuple and
yields the results as they finish.

Dask is an optional extra (``pip install 'q2c-sandbox[cluster]'``), imported only when a
cluster is asked for. On a cluster, a task whose worker dies is re-run on another worker by the
scheduler itself (up to ``distributed.scheduler.allowed-failures`` times, then
``KilledWorker``); since every run is a pure function of its arguments, a re-run gives the same
result, so a lost worker costs time, never a seed. Workers must import the same code: on
connect every worker's installed ``q2c-sandbox`` version is compared with ours and a mismatch is
refused (``ClusterError``), because another version could judge the same seed differently.

This module prints nothing (the engines' rule); errors carry the message the CLI shows.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import multiprocessing
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

__all__ = ["DIST", "INSTALL_HINT", "ClusterError", "Placement", "fan_out", "installed_version"]

DIST = "q2c-sandbox"
INSTALL_HINT = "pip install 'q2c-sandbox[cluster]'  (dask and distributed, pinned)"
_LOCAL = re.compile(r"local:(\d+)\Z")


class ClusterError(Exception):
    """The cluster cannot be used: Dask missing, address unreachable, versions differ."""


@dataclass(frozen=True)
class Placement:
    """Where runs go: ``cluster`` (a scheduler address such as ``tcp://10.0.0.5:8786``, or
    ``local:N`` for a LocalCluster of N single-threaded worker processes on this machine),
    else ``workers`` local processes (one means in this process)."""

    workers: int = 1
    cluster: str | None = None


def installed_version() -> str:
    """This interpreter's installed q2c-sandbox version (run on each worker too)."""
    return importlib.metadata.version(DIST)


def fan_out(
    fn: Callable[..., Any],
    calls: Sequence[tuple[Any, ...]],
    placement: Placement,
    shared: tuple[Any, ...] = (),
) -> Iterator[Any]:
    """``fn(*call, *shared)`` for every call, yielded in completion order. ``fn`` must be a
    top-level function (pickled by reference). ``shared`` is appended to every call; a cluster
    receives it once per worker (scattered), not once per call."""
    if placement.cluster:
        yield from _on_dask(fn, calls, placement.cluster, shared)
        return
    if placement.workers <= 1 or len(calls) <= 1:
        for call in calls:
            yield fn(*call, *shared)
        return
    context = multiprocessing.get_context("spawn")  # no fork: safe with threads, same everywhere
    with ProcessPoolExecutor(max_workers=placement.workers, mp_context=context) as pool:
        futures = [pool.submit(fn, *call, *shared) for call in calls]
        for future in as_completed(futures):
            yield future.result()


def _on_dask(
    fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], address: str, shared: tuple[Any, ...]
) -> Iterator[Any]:
    try:
        dask: Any = importlib.import_module("distributed")  # only now: an optional extra
    except ImportError as exc:
        raise ClusterError(f"--cluster needs Dask, which is not installed: {INSTALL_HINT}") from exc
    with _connect(dask, address) as client:
        _check_versions(client)
        scattered = [client.scatter(value, broadcast=True, hash=False) for value in shared]
        futures = [
            client.submit(fn, *call, *scattered, pure=False, key=f"q2c-{i}")
            for i, call in enumerate(calls)
        ]
        for future in dask.as_completed(futures, loop=client.loop):
            yield future.result()


def _connect(distributed: Any, address: str) -> Any:
    """A Client on ``address``; for ``local:N`` a LocalCluster the Client closes with itself."""
    local = _LOCAL.match(address)
    try:
        if local:
            n = int(local.group(1))
            if n < 1:
                raise ClusterError(f"--cluster {address}: a local cluster needs at least 1 worker")
            cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # a free port: 8787 may be taken
            )  # fmt: skip
            client = distributed.Client(cluster, set_as_default=False)
            return _Closing(client, cluster)
        return _Closing(distributed.Client(address, timeout="10s", set_as_default=False), None)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--cluster {address}: cannot reach the scheduler ({exc})") from exc


class _Closing:
    """Context manager closing the client, then the LocalCluster we started, if any."""

    def __init__(self, client: Any, cluster: Any) -> None:
        self.client, self.cluster = client, cluster

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _check_versions(client: Any) -> None:
    """Refuse workers running another q2c-sandbox version (or none): they could judge a seed
    differently from this machine, and the swarm would no longer match a local one."""
    ours = installed_version()
    try:
        theirs: dict[str, str] = client.run(installed_version)
    except Exception as exc:  # a worker without q2c-sandbox cannot even unpickle the probe
        raise ClusterError(
            f"the cluster's workers cannot import q2c-sandbox ({type(exc).__name__}: {exc}); "
            f"every worker must have q2c-sandbox {ours} installed"
        ) from exc
    if not theirs:
        raise ClusterError("the cluster has no workers")
    wrong = {w: v for w, v in sorted(theirs.items()) if v != ours}
    if wrong:
        listed = ", ".join(f"{w} has {v}" for w, v in wrong.items())
        raise ClusterError(
            f"every worker must have q2c-sandbox {ours} installed (this machine's); {listed}"
        )
