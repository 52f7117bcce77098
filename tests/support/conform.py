"""The records the conformance tests (``tests/mocks/test_conform*.py``) set up in more than one
module: a SOW's executed terms with a milestone, and a PSA account with one engineer.

Kept apart from ``tests.support.mock_worlds``, whose terms differ (another rounding rule and
rate, no milestone): the conformance sequences assert on these.
"""

from __future__ import annotations

from datetime import timedelta

from mocks import ExecutedTerms, PsaMock
from tests.support.mock_worlds import clock


def _terms() -> ExecutedTerms:
    return ExecutedTerms.model_validate(
        {
            "counterpartyCountry": "DE",
            "legalEntity": "ACME-DE",
            "contractCurrency": "EUR",
            "roundingRule": "half_up",
            "sowReference": "SOW-1",
            "versions": [
                {
                    "number": 1,
                    "effectiveDate": "2024-01-01",
                    "rateCard": [{"role": "Engineer", "country": "DE", "hourlyRate": "120.00"}],
                }
            ],
            "milestones": [
                {"id": "M1", "title": "Design", "amount": "5000.00", "dueDate": "2024-04-30"}
            ],
        }
    )


def _psa_world() -> tuple[PsaMock, dict[str, str]]:
    psa = PsaMock(clock)
    psa.events.lag = timedelta(0)  # the clock stands still: its change feed is readable at once
    role = psa.add_role("default", "Engineer")
    user = psa.add_user("default", "Ada Lovelace", "ada@example.com", role, "DE")
    return psa, {"role": role, "user": user}
