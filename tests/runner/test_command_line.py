"""The one printed line that reruns a run or a swarm seed (``command.txt``, ``q2c swarm``)."""

from __future__ import annotations

from sim.runner import command_line


def test_a_run_names_its_design_and_sorted_options_quoted_for_a_shell() -> None:
    line = command_line("scenarios/x y.yaml", 7, "reference", {"b": "2", "a": "p q"})
    assert line == (
        "q2c run 'scenarios/x y.yaml' --seed 7 --design reference --option 'a=p q' --option b=2"
    )


def test_a_swarm_seed_redraws_its_faults_and_names_only_a_design_other_than_the_default() -> None:
    assert command_line("s.yaml", 3, "reference", {}, swarm_draw=True) == (
        "q2c run s.yaml --seed 3 --swarm-draw"
    )
    assert command_line("s.yaml", 3, "nightly-batch", {"k": "v"}, swarm_draw=True) == (
        "q2c run s.yaml --seed 3 --swarm-draw --design nightly-batch --option k=v"
    )
