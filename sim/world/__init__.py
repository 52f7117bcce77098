"""The world: the firm's vendors (the mocks) and the design under test, on one SimPy clock.

It builds every mock from the scenario, puts each behind the scenario's fault layer, hands the
core a runtime whose time is simulated and whose calls go in process, and delivers webhooks the
way vendors do (at least once, with chaos). It is the only room that holds live vendors and
the live core; the firm acts through it, the runner asks it for the vendors' books, and the
oracle never sees it.
"""

from sim.world.courier import CoreRefused
from sim.world.runtime import SimRuntime
from sim.world.world import DESIGNS, Core, World, heal_moment, load_design

__all__ = ["DESIGNS", "Core", "CoreRefused", "SimRuntime", "World", "heal_moment", "load_design"]
