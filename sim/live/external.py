"""The design under test as an HTTP service in another process: the world's ``Core`` over HTTP.

The world calls its core through the ``Core`` protocol (``handle(request) -> response``). Here
``handle`` forwards the request to the integration's base URL (webhooks to
``POST {URL}/webhooks/{vendor}``, triggers to ``POST {URL}/billing-runs`` and
``POST {URL}/reconciliations``, reads of ``GET {URL}/status`` and ``GET {URL}/exceptions``, as
``contracts/design.yaml`` describes them) with the simulated time in a ``Date`` header, giving
up the world lock while it waits, because the integration may call the vendors back before
it answers. A webhook carries its vendor's signature headers (``SIGNATURE_HEADERS``: Stripe's
``Stripe-Signature``, Ironclad's event id and verification), made by the world's courier as for
an in-process design (``sim.world.signing``): the integration verifies them with the secret and
key it was handed in ``POST /_sandbox/vendors`` (``sim.live.runner``).

It enters the world as a design factory (``sim.live.external:build``, loaded as any
``module:function`` design), so the world needs no hook of its own: the run binds the
integration (``Link``) for the thread that drives the world, and the factory finds it there.

What the integration answers is counted (``Link.outcomes``): a refused connection is the
world's ``CoreRefused`` (vendors retry their webhooks, finance retries its trigger), a 5xx or a
timeout is an answer the courier treats as a failed delivery. Before the run the integration
is told where the vendors are (``register``): ``POST {URL}/_sandbox/vendors``. One that
refuses ``GONE_AFTER`` calls in a row after that is gone (``Link.gone``): the run stops.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from mocks import IRONCLAD_EVENT_ID, IRONCLAD_VERIFICATION, STRIPE_SIGNATURE
from sim.live.clock import LiveClock, WorldLock
from sim.live.served import http_date
from sim.world.courier import CoreRefused
from sim.world.design_guard import UNREACHABLE

__all__ = ["FACTORY", "SIGNATURE_HEADERS", "IntegrationDown", "Link", "bound", "build", "register"]

FACTORY = "sim.live.external:build"
_LINK: contextvars.ContextVar[Link] = contextvars.ContextVar("q2c_live_link")
GONE_AFTER = 20  # refused calls in a row after which the integration counts as gone
# the headers a vendor signs a webhook with, passed on as the courier made them
SIGNATURE_HEADERS = (STRIPE_SIGNATURE, IRONCLAD_EVENT_ID, IRONCLAD_VERIFICATION)


class IntegrationDown(RuntimeError):
    """The integration could not be reached or refused its configuration."""


@dataclass
class Link:
    """Where the integration is and how the world waits for it."""

    url: str
    lock: WorldLock
    timeout_s: float = 30.0
    clock: LiveClock | None = None  # set once the world (whose SimPy clock it paces) exists
    outcomes: Counter[str] = field(default_factory=Counter)
    refused_in_row: int = 0  # calls refused since the integration last answered
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        self.client = httpx.Client(timeout=self.timeout_s)

    def close(self) -> None:
        self.client.close()

    def gone(self) -> str | None:
        """Why the run should stop: the integration refused ``GONE_AFTER`` calls in a row
        after it had taken its configuration (it crashed or was stopped); None while it is
        there. The vendors and finance would retry for simulated days for nothing."""
        if self.refused_in_row < GONE_AFTER:
            return None
        when = "" if self.clock is None else f" (simulated {self.clock.now().isoformat()})"
        return (
            f"the integration at {self.url} stopped answering: {self.refused_in_row} calls "
            f"refused in a row{when}"
        )


def bound(link: Link) -> contextvars.Token[Link]:
    """Bind ``link`` for this thread's world (``_LINK.reset(token)`` unbinds it)."""
    return _LINK.set(link)


class ExternalCore:
    """The ``Core`` protocol over HTTP (see the module docstring)."""

    def __init__(self, link: Link) -> None:
        self.link = link

    def handle(self, request: httpx.Request) -> httpx.Response:
        link = self.link
        clock = link.clock
        assert clock is not None, "the live clock is set before the world runs"
        path = request.url.path
        headers = {
            "content-type": request.headers.get("content-type", "application/json"),
            "date": http_date(clock.now()),
        }
        for name in SIGNATURE_HEADERS:
            if name in request.headers:
                headers[name] = request.headers[name]
        kind = path.split("/")[1] if path.count("/") else path
        # a read (status, exceptions) sets no work going: it does not keep the clock busy
        acts = request.method != "GET"
        with link.lock.released():
            if acts:
                clock.begin()
            try:
                response = link.client.request(
                    request.method, link.url + path, content=request.content, headers=headers
                )
                response.read()
            except httpx.TimeoutException:
                link.outcomes[f"{kind} timeout"] += 1
                return httpx.Response(504, json={"title": "the integration did not answer"})
            except httpx.TransportError as exc:  # refused, or the connection dropped
                what = "refused" if isinstance(exc, httpx.ConnectError) else "connection lost"
                link.outcomes[f"{kind} {what}"] += 1
                link.refused_in_row += 1
                if request.method == "GET":  # a read (status, exceptions): no answer, no raise
                    return httpx.Response(503, json={"title": "the integration is down"},
                                          headers={UNREACHABLE: "1"})  # fmt: skip
                raise CoreRefused(f"the integration at {link.url}: {what}: {exc}") from None
            finally:
                if acts:
                    clock.end()
        link.outcomes[f"{kind} {response.status_code // 100}xx"] += 1
        link.refused_in_row = 0
        return response


def build(runtime: Any, tenant: str, options: dict[str, str]) -> ExternalCore:
    """The design factory: the integration bound for this run (``bound``)."""
    try:
        link = _LINK.get()
    except LookupError:
        raise ValueError(
            f"{FACTORY} is the external integration's stand-in: run it with "
            "q2c run --integration URL"
        ) from None
    return ExternalCore(link)


def register(link: Link, document: dict[str, Any]) -> None:
    """Tell the integration where the vendors, its credentials and the clock are."""
    try:
        response = link.client.post(f"{link.url}/_sandbox/vendors", json=document)
    except httpx.TransportError as exc:
        raise IntegrationDown(
            f"the integration at {link.url} is not reachable ({type(exc).__name__}: {exc}); "
            "start it first (e.g. q2c design serve reference --port P)"
        ) from None
    if not response.is_success:
        raise IntegrationDown(
            f"the integration at {link.url} refused POST /_sandbox/vendors: "
            f"{response.status_code} {response.text[:300]}"
        )
