"""The firm: the workload that the world's vendors and the core must carry.

Consultants log time and expenses, managers approve them, sales wins deals, legal signs
statements of work and change orders, finance triggers billing runs, clients pay, and
operations watches the core. Each is one SimPy process over data (never a process per time
entry), and each records what it did as ground truth (``sim.record``) for the oracle to price.
"""

from sim.firm.actors import start_firm
from sim.firm.clients import start_clients
from sim.firm.expenses import start_expenses
from sim.firm.operations import Operations, resilience_metrics
from sim.firm.workforce import Consultant, hire, start_workforce

__all__ = [
    "Consultant",
    "Operations",
    "hire",
    "resilience_metrics",
    "start_clients",
    "start_expenses",
    "start_firm",
    "start_workforce",
]
