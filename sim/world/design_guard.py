"""The design under test, held at arm's length: what it does wrong ends the run as the design's
failure (exit 3), naming the design and the call, never as an invariant violation (exit 1) or a
crash of the simulator.

The world builds every core through ``guard``: the factory and each ``handle(request)`` run
inside it. A design fails when it

- *raises*: in its factory (at the start, or when the world restarts it after a crash) or in
  ``handle``;
- *answers in a wrong shape*: ``handle`` returns something that is not an ``httpx.Response``
  (a webhook receiver may also answer later: a flow that returns one, which the world runs on
  the clock), or ``GET /status`` / ``GET /exceptions`` answer other than
  ``contracts/design.yaml`` says (checked on every read: operations' first daily status read,
  so a wrong shape stops the run on its first day, and the books' final read);
- *never answers*: one ``handle`` call takes longer than ``budget_s`` seconds of wall-clock
  time. The simulator is single-threaded, so a call that never returns would hang the run; on
  the main thread of a POSIX process a ``SIGALRM`` timer interrupts it (a pure-Python loop or a
  blocking sleep alike); elsewhere (a thread of a Dask worker) the call is only measured after
  it returns. This is the one wall-clock reading in simulated code: it never changes the
  trace, only whether the run goes on. The default (``CALL_BUDGET_S``, 60 s) is generous: the
  reference core's slowest call on the library scenarios measured took 0.13 s (it acknowledges
  and spawns its work), so only a design stuck in a loop or waiting on the network reaches it;
  ``q2c run --call-budget`` changes it (0: no budget).

Flows a design spawns are not calls: one that raises is counted as a failed flow by the
runtime (its items show up as leaked), as before.
"""

from __future__ import annotations

import functools
import signal
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from contracts.consumer import ContractValidator
from sim.world.courier import CoreRefused

__all__ = ["CALL_BUDGET_S", "SHAPED_CALLS", "UNREACHABLE", "DesignFailure", "GuardedCore", "guard"]

CALL_BUDGET_S = 60.0
"""Wall-clock seconds one ``handle`` call may take before the design counts as not answering."""
SHAPED_CALLS = (("GET", "/status"), ("GET", "/exceptions"))
"""The answers the simulator reads and so checks against ``contracts/design.yaml``."""
PROTOCOL = "design"  # contracts/design.yaml
UNREACHABLE = "x-q2c-unreachable"
"""Set on the stand-in answer a proxy gives for a design it could not reach (``sim.live``): that
answer is not the design's, so it is not judged as one; the proxy counts the refusals itself."""


class DesignFailure(Exception):
    """The design under test failed: it raised, answered in a wrong shape or never answered.

    ``call`` is what the simulator asked (``POST /webhooks/crm``, ``factory``, ``import``),
    ``at`` the simulated moment (ISO 8601, None before the clock starts), ``kind`` one of
    ``raised``, ``wrong shape``, ``no answer``; ``details`` the traceback or the violations.
    Pickles by its arguments only (a swarm's worker sends it back to the parent)."""

    def __init__(
        self, design: str, call: str, at: str | None, kind: str, problem: str, details: str = ""
    ) -> None:
        super().__init__(design, call, at, kind, problem, details)
        self.design, self.call, self.at = design, call, at
        self.kind, self.problem, self.details = kind, problem, details
        self.partial: Any = None  # the runner's: what the run had done (never pickled)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)

    def __str__(self) -> str:
        when = f" at {self.at} (simulated)" if self.at else ""
        return f"design {self.design!r} failed on {self.call}{when}: {self.kind}: {self.problem}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "design": self.design,
            "call": self.call,
            "at": self.at,
            "kind": self.kind,
            "problem": self.problem,
        }


class _OutOfTime(BaseException):
    """Raised into a call that overran its budget (a BaseException, so that a design's own
    ``except Exception`` cannot swallow it)."""


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Interrupt the body after ``seconds`` where a timer can (see the module's docstring)."""
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0  # nobody else's alarm is running
    )
    if not usable:
        yield
        return

    armed = [True]  # a signal that lands once the body is over is ignored, never raised

    def overrun(signum: int, frame: Any) -> None:
        if armed[0]:
            armed[0] = False
            raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@functools.cache
def _protocol() -> ContractValidator:
    return ContractValidator((PROTOCOL,))


class GuardedCore:
    """A design's core whose every call is checked; attributes pass through (tests read the
    reference core's ``status()`` after a run)."""

    def __init__(self, core: Any, design: str, clock: Callable[[], Any], budget_s: float) -> None:
        self.design_core = core
        self._design = design
        self._clock = clock
        self._budget_s = budget_s

    def __getattr__(self, name: str) -> Any:
        return getattr(self.design_core, name)

    def _fail(
        self, request: httpx.Request, kind: str, problem: str, details: str = ""
    ) -> DesignFailure:
        """The failure of the call ``request``; its details end with the request as sent."""
        at = self._clock()
        body = request.content[:2000].decode("utf-8", "replace")
        sent = f"The request: {request.method} {request.url.path}\n{body}".rstrip()
        details = f"{details.rstrip()}\n\n{sent}\n" if details else f"{sent}\n"
        return DesignFailure(self._design, f"{request.method} {request.url.path}",
                             None if at is None else at.isoformat(), kind, problem,
                             details)  # fmt: skip

    def handle(self, request: httpx.Request) -> Any:
        """The design's answer: an ``httpx.Response``, or for a webhook a deferred answer (a
        flow that makes its calls and returns the response: inline, point-to-point style)."""
        method, path = request.method, request.url.path
        started = time.monotonic()
        try:
            with _budget(self._budget_s):
                response = self.design_core.handle(request)
        except _OutOfTime:
            raise self._fail(
                request,
                "no answer",
                f"no answer within {self._budget_s:g} s of wall-clock time "
                "(the call budget, q2c run --call-budget)",
                traceback.format_exc(),
            ) from None
        except CoreRefused:  # the connection was refused: the world retries, as for a crash
            raise
        except Exception as exc:
            raise self._fail(
                request, "raised", f"{type(exc).__name__}: {exc}", traceback.format_exc()
            ) from exc
        took = time.monotonic() - started
        if self._budget_s > 0 and took > self._budget_s:
            over = f"answered after {took:.1f} s, over the {self._budget_s:g} s call budget"
            raise self._fail(request, "no answer", f"{over} (q2c run --call-budget)")
        if isinstance(response, Generator):  # a deferred answer (a flow returning one)
            if method == "POST" and path.startswith("/webhooks/"):
                return response  # the world runs it on the clock, as the vendor waits
            response.close()
            raise self._fail(
                request,
                "wrong shape",
                "handle() answered later (a flow): only webhook receivers may answer inline",
            )
        if not isinstance(response, httpx.Response):
            raise self._fail(
                request,
                "wrong shape",
                f"handle() returned {type(response).__name__}, not an httpx.Response",
            )
        if (method, path) in SHAPED_CALLS:
            self._check_shape(request, response)
        return response

    def _check_shape(self, request: httpx.Request, response: httpx.Response) -> None:
        """A 200 must have the protocol's shape; a 5xx is the design failing; any other answer
        (404 by convention, or an acknowledging design's 202) means it has nothing to read."""
        content = response.read()
        if response.status_code >= 500 and UNREACHABLE not in response.headers:
            body = content[:2000].decode("utf-8", "replace")
            raise self._fail(request, "wrong shape", f"answered {response.status_code}",
                             f"answer {response.status_code}: {body}\n")  # fmt: skip
        if response.status_code != 200:
            return
        violations = _protocol().response_violations(
            PROTOCOL,
            request.method,
            request.url.path,
            response.status_code,
            response.headers,
            content,
        )
        if violations:
            listed = "; ".join(v.example for v in violations[:5])
            body = content[:2000].decode("utf-8", "replace")
            found = "\n".join(v.text for v in violations)
            raise self._fail(
                request,
                "wrong shape",
                f"the answer breaks contracts/design.yaml: {listed}",
                f"{found}\n\nanswer {response.status_code}: {body}\n",
            )


def guard(design: str, factory: Callable[..., Any], budget_s: float = CALL_BUDGET_S) -> Any:
    """``factory`` as the world calls it: what it builds is guarded; an exception it raises,
    or an object without ``handle``, is the design's failure."""

    @functools.wraps(factory)
    def build(runtime: Any, tenant: str, options: dict[str, str]) -> GuardedCore:
        now = getattr(runtime, "now", lambda: None)
        try:
            core = factory(runtime, tenant, options)
        except Exception as exc:
            at = now()
            raise DesignFailure(
                design, "factory", None if at is None else at.isoformat(), "raised",
                f"{type(exc).__name__}: {exc}", traceback.format_exc(),
            ) from exc  # fmt: skip
        if not callable(getattr(core, "handle", None)):
            at = now()
            raise DesignFailure(
                design, "factory", None if at is None else at.isoformat(), "wrong shape",
                f"returned {type(core).__name__}, which has no handle(request) method",
            )  # fmt: skip
        return GuardedCore(core, design, now, budget_s)

    return build
