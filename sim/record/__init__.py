"""What a run leaves behind: the trace of everything that happened, and the ground truth of what
the firm did.

The actors write it as they act; the oracle, the metrics, the reports and the notebooks read
it. It holds data only (no SimPy, no mocks, no core), so that judging a run needs nothing but
the scenario and these records.
"""
