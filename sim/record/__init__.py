"""What a run leaves behind, as plain data: the trace of everything that happened, the ground
truth of what the firm did, the books (the vendors' end state, the core's open exceptions, the
exchange rates used) and the run's facts, and the run folder that holds them all.

The actors write truth as they act and the world closes the books at the end; the oracle, the
metrics, the reports and the notebooks read them, live or from the folder (``folder``). It
holds data only (no SimPy, no mocks, no core), so that judging a run needs nothing but the
scenario and these records.
"""
