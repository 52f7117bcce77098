"""A firm of any size, faults on: the scenario behind ``scenarios/firm-year.yaml`` and the scale
curve of ``make bench``.

A real firm's shape, not a multiplied toy: five legal entities (DE, GB, US, IN, NL), about one
contract per twenty consultants (a 2,000-person firm runs ~100 engagements), a client per
contract or two, rate cards per delivery country, two change orders a year on a quarter of the
contracts (one settled by credit note and reissue), milestones, expense policies, purchase
orders, service levels and subcontractors here and there, and every fault family of the library
switched on across the year: outages at month-end (ERP and tax engine), Business Central's
published quota, 5xx bursts, lost responses, webhook chaos and a core crash. The liveness phase
starts at ``heal``: from then no fault fires and every item must be invoiced by the run's end.

Sizes scale the number of contracts and clients, not the size of each team (twenty), so
invoices keep a realistic length; beyond 2,000 consultants the contracts stay at 100 and the
teams grow (the scenario loader caps a file at 64 KiB). Sizes are rounded to whole teams.
``python -m tests.benchmarks.firm 2000`` prints the scenario's YAML.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

__all__ = ["firm_year_yaml"]

# (id, name, country, currency, locale, region)
_ENTITIES = (
    ("DE01", "Nordlicht Consulting GmbH", "DE", "EUR", "de_DE", None),
    ("GB01", "Nordlicht Consulting Ltd", "GB", "GBP", "en_GB", None),
    ("US01", "Nordlicht Consulting Inc.", "US", "USD", "en_US", "NY"),
    ("IN01", "Nordlicht Consulting India Pvt Ltd", "IN", "INR", "en_IN", "MH"),
    ("NL01", "Nordlicht Consulting B.V.", "NL", "EUR", "nl_NL", None),
)
# client countries per entity (a client is billed by the entity of its market)
_MARKETS = {
    "DE01": (("DE", "de_DE", None), ("AT", "de_AT", None), ("FR", "fr_FR", None)),
    "GB01": (("GB", "en_GB", None), ("IE", "en_IE", None)),
    "US01": (("US", "en_US", "NY"), ("US", "en_US", "WA"), ("US", "en_US", "TX")),
    "IN01": (("IN", "en_IN", "KA"), ("IN", "en_IN", "MH")),
    "NL01": (("NL", "nl_NL", None), ("BE", "nl_BE", None)),
}
# delivery countries per entity, with each one's base rate in the contract currency
_DELIVERY = {
    "DE01": (("DE", 112), ("IN", 46), ("PL", 71)),
    "GB01": (("GB", 104), ("IN", 40)),
    "US01": (("US", 148), ("IN", 53)),
    "IN01": (("IN", 3300),),
    "NL01": (("NL", 109), ("DE", 114), ("IN", 47)),
}
_ROLES = (("analyst", 0.8), ("consultant", 1.0), ("senior_consultant", 1.3), ("manager", 1.6))
_INDUSTRIES = ("Banking", "Insurance", "Retail", "Energy", "Logistics", "Public sector",
               "Telecommunications", "Automotive", "Pharma", "Media")  # fmt: skip
TEAM = 20  # consultants per contract
MAX_CONTRACTS = 100  # beyond 2,000 consultants teams grow: the loader caps a file at 64 KiB


def _shared(seen: set[str], anchor: str, key: str, body: Callable[[], str]) -> str:
    """``key`` with its block the first time (as a YAML anchor), an alias to it afterwards: the
    file stays under the loader's 64 KiB cap at 2,000 consultants."""
    if anchor in seen:
        return f"{key} *{anchor}"
    seen.add(anchor)
    return f"{key} &{anchor}\n{body()}"


def _rates(rng: random.Random, countries: tuple[tuple[str, int], ...], bump: int) -> str:
    lines = []
    for role, factor in _ROLES:
        by_country = ", ".join(
            f"{c}: {base * factor * (1 + bump / 100) * rng.uniform(0.95, 1.05):.2f}"
            for c, base in countries
        )
        lines.append(f"          {role}: {{{by_country}}}")
    return "\n".join(lines)


def _staffing(
    rng: random.Random, countries: tuple[tuple[str, int], ...], team: int, sub: bool
) -> str:
    """A team of ``team`` split over the delivery countries (three or more in each)."""
    lines, left = [], team
    for i, (country, _) in enumerate(countries):
        later = len(countries) - 1 - i
        count = left if not later else rng.randint(3, left - 3 * later)
        left -= count
        vendor = ", subcontractor: Bright Staffing" if sub and i == 0 else ""
        for role, k in (("consultant", count - 2), ("senior_consultant", 1), ("manager", 1)):
            lines.append(f"      - {{role: {role}, country: {country}, count: {k}{vendor}}}")
    return "\n".join(lines)


def firm_year_yaml(consultants: int = 2000, months: int = 12, faults: bool = True) -> str:
    """The scenario text: ``consultants`` people (rounded to whole teams) over ``months``."""
    rng = random.Random(f"firm-year-{consultants}")  # the file is data: fixed per size
    start = date(2026, 1, 1)
    end = date(2026 + (months - 1) // 12, (months - 1) % 12 + 1, 28)
    end = (end + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    contracts_n = min(MAX_CONTRACTS, max(len(_ENTITIES), round(consultants / TEAM)))
    team = consultants // contracts_n
    out = [
        f"name: firm-year-{consultants}" if consultants != 2000 else "name: firm-year",
        f"description: A {consultants}-consultant firm, 5 legal entities, {months} months, "
        "every fault family on",
        "tenant: nordlicht",
        f"period: {{start: {start}, end: {end}}}",
        "run_out_days: 45",
        "",
        "legal_entities:",
    ]
    for eid, name, country, currency, locale, region in _ENTITIES:
        extra = f", region: {region}" if region else ""
        out.append(f"  - {{id: {eid}, name: {name}, country: {country}, currency: {currency}, "
                   f"locale: {locale}{extra}}}")  # fmt: skip
    clients: list[tuple[str, str]] = []  # (client id, entity)
    out += ["", "clients:"]
    for n in range((contracts_n + 1) // 2 + len(_ENTITIES)):
        eid = _ENTITIES[n % len(_ENTITIES)][0]
        country, locale, region = rng.choice(_MARKETS[eid])
        extra = f", region: {region}" if region else ""
        cid = f"c{n:04d}"
        clients.append((cid, eid))
        out.append(f"  - {{id: {cid}, country: {country}, locale: {locale}, legal_entity: {eid}, "
                   f"industry: {rng.choice(_INDUSTRIES)}{extra}}}")  # fmt: skip
    out += ["", "roles: [" + ", ".join(r for r, _ in _ROLES) + "]", "", "contracts:"]
    currency_of = {e[0]: e[3] for e in _ENTITIES}
    seen: set[str] = set()  # anchors written: rate cards and teams are shared per entity
    for n in range(contracts_n):
        cid, eid = clients[n % len(clients)]
        countries = _DELIVERY[eid]
        close = start - timedelta(days=rng.randint(5, 40))
        out += [
            f"  - id: K{n:04d}",
            f"    client: {cid}",
            f"    legal_entity: {eid}",
            f"    currency: {currency_of[eid]}",
            f"    close_date: {close}",
            "    versions:",
            f"      - number: 1\n        effective: {start}",
            _shared(seen, f"r1-{eid}", "        rates:", partial(_rates, rng, countries, 0)),
        ]
        if n % 4 == 1:  # a change order: a retroactive one on every other
            effective = date(2026, min(months, rng.randint(3, 9)), 1)
            signed = effective + timedelta(days=20 if n % 8 == 1 else -5)
            out += [
                f"      - number: 2\n        effective: {effective}\n        signed: {signed}",
                _shared(seen, f"r2-{eid}", "        rates:", partial(_rates, rng, countries, 4)),
            ]
            if n % 16 == 1:
                out.append("    retro_settlement: credit_and_reissue")
        if n % 3 == 0:
            due = date(2026, min(months, 2 + n % 10), 20)
            out.append(f"    milestones: [{{id: M{n}, title: Phase sign-off, amount: "
                       f"{rng.randint(20, 90) * 1000}.00, due: {due}}}]")  # fmt: skip
        sub = n % 10 == 3  # a subcontracting firm's people deliver part of the work
        out.append(_shared(seen, f"s-{eid}-{sub}", "    staffing:",
                           partial(_staffing, rng, countries, team, sub)))  # fmt: skip
        if n % 2 == 0:
            out.append("    expense_policy: {markup_percent: 0, billable_categories: "
                       "[travel, lodging], receipt_required_above: 75.00}")  # fmt: skip
        if n % 12 == 5:
            out.append(f"    purchase_order: {{number: PO-{n:05d}, arrives: 2026-02-10}}")
        if n % 9 == 2:
            breaches = ", ".join(str(d) for d in (date(2026, 2, 11), date(2026, 5, 19)) if d < end)
            out.append("    service_level: {credit_per_breach: 1500.00, monthly_cap: 3000.00, "
                       f"breaches: [{breaches}]}}")  # fmt: skip
    out += ["", "billing:", "  run_business_day: 3"]
    if faults:
        out += _faults(start, end, months)
    return "\n".join(out) + "\n"


def _faults(start: date, end: date, months: int) -> list[str]:
    """Every fault family, each where it hurts most: around the month-end billing runs."""
    heal = end + timedelta(days=10)
    ym = [(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1)
          for k in range(1, months + 1)]  # fmt: skip
    erp = [f"        - {{start: {y}-{m:02d}-04T20:00:00, end: {y}-{m:02d}-05T08:00:00, "
           "mode: http}" for y, m in ym[1::3]]  # fmt: skip
    tax = [f"        - {{start: {y}-{m:02d}-05T04:00:00, end: {y}-{m:02d}-05T09:00:00, "
           "mode: refused}" for y, m in ym[2::4]]  # fmt: skip
    chaos = "{duplicate: 0.1, reorder: 0.2, max_delay_s: 21600, drop: 0.05}"
    return [
        "",
        "faults:",
        f"  heal: {heal}",
        "  vendors:",
        "    erp:",
        "      quota: {preset: business_central, shared: 0.5}",
        "      lost_responses: {rate: 0.02, methods: [POST, PATCH]}",
        "      outages:",
        *erp,
        "    tax:",
        "      errors: {rate: 0.02, burst: 2, statuses: [500, 502]}",
        *(["      outages:", *tax] if tax else []),
        "    payments:",
        "      lost_responses: {rate: 0.02, methods: [POST]}",
        "  webhooks:",
        f"    psa: {chaos}",
        f"    clm: {chaos}",
        f"    payments: {chaos}",
        "  crash:",
        "    after_call: {vendor: erp, method: POST, path_prefix: /api/v2.0/companies, nth: 200}",
        "    downtime_minutes: 45",
    ]


if __name__ == "__main__":
    print(firm_year_yaml(*(int(a) for a in sys.argv[1:3])), end="")
