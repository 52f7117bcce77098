"""Rules across a scenario file: each names the exact field path that breaks it and what was
expected there (a staffed role needs a rate, a change order comes after the SOW, a JPY rate has
no decimals, ...). Field-level rules live on the models in ``sim.scenario.format``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sim.scenario.calendar import at
from sim.scenario.faults import QuotaSpec, VendorFaultsSpec
from sim.scenario.feasible import feasibility
from sim.scenario.format import CURRENCIES, ContractSpec, Scenario

__all__ = ["Issue", "cross_check"]

Issue = tuple[str, str]  # (field path, what was expected)


def cross_check(s: Scenario) -> list[Issue]:
    """Rules across the file; each issue names the field path and what was expected."""
    issues: list[Issue] = []
    p = s.period
    if p.end < p.start:
        issues.append(("period.end", f"a date on or after period.start ({p.start})"))
    if (p.end - p.start).days > 3 * 366:
        issues.append(("period.end", "a period of at most 3 years"))
    issues += _unique("legal_entities", [e.id for e in s.legal_entities], ".id")
    issues += _unique("clients", [c.id for c in s.clients], ".id")
    issues += _unique("contracts", [c.id for c in s.contracts], ".id")
    issues += _unique("roles", s.roles)
    entities = {e.id: e for e in s.legal_entities}
    clients = {c.id: c for c in s.clients}
    for i, client in enumerate(s.clients):
        if client.legal_entity not in entities:
            issues.append(
                (f"clients[{i}].legal_entity", f"one of the legal_entities ids {sorted(entities)}")
            )
    issues += _check_regions(s)
    for i, c in enumerate(s.contracts):
        here = f"contracts[{i}]"
        if c.client not in clients:
            issues.append((f"{here}.client", f"one of the clients ids {sorted(clients)}"))
        entity = entities.get(c.legal_entity)
        if entity is None:
            issues.append(
                (f"{here}.legal_entity", f"one of the legal_entities ids {sorted(entities)}")
            )
        elif entity.currency != c.currency:
            issues.append(
                (
                    f"{here}.currency",
                    f"{entity.currency}, the currency of legal "
                    f"entity {entity.id} that issues the invoices",
                )
            )
        if not s.starts <= c.close_date <= p.end:
            issues.append(
                (
                    f"{here}.close_date",
                    f"{_in_period(s)}, or up to the run's start before it",
                )
            )
        issues += _check_versions(s, c, here)
        issues += _check_minor_units(c, here)
        if c.service_level is not None:
            for j, day in enumerate(c.service_level.breaches):
                if not c.close_date <= day <= s.period.end:
                    issues.append(
                        (
                            f"{here}.service_level.breaches[{j}]",
                            f"a date from the close date ({c.close_date}) to the "
                            f"period's end ({s.period.end})",
                        )
                    )
        po = c.purchase_order
        if po is not None and po.arrives is not None and not c.close_date <= po.arrives <= s.ends:
            issues.append(
                (
                    f"{here}.purchase_order.arrives",
                    f"a date from the close date ({c.close_date}) to the run's end ({s.ends})",
                )
            )
        issues += _check_staffing(s, c, here)
        issues += _unique(f"{here}.milestones", [m.id for m in c.milestones], ".id")
        for j, m in enumerate(c.milestones):
            if not p.start <= m.due <= p.end:
                issues.append(
                    (
                        f"{here}.milestones[{j}].due",
                        _in_period(s),
                    )
                )
    issues += _check_faults(s)
    if not issues:  # the rules that need a sound file: calendars, taxes, the run's length
        issues += feasibility(s)
    return issues


def _check_versions(s: Scenario, c: ContractSpec, here: str) -> list[Issue]:
    issues: list[Issue] = []
    for j, v in enumerate(c.versions):
        if v.number != j + 1:  # the first out of place; later ones would only echo it
            expected = f"{j + 1} (versions are numbered 1, 2, ... in order)"
            issues.append((f"{here}.versions[{j}].number", expected))
            break
    for j, v in enumerate(c.versions):
        if not s.starts <= v.effective <= s.period.end:
            issues.append(
                (
                    f"{here}.versions[{j}].effective",
                    _in_period(s),
                )
            )
        if j and v.effective <= c.versions[j - 1].effective:
            issues.append(
                (f"{here}.versions[{j}].effective", f"a date after versions[{j - 1}].effective")
            )
        for role in v.rates:
            if role not in s.roles:
                issues.append(
                    (f"{here}.versions[{j}].rates.{role}", f"a role listed in roles {s.roles}")
                )
    issues += _check_change_orders(s, c, here)
    first = min(v.effective for v in c.versions)
    for k, staff in enumerate(c.staffing):
        start, _ = s.staffing_window(c, staff)
        if start < first:
            issues.append(
                (
                    f"{here}.staffing[{k}].start",
                    f"a date on or after the first version's effective date ({first})",
                )
            )
        for j, v in enumerate(c.versions):
            if staff.country not in v.rates.get(staff.role, {}):
                issues.append(
                    (
                        f"{here}.versions[{j}].rates",
                        f"a rate for role {staff.role!r} in {staff.country}, staffed by "
                        f"{here}.staffing[{k}]",
                    )
                )
    return issues


def _check_minor_units(c: ContractSpec, here: str) -> list[Issue]:
    """Prices and amounts may not be finer than the contract currency's minor unit (a JPY rate
    has no decimals)."""
    quantum = Decimal(1).scaleb(-CURRENCIES[c.currency])
    amounts: list[tuple[str, Decimal | None]] = []
    for j, v in enumerate(c.versions):
        amounts += [
            (f"{here}.versions[{j}].rates.{role}.{country}", rate)
            for role, by_country in v.rates.items()
            for country, rate in by_country.items()
        ]
        amounts.append((f"{here}.versions[{j}].budget", v.budget))
    amounts += [(f"{here}.milestones[{j}].amount", m.amount) for j, m in enumerate(c.milestones)]
    if c.service_level is not None:
        amounts += [
            (f"{here}.service_level.credit_per_breach", c.service_level.credit_per_breach),
            (f"{here}.service_level.monthly_cap", c.service_level.monthly_cap),
        ]
    return [
        (path, f"an amount in whole {c.currency} minor units ({quantum}), not {value}")
        for path, value in amounts
        if value is not None and value != value.quantize(quantum)
    ]


def _check_regions(s: Scenario) -> list[Issue]:
    """US sales tax and Indian GST depend on the state: sellers and same-country buyers there
    need one."""
    issues: list[Issue] = []
    entities = {e.id: e for e in s.legal_entities}
    for i, e in enumerate(s.legal_entities):
        if e.country in ("US", "IN") and e.region is None:
            issues.append(
                (
                    f"legal_entities[{i}].region",
                    f"the entity's state (taxes in {e.country} depend on it), e.g. WA or MH",
                )
            )
    for i, c in enumerate(s.clients):
        seller = entities.get(c.legal_entity)
        if seller and c.country == seller.country in ("US", "IN") and c.region is None:
            issues.append(
                (
                    f"clients[{i}].region",
                    f"the client's state (taxes in {c.country} depend on it), e.g. WA or MH",
                )
            )
    return issues


def _check_change_orders(s: Scenario, c: ContractSpec, here: str) -> list[Issue]:
    """Change orders come after the SOW, in order, within the period; so do their milestones."""
    issues: list[Issue] = []
    previous = c.close_date
    for j, v in enumerate(c.versions):
        path = f"{here}.versions[{j}].signed"
        if v.signed is None:
            if previous != c.close_date:
                issues.append(
                    (path, "a signing date: versions after a change order are change orders too")
                )
            continue
        if j == 0:
            issues.append((path, "no signing date on version 1 (it is signed with the SOW)"))
        elif not previous <= v.signed <= s.period.end:
            issues.append(
                (
                    path,
                    f"a date from {previous} (the close date or the previous "
                    f"change order) to the period's end ({s.period.end})",
                )
            )
        previous = v.signed
    for j, m in enumerate(c.milestones):
        if m.version > len(c.versions):
            issues.append(
                (
                    f"{here}.milestones[{j}].version",
                    f"the number of one of the contract's {len(c.versions)} versions",
                )
            )
            continue
        signed = c.versions[m.version - 1].signed
        if signed is not None and m.due < signed:
            issues.append(
                (
                    f"{here}.milestones[{j}].due",
                    f"a date on or after versions[{m.version - 1}].signed ({signed})",
                )
            )
    return issues


def _check_staffing(s: Scenario, c: ContractSpec, here: str) -> list[Issue]:
    issues: list[Issue] = []
    for k, staff in enumerate(c.staffing):
        path = f"{here}.staffing[{k}]"
        if staff.role not in s.roles:
            issues.append((f"{path}.role", f"a role listed in roles {s.roles}"))
        for name in ("start", "end"):
            value = getattr(staff, name)
            if value is not None and not s.period.start <= value <= s.period.end:
                issues.append(
                    (
                        f"{path}.{name}",
                        _in_period(s),
                    )
                )
        if staff.start and staff.end and staff.end < staff.start:
            issues.append((f"{path}.end", f"a date on or after {path}.start ({staff.start})"))
        if staff.start and staff.start < c.close_date:
            issues.append((f"{path}.start", f"a date on or after the close_date ({c.close_date})"))
    return issues


def _in_period(s: Scenario) -> str:
    return f"a date within the period ({s.period.start} to {s.period.end})"


def _unique(path: str, ids: list[str], field: str = "") -> list[Issue]:
    """``path[i]field`` for every id already used earlier in the list."""
    seen: dict[str, int] = {}
    issues = []
    for i, value in enumerate(ids):
        if value in seen:
            issues.append(
                (f"{path}[{i}]{field}", f"a unique id, not the one {path}[{seen[value]}] has")
            )
        seen.setdefault(value, i)
    return issues


def _check_faults(s: Scenario) -> list[Issue]:
    """Fault times fall within the run, outages are ordered, drift is the ERP's alone."""
    issues: list[Issue] = []
    f = s.faults
    run_from, run_to = at(s.starts, 0), at(s.ends + timedelta(days=1), 0)
    run = f"a moment within the run ({run_from.isoformat()} to {run_to.isoformat()})"
    if f.heal is not None and f.heal < s.starts:  # after the run's end: faults never heal
        issues.append(("faults.heal", f"a date on or after the run's start ({s.starts})"))
    for vendor, spec in f.vendors.items():
        issues += _check_vendor_faults(s, f"faults.vendors.{vendor}", vendor, spec, run)
    crash = f.crash
    if crash is not None:
        if crash.at is None and crash.after_call is None:
            issues.append(("faults.crash", "a crash moment: 'at' or 'after_call' (or both)"))
        if crash.at is not None and not run_from <= crash.at < run_to:
            issues.append(("faults.crash.at", run))
    return issues


def _check_vendor_faults(
    s: Scenario, here: str, vendor: str, spec: VendorFaultsSpec, run: str
) -> list[Issue]:
    issues: list[Issue] = []
    if spec.schema_drift is not None:
        if vendor != "erp":
            issues.append(
                (f"{here}.schema_drift", "no schema drift here: only the ERP has two API versions")
            )
        elif not s.starts <= spec.schema_drift.from_ <= s.ends:
            issues.append(
                (f"{here}.schema_drift.from", f"a date within the run ({s.starts} to {s.ends})")
            )
    if spec.latency is not None and spec.latency.p99_ms < spec.latency.median_ms:
        issues.append(
            (f"{here}.latency.p99_ms", f"at least median_ms ({spec.latency.median_ms:g})")
        )
    if spec.quota is not None:
        issues += _check_quota(f"{here}.quota", spec.quota)
    run_from, run_to = at(s.starts, 0), at(s.ends + timedelta(days=1), 0)
    for j, outage in enumerate(spec.outages):
        path = f"{here}.outages[{j}]"
        if not run_from <= outage.start < run_to:
            issues.append((f"{path}.start", run))
        if outage.end <= outage.start:
            issues.append((f"{path}.end", f"a moment after start ({outage.start.isoformat()})"))
        elif j and outage.start < spec.outages[j - 1].end:
            issues.append(
                (
                    f"{path}.start",
                    f"a moment on or after outages[{j - 1}].end "
                    f"({spec.outages[j - 1].end.isoformat()}): outages in order, not overlapping",
                )
            )
    return issues


def _check_quota(here: str, quota: QuotaSpec) -> list[Issue]:
    if (quota.limit is None) != (quota.window_s is None):
        missing = "window_s" if quota.window_s is None else "limit"
        return [(f"{here}.{missing}", "both limit and window_s, or neither (the preset's)")]
    return []
