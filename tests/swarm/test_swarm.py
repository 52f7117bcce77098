"""Swarm testing: each seed draws its own faults inside the scenario's envelope, the swarm
judges every seed, and a failing seed's printed command reproduces it exactly."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from sim.scenario.draw import draw_faults, drawn_kinds, envelope_kinds, switched_on
from sim.scenario.faults import FaultsSpec
from sim.swarm import swarm
from tests.support.cli import invoke, words
from tests.support.paths import SMALL

ENVELOPE = FaultsSpec.model_validate(
    {
        "heal": "2026-06-01",
        "vendors": {
            "erp": {
                "outages": [
                    {"start": "2026-04-07T05:00:00", "end": "2026-04-07T09:00:00"},
                    {"start": "2026-05-06T05:00:00", "end": "2026-05-06T07:00:00",
                     "mode": "refused"},
                ],
                "lost_responses": {"rate": 0.2},
                "errors": {"rate": 0.1, "burst": 4},
                "latency": {"median_ms": 100, "p99_ms": 4000},
            },
            "tax": {"quota": {"preset": "xero"}},
        },
        "webhooks": {"psa": {"duplicate": 0.4, "reorder": 0.5, "max_delay_s": 7200, "drop": 0.2}},
        "crash": {"after_call": {"vendor": "erp", "method": "POST", "nth": 9},
                  "downtime_minutes": 60},
    }
)  # fmt: skip
SEEDS = range(1, 81)
FAULTS_YAML = """
faults:
  heal: 2026-06-01
  webhooks:
    psa: {duplicate: 0.4, reorder: 0.5, max_delay_s: 7200, drop: 0.3}
"""


def test_every_draw_stays_inside_the_envelope() -> None:
    """No drawn setting is stronger than the envelope's; quotas, modes and heal are kept."""
    erp, psa = ENVELOPE.vendors["erp"], ENVELOPE.webhooks["psa"]
    for seed in SEEDS:
        drawn = draw_faults(ENVELOPE, seed)
        assert drawn.heal == ENVELOPE.heal
        d_erp = drawn.vendors.get("erp")
        if d_erp is not None:
            if d_erp.lost_responses:
                assert 0.2 * 0.2 <= d_erp.lost_responses.rate <= 0.2
            if d_erp.errors:
                assert d_erp.errors.rate <= 0.1 and 1 <= d_erp.errors.burst <= 4
            if d_erp.latency:
                assert 100 <= d_erp.latency.p99_ms <= 4000
            envelope_windows = [(o.start, o.end, o.mode) for o in erp.outages]
            for o in d_erp.outages:
                _, end, mode = next(w for w in envelope_windows if w[0] == o.start)
                assert o.start < o.end <= end and o.mode == mode
        if "tax" in drawn.vendors:
            assert drawn.vendors["tax"].quota == ENVELOPE.vendors["tax"].quota
        if "psa" in drawn.webhooks:
            chaos = drawn.webhooks["psa"]
            assert chaos.duplicate <= psa.duplicate and chaos.drop <= psa.drop
            assert chaos.reorder <= psa.reorder and chaos.max_delay_s <= psa.max_delay_s
        if drawn.crash is not None:
            assert drawn.crash.after_call is not None
            assert 1 <= drawn.crash.after_call.nth <= 9
            assert 15 <= drawn.crash.downtime_minutes <= 60


def test_each_kind_is_sometimes_on_sometimes_off_never_all_off() -> None:
    """Over 80 seeds every kind is drawn both ways, and no seed draws nothing at all."""
    kinds = envelope_kinds(ENVELOPE)
    assert len(kinds) == 8
    counts = dict.fromkeys(kinds, 0)
    for seed in SEEDS:
        on = switched_on(ENVELOPE, seed)
        assert on, seed
        for kind in on:
            counts[kind] += 1
    assert all(0 < n < len(SEEDS) for n in counts.values()), counts


def test_a_draw_depends_on_the_seed_only() -> None:
    """The same seed draws the same faults every time; seeds differ from one another."""
    assert draw_faults(ENVELOPE, 7) == draw_faults(ENVELOPE, 7)
    distinct = {json.dumps(draw_faults(ENVELOPE, s).model_dump(mode="json")) for s in SEEDS}
    assert len(distinct) > 70


def test_an_envelope_with_nothing_draws_nothing() -> None:
    """A scenario without faults swarms as it runs: nothing is drawn."""
    assert draw_faults(FaultsSpec(), 3) == FaultsSpec()
    assert drawn_kinds(FaultsSpec()) == []


def _faulty_small(tmp_path: Path) -> Path:
    file = tmp_path / "small-chaos.yaml"
    file.write_text(SMALL.read_text() + FAULTS_YAML)
    return file


def test_swarm_runs_and_judges_every_seed(tmp_path: Path) -> None:
    """Three seeds in-process: each judged, with what it drew and what fired."""
    outcomes = swarm(str(_faulty_small(tmp_path)), range(1, 4))
    assert [o.seed for o in outcomes] == [1, 2, 3]
    for o in outcomes:
        assert o.drawn == ["psa.webhooks"] and o.violations == 0 and not o.failed
        assert o.trace_sha256 and o.command.endswith(f"--seed {o.seed} --swarm-draw")
    assert any(o.fired.get("webhook_dropped") for o in outcomes)


def test_a_failing_seed_reproduces_from_its_printed_command(tmp_path: Path) -> None:
    """q2c swarm exits 1 and prints a q2c run line per failing seed; that line gives the same
    violations and the same trace_sha256 (and without --swarm-draw another trace)."""
    file = _faulty_small(tmp_path)
    out = tmp_path / "swarm"
    code, stdout, _ = invoke(
        "swarm", str(file), "--seeds", "2", "--first", "5", "--workers", "1",
        "--design", "tests.support.designs:forgetful", "--out", str(out),
    )  # fmt: skip
    assert code == 1, stdout
    report = json.loads((out / "swarm.json").read_text())
    assert report["summary"]["failing_seeds"] == [5, 6]
    seed = report["seeds"][0]
    command = next(line.strip() for line in stdout.splitlines() if "--seed 5 " in line)
    assert command == seed["command"]
    args = shlex.split(command)
    assert args[:2] == ["q2c", "run"]
    run_dir = tmp_path / "rerun"
    code, _, _ = invoke(*args[1:], "--out", str(run_dir), "--no-report")
    assert code == 1
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["trace_sha256"] == seed["trace_sha256"]
    assert len(metrics["invariants"]["violations"]) == seed["violations"] > 0
    assert (run_dir / "command.txt").read_text().strip().endswith("--swarm-draw")
    plain = [a for a in args[1:] if a != "--swarm-draw"]
    invoke(*plain, "--out", str(tmp_path / "plain"), "--no-report")
    plain_metrics = json.loads((tmp_path / "plain" / "metrics.json").read_text())
    assert plain_metrics["trace_sha256"] != seed["trace_sha256"]


def test_parallel_workers_give_the_same_outcomes(tmp_path: Path) -> None:
    """Two spawned worker processes judge seeds exactly as the parent process does."""
    file = str(_faulty_small(tmp_path))
    alone = swarm(file, range(1, 3), workers=1)
    pooled = swarm(file, range(1, 3), workers=2)
    assert [o.trace_sha256 for o in alone] == [o.trace_sha256 for o in pooled]


def test_a_clean_swarm_exits_0_with_a_table(tmp_path: Path) -> None:
    """Every seed holds: exit 0, a row per seed, swarm.json written."""
    code, stdout, _ = invoke(
        "swarm", str(_faulty_small(tmp_path)), "--seeds", "2", "--workers", "1",
        "--out", str(tmp_path / "s"),
    )  # fmt: skip
    assert code == 0, stdout
    text = words(stdout)
    assert "swarm: small-firm" in text and "psa.webhooks" in text
    assert "Every invariant holds on every seed." in text
    assert (tmp_path / "s" / "swarm.json").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["--seeds", "0"],
        ["--workers", "0"],
        ["--option", "novalue"],
        ["--design", "no.such:design"],
    ],
    ids=["no-seeds", "no-workers", "bad-option", "bad-design"],
)
def test_bad_input_exits_2(args: list[str], tmp_path: Path) -> None:
    """Nonsense arguments are refused with exit code 2 before anything runs."""
    code, _, _ = invoke("swarm", str(SMALL), *args, "--out", str(tmp_path / "s"))
    assert code == 2
    assert not (tmp_path / "s" / "swarm.json").exists()


def test_a_broken_scenario_exits_2(tmp_path: Path) -> None:
    """A scenario that does not validate is reported, located, with exit code 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text() + "faults:\n  crash: {downtime_minutes: 5}\n")
    code, _, stderr = invoke("swarm", str(bad), "--seeds", "1")
    assert code == 2
    assert "faults.crash" in stderr
