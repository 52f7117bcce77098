"""The oracle: what every billable item should have cost, and what the ERP says it was billed.

It prices ground truth with its own small code, from the scenario's contract terms, and never
imports the core (an import-linter rule holds it to that). See ``_items`` for the item-by-item
verdicts and ``_tax`` for the tax each posted invoice should carry.
"""

from sim.oracle._cash import check_cash
from sim.oracle._documents import check_documents
from sim.oracle._drafts import check_orphan_drafts
from sim.oracle._holds import check_purchase_orders
from sim.oracle._items import ItemVerdict, OracleReport, Violation, check
from sim.oracle._ledger import check_customer_balances, check_ledger
from sim.oracle._pricing import expected_expense_amount, expected_time_amount
from sim.oracle._tax import check_tax, expected_levies
from sim.oracle._terms import check_terms_propagated
from sim.oracle._vendor_holds import excuse_vendor_holds

__all__ = [
    "ItemVerdict",
    "OracleReport",
    "Violation",
    "check",
    "check_cash",
    "check_customer_balances",
    "check_documents",
    "check_ledger",
    "check_orphan_drafts",
    "check_purchase_orders",
    "check_tax",
    "check_terms_propagated",
    "excuse_vendor_holds",
    "expected_expense_amount",
    "expected_levies",
    "expected_time_amount",
]
