"""The in-process conformance suite: Schemathesis against every vendor mock, scored per operation.

Each mock is built fresh on a frozen clock with a small fixture (the ERP needs a company before
anything else resolves), loaded from its own ``/openapi.json`` through its ASGI app, and run
through every Schemathesis phase (examples, coverage, fuzzing, stateful over the specs'
OpenAPI links) with every default check. Results are counted per operation from the engine's
own recordings, as Microcks scores conformance: examples run, checks passed, failures.

The tuning that applies to every run, ours and a hand-run ``schemathesis run URL``, lives in
``schemathesis.toml`` beside this file (package data); this module adds only the run's budget
(examples per operation, stateful steps, seed). Schemathesis is imported only when a suite
runs. The scores are returned, not printed: ``q2c contracts check`` shows them
(``sim.app.conformance_view``).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from contracts.specs import VENDORS, load
from mocks import Mock, build

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CONFIG",
    "PHASES",
    "TENANT",
    "Failure",
    "OperationScore",
    "VendorScore",
    "fixture",
    "linked_operations",
    "run_vendor",
    "schemathesis_config",
]

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
TENANT = "contract"
# The sandbox client schemathesis.toml fetches tokens with (q2c serve registers it too).
CLIENT_ID, CLIENT_SECRET = "q2c-contract", "q2c-contract-secret"
NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Failure:
    """One distinct failed check, with what reproduces it."""

    operation: str
    check: str
    title: str
    message: str
    reproduce: str
    response: str


@dataclass(slots=True)
class OperationScore:
    examples: int = 0
    checks_passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    linked: int = 0  # stateful steps that reached it through a spec link, chain kept (_follow)


@dataclass(slots=True)
class VendorScore:
    vendor: str
    operations: dict[str, OperationScore]
    errors: list[str]
    seconds: float
    requests: int
    statuses: Counter[int] = field(default_factory=Counter)  # answers by status code
    links: Counter[str] = field(default_factory=Counter)  # spec links followed, chain kept

    def unreached(self) -> list[str]:
        """The operations the spec's links lead to that no stateful step reached through a
        link with its chain kept (chains the stateful phase lost)."""
        ops = self.operations
        return sorted(t for t in linked_operations(self.vendor) if t in ops and not ops[t].linked)

    @property
    def failures(self) -> list[Failure]:
        return [f for score in self.operations.values() for f in score.failures]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors


def linked_operations(vendor: str) -> set[str]:
    """``METHOD /template`` of every operation a link of the vendor's spec leads to."""
    spec = load(vendor)
    labels: dict[str, str] = {}
    targets: set[str] = set()
    for template, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            labels[operation.get("operationId", "")] = f"{method.upper()} {template}"
            for answer in operation["responses"].values():
                targets.update(link["operationId"] for link in answer.get("links", {}).values())
    return {labels[t] for t in targets if t in labels}


def _clock() -> datetime:
    return NOW


def fixture(vendor: str, clock: Callable[[], datetime] = _clock, **options: Any) -> Mock:
    """A fresh mock enforcing OAuth, with the contract client registered in ``TENANT`` and what
    its API cannot create itself: the ERP's companies (set up by the firm, not over the API)
    and the PSA's people and roles (rate cards and time refer to them)."""
    options.setdefault("enforce_auth", True)
    mock = build(vendor, clock, lambda _: None, **options)
    mock.auth.register(CLIENT_ID, CLIENT_SECRET, TENANT)
    if vendor == "erp":
        assert hasattr(mock, "add_company")
        mock.add_company(TENANT, "ACME-DE", "DE", "EUR", "Acme Engineering GmbH")
        mock.add_company(TENANT, "ACME-US", "US", "USD", "Acme Engineering Inc.", "CA")
    elif vendor == "psa":
        assert hasattr(mock, "add_role") and hasattr(mock, "add_user")
        role = mock.add_role(TENANT, "Engineer")
        mock.add_user(TENANT, "Ada Lovelace", "ada@example.com", role, "DE")
    return mock


def schemathesis_config(
    *,
    examples: int,
    seed: int,
    phases: Iterable[str] = PHASES,
    max_steps: int = 10,
    credentials: tuple[str, str] | None = None,
    stateful_examples: int | None = None,
    inferred_links: bool = True,
) -> Any:
    """The repository's ``schemathesis.toml`` with this run's budget laid over it, and another
    OAuth client's ``credentials`` (id, secret) in place of the sandbox's contract client (a CI
    job testing its own tenant of a shared server). ``stateful_examples`` is the number of
    stateful scenarios when it differs from ``examples`` (chains several links deep need more
    scenarios than one operation needs examples). ``inferred_links=False`` keeps the stateful
    phase to the specs' own links: Schemathesis otherwise adds links it infers from the
    schemas (dependency analysis, Location headers), which repeat the specs' chains with
    guessed parameters and, measured on the ERP (25 scenarios of 20 steps, 2026-12-07), take
    so much of the budget that six of its twenty linked operations went unreached."""
    import schemathesis

    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    wanted = set(phases)
    unknown = wanted - set(PHASES)
    if unknown:
        raise ValueError(f"unknown phases {sorted(unknown)}: use {', '.join(PHASES)}")
    data["seed"] = seed
    data.setdefault("generation", {})["max-examples"] = examples
    configured = data.setdefault("phases", {})
    for name in PHASES:
        configured.setdefault(name, {})["enabled"] = name in wanted
    configured["stateful"]["max-steps"] = max_steps
    if stateful_examples is not None:
        configured["stateful"].setdefault("generation", {})["max-examples"] = stateful_examples
    if not inferred_links:
        configured["stateful"]["inference"] = {"algorithms": []}
    if credentials is not None:
        for project in data.get("project", []):
            bearer = project.get("auth", {}).get("dynamic", {}).get("openapi", {})
            payload = bearer.get("bearerToken", {}).get("payload")
            if payload is not None:
                payload["client_id"], payload["client_secret"] = credentials
    return schemathesis.Config.from_dict(data, base_dir=str(CONFIG.parent))


def run_vendor(
    vendor: str,
    *,
    examples: int = 100,
    seed: int = 1,
    phases: Iterable[str] = PHASES,
    max_steps: int = 10,
    mock: Mock | None = None,
    url: str | None = None,
    progress: Callable[[], None] | None = None,
    credentials: tuple[str, str] | None = None,
    stateful_examples: int | None = None,
    inferred_links: bool = True,
) -> VendorScore:
    """Run Schemathesis against one vendor's mock and score every operation: in process
    (``mock``, or a fresh ``fixture``) or, given ``url``, against a served spec such as
    ``http://127.0.0.1:8000/erp/openapi.json``. ``progress`` is called as each scenario
    (an operation's examples in one phase) finishes; ``credentials`` replace the contract
    client's, ``stateful_examples`` sets the stateful phase's own budget and
    ``inferred_links`` whether it follows links Schemathesis infers (see
    ``schemathesis_config``)."""
    import schemathesis
    from schemathesis.core.result import Ok
    from schemathesis.engine import events, from_schema

    import contracts.hooks  # noqa: F401  (registers the form serializer and the client hook)

    if vendor not in VENDORS:
        raise ValueError(f"unknown vendor {vendor!r}: use one of {', '.join(VENDORS)}")
    config = schemathesis_config(
        examples=examples,
        seed=seed,
        phases=phases,
        max_steps=max_steps,
        credentials=credentials,
        stateful_examples=stateful_examples,
        inferred_links=inferred_links,
    )
    if url is not None:
        schema = schemathesis.openapi.from_url(url, config=config)
    else:
        target = mock if mock is not None else fixture(vendor)
        schema = schemathesis.openapi.from_asgi("/openapi.json", target.app.asgi, config=config)
    operations = {
        result.ok().label: OperationScore()
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
    }
    errors: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    statuses: Counter[int] = Counter()
    links: Counter[str] = Counter()
    started = perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _score(event.recorder, operations, seen, statuses)
            _follow(event.recorder, operations, links)
            if progress is not None:
                progress()
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception}")
    seconds = perf_counter() - started
    return VendorScore(vendor, operations, errors, seconds, statuses.total(), statuses, links)


_CHAIN_LOST = frozenset({401, 403, 404, *range(500, 600)})


def _follow(recorder: Any, operations: dict[str, OperationScore], links: Counter[str]) -> None:
    """Count the stateful steps that followed a link of the spec (not one Schemathesis
    inferred) and kept the chain: the ids it carried were accepted (no 401/403/404) and the
    vendor did not fail (no 5xx). A 4xx for a generated body value still reached the
    operation with the chain's ids."""
    for case_id, node in recorder.cases.items():
        transition = node.transition
        if transition is None or not node.is_transition_applied or transition.is_inferred:
            continue
        interaction = recorder.interactions.get(case_id)
        if interaction is None or interaction.response is None:
            continue
        if interaction.response.status_code not in _CHAIN_LOST:
            label = node.value.operation.label
            operations.setdefault(label, OperationScore()).linked += 1
            links[transition.id] += 1


def _score(
    recorder: Any,
    operations: dict[str, OperationScore],
    seen: set[tuple[str, str, str]],
    statuses: Counter[int],
) -> None:
    """Fold one scenario's cases, checks and answers into the per-operation scores."""
    from schemathesis.engine import Status

    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            statuses[interaction.response.status_code] += 1

    for case_id, node in recorder.cases.items():
        label = node.value.operation.label
        score = operations.setdefault(label, OperationScore())
        score.examples += 1
        for check in recorder.checks.get(case_id, []):
            if check.status == Status.SUCCESS:
                score.checks_passed += 1
            elif check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                key = (label, check.name, failure.title)
                if key in seen:
                    continue
                seen.add(key)
                interaction = recorder.interactions.get(case_id)
                response = ""
                if interaction is not None and interaction.response is not None:
                    answer = interaction.response
                    text = answer.content.decode("utf-8", "replace")[:300]
                    response = f"{answer.status_code} {text}"
                score.failures.append(
                    Failure(
                        label,
                        check.name,
                        failure.title,
                        failure.message,
                        check.failure_info.code_sample,
                        response,
                    )
                )
