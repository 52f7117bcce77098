"""The simulated world: the firm's vendors (mocks), its people (actors) and the core under test,
wired on one SimPy clock.

Webhooks go from a mock to the core through a courier that delivers each one after a short,
simulated network delay; the core's answer is traced like any other HTTP exchange.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import simplejson
from faker import Faker

from mocks._state import Webhook
from mocks.clm import ClmMock
from mocks.crm import CrmMock
from mocks.erp import ErpMock
from mocks.payments import PaymentsMock
from mocks.psa import PsaMock
from mocks.tax import TaxMock, TaxRules
from sim.business_calendar import BusinessCalendar, at
from sim.runtime import CountingEnvironment, SimRuntime
from sim.scenario import Scenario
from sim.seeds import derive_seed
from sim.trace import Trace
from sim.truth import GroundTruth

__all__ = ["DESIGNS", "Core", "World", "load_design"]

WEBHOOK_DELAY_S = 2.0
DESIGNS = {"reference": "orchestrator.reference:build"}


class Core(Protocol):
    """What the simulator needs of a design: its experience endpoints, over HTTP shapes."""

    def handle(self, request: httpx.Request) -> httpx.Response: ...


DesignFactory = Callable[[SimRuntime, str, dict[str, str]], Core]


def load_design(name: str) -> DesignFactory:
    """A built-in design by name, or anyone's as ``package.module:function``."""
    target = DESIGNS.get(name, name)
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(
            f"unknown design {name!r}: use one of {sorted(DESIGNS)} or module:function"
        )
    try:
        factory: DesignFactory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load design {name!r}: {exc}") from None
    return factory


def tax_rules(scenario: Scenario) -> TaxRules:
    """The tax engine configured with the scenario's jurisdiction rules."""
    base = TaxRules.default()
    t = scenario.tax
    return base.model_copy(
        update={
            "vat_rates": {**base.vat_rates, **t.vat_rates},
            "us_service_rates": dict(t.us_service_rates),
            "gst_rate": t.gst_rate,
            "rounding": dict(t.rounding),
            "default_rounding": t.default_rounding,
        }
    )


@dataclass
class World:
    scenario: Scenario
    seed: int
    design: str = "reference"
    options: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.scenario
        self.env = CountingEnvironment()
        self.epoch = at(s.starts, 0)
        self.trace = Trace(self.now)
        self.truth = GroundTruth()
        self.tenant = s.tenant
        countries = sorted(
            {e.country for e in s.legal_entities}
            | {c.country for c in s.clients}
            | {st.country for c in s.contracts for st in c.staffing}
        )
        self.calendar = BusinessCalendar(countries, s.starts.year, s.ends.year + 1)
        self.crm = CrmMock(self.now, self._courier)
        self.clm = ClmMock(self.now, self._courier)
        self.psa = PsaMock(self.now, self._courier)
        self.erp = ErpMock(self.now)
        for entity in s.legal_entities:  # the firm's ERP is set up before the run
            self.erp.add_company(
                self.tenant, entity.id, entity.country, entity.currency, entity.name,
                entity.region,
            )  # fmt: skip
        self.tax = TaxMock(self.now, tax_rules(s))
        self.payments = PaymentsMock(self.now, self._courier)
        mocks: dict[str, CrmMock | ClmMock | PsaMock | ErpMock | TaxMock | PaymentsMock] = {
            "crm": self.crm,
            "clm": self.clm,
            "psa": self.psa,
            "erp": self.erp,
            "tax": self.tax,
            "payments": self.payments,
        }
        latency = {v: (s.vendors[v].latency_ms if v in s.vendors else 120) / 1000 for v in mocks}
        self.runtime = SimRuntime(
            self.env,
            self.epoch,
            {v: m.app.transport() for v, m in mocks.items()},
            latency,
            self.trace,
        )
        self.core = load_design(self.design)(self.runtime, self.tenant, dict(self.options))
        self.webhooks_delivered = 0
        self._fakers: dict[str, Faker] = {}
        self.client_tax_ids: dict[str, str] = {}

    # -- clock and helpers -------------------------------------------------------------------

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.env.now)

    def until(self, moment: datetime) -> Any:
        """A SimPy timeout that fires at ``moment`` (at once if it has passed)."""
        return self.env.timeout(max(0.0, (moment - self.now()).total_seconds()))

    def faker(self, locale: str, *names: str) -> Faker:
        """A Faker for ``locale``, seeded for one purpose (``names``) from the run's seed."""
        fake = self._fakers.get(locale)
        if fake is None:
            fake = self._fakers[locale] = Faker(locale)
        fake.seed_instance(derive_seed(self.seed, "faker", locale, *names))
        return fake

    def call_core(self, method: str, path: str, content: bytes) -> httpx.Response:
        request = httpx.Request(
            method,
            f"http://core{path}",
            content=content,
            headers={"content-type": "application/json"},
        )
        response = self.core.handle(request)
        self.trace.write("core.request", method=method, path=path, status=response.status_code)
        return response

    # -- webhooks ----------------------------------------------------------------------------

    def _courier(self, webhook: Webhook) -> None:
        self.env.process(self._deliver(webhook))

    def _deliver(self, webhook: Webhook) -> Any:
        yield self.env.timeout(WEBHOOK_DELAY_S)
        content = simplejson.dumps(webhook.body, use_decimal=True, sort_keys=True).encode()
        response = self.call_core("POST", f"/webhooks/{webhook.vendor}", content)
        self.webhooks_delivered += 1
        self.trace.write(
            "webhook", vendor=webhook.vendor, event=webhook.event, status=response.status_code
        )
