"""The simulated world: SimPy actors, scenario loader, runner, oracle, metrics, CLI."""
