"""The simulator, in rooms along the data path, each importing only the rooms below it:

- ``scenario``: the input (a firm and a period, as checked data);
- ``record``: what a run leaves (trace, ground truth, books, facts, the run folder);
- ``world`` (the vendors and the core on one SimPy clock) and ``oracle`` (what every item
  should have been billed, judged from records, never from the world);
- ``firm`` (the workload: people and their habits) and ``metrics``;
- ``judge``: a run's record -> the oracle's verdicts and ``metrics.json``;
- ``runner`` (one scenario, one seed, one run folder) and ``swarm`` (many seeds);
- ``app``: the command line, its views and the HTTP server, on top.

``seeds`` sits under all of them: one seed drives everything. import-linter holds the order
(``pyproject.toml``, ``tests/test_layers.py``).
"""
