"""The simulated world: the firm's vendors (mocks), its people (actors) and the core under test,
wired on one SimPy clock.

Webhooks go from a mock to the core through the courier (``sim.world.courier``): at least once, on
each vendor's retry schedule, with the scenario's webhook chaos. The PSA pushes none (Kantata's
change feed is pulled): the courier's chaos for it acts on the feed the design polls. The core
itself may crash (``faults.crash``): its flows die, the world's calls to it are refused for
the downtime, then the world builds a fresh core with the same factory, which resumes from its
durable store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from faker import Faker

from contracts.consumer import shared_validator
from mocks import ClmMock, CrmMock, ErpMock, PaymentsMock, PsaMock, TaxMock, TaxRules
from sim.record.trace import Trace
from sim.record.truth import GroundTruth
from sim.scenario.calendar import BusinessCalendar, at
from sim.scenario.format import Scenario
from sim.scenario.periods import billing_periods, entity_calendars
from sim.seeds import derive_seed
from sim.world.courier import Answer, CoreRefused, Courier, answer_later
from sim.world.design_guard import CALL_BUDGET_S, guard
from sim.world.designs import DESIGNS, load_design
from sim.world.faults import fault_layers
from sim.world.runtime import CountingEnvironment, SimRuntime
from sim.world.signing import WebhookSigner

__all__ = ["DESIGNS", "Core", "World", "heal_moment", "load_design"]

CORE_CLIENT = "q2c-core"  # the core's API client id at every vendor


class Core(Protocol):
    """What the simulator needs of a design: its experience endpoints, over HTTP shapes."""

    def handle(self, request: httpx.Request) -> httpx.Response: ...


DesignFactory = Callable[[SimRuntime, str, dict[str, str]], Core]


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
    call_budget_s: float = CALL_BUDGET_S  # wall-clock seconds per call to the design

    def __post_init__(self) -> None:
        s = self.scenario
        self.env = CountingEnvironment()
        # contract reference -> PSA workspace id, once the workspace exists (it never moves):
        # the firm asks for every consultant every day; the PSA can only be scanned for it
        self.workspace_ids: dict[str, str] = {}
        self.epoch = at(s.starts, 0)
        self.trace = Trace(self.now)
        self.truth = GroundTruth()
        self.tenant = s.tenant
        countries = sorted(
            {e.country for e in s.legal_entities}
            | {c.country for c in s.clients}
            | {st.country for c in s.contracts for st in c.staffing}
        )
        self.calendar = BusinessCalendar(
            countries, s.starts.year, s.ends.year + 1, s.holiday_subdivisions,
            entity_calendars(s),
        )  # fmt: skip
        self.heal_at = heal_moment(self)
        self.signer = WebhookSigner(self.seed)  # the vendors sign as theirs do
        self.courier = Courier(
            self.env, self.now, self.deliver_to_core, self.trace, self.seed,
            s.faults.webhooks, self.heal_at, self.signer,
        )  # fmt: skip
        self.crm = CrmMock(self.now, self.courier)
        self.clm = ClmMock(self.now, self.courier)
        # Kantata pushes no webhooks: the PSA's chaos acts on its pull feed (Subscribed Events)
        self.psa = PsaMock(self.now, appearance=self.courier.feed("psa"))
        self.erp = ErpMock(self.now)
        for entity in s.legal_entities:  # the firm's ERP is set up before the run
            self.erp.add_company(
                self.tenant, entity.id, entity.country, entity.currency, entity.name,
                entity.region,
            )  # fmt: skip
        self.tax = TaxMock(self.now, tax_rules(s))
        self.erp.tax_connector = self.tax.estimate  # BC's AvaTax connector (mocks._erp_tax)
        self.payments = PaymentsMock(self.now, self.courier)
        mocks: dict[str, CrmMock | ClmMock | PsaMock | ErpMock | TaxMock | PaymentsMock] = {
            "crm": self.crm,
            "clm": self.clm,
            "psa": self.psa,
            "erp": self.erp,
            "tax": self.tax,
            "payments": self.payments,
        }
        latency = {v: (s.vendors[v].latency_ms if v in s.vendors else 120) / 1000 for v in mocks}
        apps = {v: m.app for v, m in mocks.items()}
        self.faults = fault_layers(s.faults, apps, self.now, self.seed, self.heal_at)
        self.runtime = SimRuntime(
            self.env,
            self.epoch,
            {v: m.app.transport() for v, m in mocks.items()},
            latency,
            self.trace,
            self.faults,
        )
        self.runtime.contracts = shared_validator()
        self._factory = guard(self.design, load_design(self.design), self.call_budget_s)
        self.core_options = dict(self.options)  # the user's options, plus the store path
        self.core_options.update(self._register_core(mocks))  # and its API credentials
        self._store_dir: str | None = None
        if s.faults.crash is not None and "store" not in self.options:
            self._store_dir = tempfile.mkdtemp(prefix="q2c-store-")
            self.core_options["store"] = os.path.join(self._store_dir, "core.sqlite3")
        self._core: Core | None = self._factory(self.runtime, self.tenant, self.core_options)
        # a design that declares the vendors it takes webhooks from (``webhooks``) gets only
        # those: nobody registered the others (a batch design registers none)
        self.courier.listening = getattr(self._core, "webhooks", None)
        self.crashes: list[dict[str, str]] = []
        if s.faults.crash is not None:
            self._arm_crash()
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
        """One request from the world to the core; raises ``CoreRefused`` while it is down.
        The answer must come at once: only webhook deliveries wait (``deliver_to_core``)."""
        answer = self.deliver_to_core(method, path, content)
        if not isinstance(answer, httpx.Response):
            raise TypeError(f"the design answered {method} {path} later (a deferred answer): "
                            "only webhook receivers may answer inline")  # fmt: skip
        return answer

    def deliver_to_core(
        self, method: str, path: str, content: bytes, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """``call_core`` for the courier: a design may answer a webhook with a deferred answer
        (a flow returning the ``httpx.Response``), run here on the clock as a flow of the core
        that took the request (a crash drops it: ``sim.world.courier.answer_later``).
        ``headers``: the vendor's signature headers, sent along."""
        request = httpx.Request(
            method,
            f"http://core{path}",
            content=content,
            headers={"content-type": "application/json", **(headers or {})},
        )
        if self._core is None:
            self.trace.write("core.request", method=method, path=path, status="refused")
            raise CoreRefused("connection refused: the core is down", request=request)
        response: Any = self._core.handle(request)  # a Response, or a deferred answer
        if isinstance(response, httpx.Response):
            self.trace.write("core.request", method=method, path=path,
                             status=response.status_code)  # fmt: skip
            return response
        if method != "POST" or not path.startswith("/webhooks/"):
            response.close()
            raise TypeError(f"the design answered {method} {path} later (a deferred answer): "
                            "only webhook receivers may answer inline")  # fmt: skip
        generation = self.runtime.generation

        def answered(status: int | str) -> None:
            self.trace.write("core.request", method=method, path=path, status=status)

        return answer_later(
            self.env, response, lambda: self.runtime.generation == generation, answered
        )

    @property
    def core(self) -> Core:
        """The running core (after the run, the last one started)."""
        if self._core is None:
            raise CoreRefused("connection refused: the core is down")
        return self._core

    @property
    def core_up(self) -> bool:
        return self._core is not None

    @property
    def webhooks_delivered(self) -> int:
        """Webhook POSTs the core received (every try of every copy)."""
        return self.courier.attempts

    def _register_core(self, mocks: Mapping[str, Any]) -> dict[str, str]:
        """Every vendor wants OAuth: register the core as an API client of the tenant in each
        (granted every scope; the core asks only for those it needs) and hand it its
        credentials, as an administrator would; with them, what it needs to verify the signed
        webhooks (``webhook_secret_payments``: Stripe's endpoint secret; ``webhook_key_clm``:
        Ironclad's public verification key; see ``sim.world.signing``)."""
        secret = f"sim-secret-{self.tenant}"
        for mock in mocks.values():
            mock.auth.register(CORE_CLIENT, secret, self.tenant)
            mock.auth.enforce = True
        return {"client_id": CORE_CLIENT, "client_secret": secret, **self.signer.core_options()}

    # -- crash and restart ---------------------------------------------------------------------

    def _arm_crash(self) -> None:
        crash = self.scenario.faults.crash
        assert crash is not None
        if crash.after_call is not None:
            self.runtime.crash_point = crash.after_call
            self.runtime.on_crash = self.crash
        if crash.at is not None:
            self.env.process(self._crash_at(crash.at))

    def _crash_at(self, moment: datetime) -> Any:
        yield self.until(moment)
        self.crash(f"at {moment.isoformat()}")

    def crash(self, cause: str) -> None:
        """Kill the core (once per run, never after ``faults.heal``): its flows die, requests
        to it are refused, and after the downtime a fresh core starts from its store."""
        crash = self.scenario.faults.crash
        if crash is None or self.crashes or self._core is None or self.now() >= self.heal_at:
            return
        self.runtime.crash_point = None  # a crash 'at' a moment and 'after_call': the first
        self.runtime.crash()
        self._core = None
        self.crashes.append({"at": self.now().isoformat(), "cause": cause})
        self.trace.write("core.crashed", cause=cause, generation=self.runtime.generation)
        self.env.process(self._restart(crash.downtime_minutes * 60))

    def _restart(self, downtime_s: float) -> Any:
        yield self.env.timeout(downtime_s)
        self._start_core("downtime over")

    def _start_core(self, why: str) -> None:
        self._core = self._factory(self.runtime, self.tenant, dict(self.core_options))
        self.trace.write("core.restarted", generation=self.runtime.generation, why=why)

    def finish(self) -> None:
        """The run is over: a core still down is started, so that its queues can be read."""
        if self._core is None:
            self._start_core("run over")

    def close(self) -> None:
        """Remove the run's temporary store (after judging)."""
        if self._store_dir is not None:
            shutil.rmtree(self._store_dir, ignore_errors=True)
            self._store_dir = None


def heal_moment(world: World) -> datetime:
    """From when no fault fires: 00:00 on ``faults.heal``, or on the day after the last billing
    run when the scenario names no day."""
    heal = world.scenario.faults.heal
    if heal is None:
        runs = billing_periods(world.scenario, world.calendar)
        heal = runs[-1][1] + timedelta(days=1) if runs else world.scenario.ends + timedelta(days=1)
    return at(heal, 0)
