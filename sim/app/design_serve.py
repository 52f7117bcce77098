"""``q2c design serve DESIGN --port P``: any in-process design as an HTTP service.

The design (loaded as ``q2c run --design`` loads it: a built-in name or ``module:function``)
serves its experience endpoints (``contracts/design.yaml``: ``POST /webhooks/{vendor}``,
``POST /billing-runs``, ``POST /reconciliations``, ``GET /status``, ``GET /exceptions``) on
uvicorn, on the wall clock, and calls the vendors at base URLs over real HTTP. So the same core
runs in the simulator's process and as an external integration (``q2c run --integration``).

Where the vendors are:

- ``--vendors URL``: a ``q2c serve`` instance (each vendor under ``URL/{vendor}``), with
  ``--tenant``, ``--client-id`` and ``--client-secret`` (default: ``q2c serve``'s sandbox
  client);
- or ``POST /_sandbox/vendors`` ``{"vendors": {role: base URL}, "tenant", "client_id",
  "client_secret", "clock": URL?, "webhooks": {...}?, "options": {...}}``, which ``q2c run
  --integration`` sends before its run: the design is built afresh with them (a new run, a new
  core) and, given a ``clock``, reads the sandbox's simulated time and sleeps on it
  (``sim.app._design_runtime``); given ``webhooks``, the Stripe secret and Ironclad's public
  key become the design's ``webhook_secret_payments`` and ``webhook_key_clm`` options (unless
  set), so it verifies the signed webhooks.

Until it knows its vendors every endpoint but ``/_sandbox/vendors`` answers 503. This is not
simulated code: wall clock, real threads. Bind 127.0.0.1 unless you mean to expose it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

import httpx
import simplejson

from contracts import VENDORS
from mocks import Problem, Reply, to_response
from sim.app._design_runtime import SerialRuntime
from sim.world.signing import OPTION_CLM_KEY, OPTION_PAYMENTS_SECRET

__all__ = ["DesignServer", "serve_design"]

_JSON = {"content-type": "application/json"}
# what verifies a vendor's webhooks in ``POST /_sandbox/vendors`` ``webhooks``, as a design option
_VERIFY_WITH = (
    ("payments", "secret", OPTION_PAYMENTS_SECRET),
    ("clm", "public_key", OPTION_CLM_KEY),
)


class DesignServer:
    """The ASGI app: a design's endpoints plus ``POST /_sandbox/vendors``."""

    def __init__(self, design: str, options: Mapping[str, str] | None = None) -> None:
        from sim.world import load_design

        self.design = design
        self.factory = load_design(design)
        self.options = dict(options or {})
        self._lock = threading.Lock()
        self.runtime: SerialRuntime | None = None
        self.core: Any = None
        self.configured: dict[str, Any] = {}

    def configure(self, document: Mapping[str, Any]) -> None:
        """(Re)build the design against the vendors in ``document`` (see the module docstring)."""
        vendors = document.get("vendors")
        if not isinstance(vendors, Mapping) or set(vendors) != set(VENDORS):
            raise Problem(400, "Bad Request", f"'vendors' must map each of {list(VENDORS)} "
                          "to a base URL")  # fmt: skip
        tenant = document.get("tenant")
        if not isinstance(tenant, str) or not tenant:
            raise Problem(400, "Bad Request", "'tenant' must be a non-empty string")
        options = {**self.options, **{str(k): str(v) for k, v in
                                      dict(document.get("options") or {}).items()}}  # fmt: skip
        for key in ("client_id", "client_secret"):
            if document.get(key):
                options[key] = str(document[key])
        hooks = document.get("webhooks")
        if isinstance(hooks, Mapping):
            for vendor, field, option in _VERIFY_WITH:
                given = hooks.get(vendor)
                if isinstance(given, Mapping) and given.get(field):
                    options.setdefault(option, str(given[field]))
        clock = document.get("clock")
        runtime = SerialRuntime({str(k): str(v) for k, v in vendors.items()},
                                None if clock is None else str(clock))  # fmt: skip
        with self._lock:
            old = self.runtime
            with runtime.lock:
                self.core = self.factory(runtime, tenant, options)
            self.runtime = runtime
            self.configured = {"tenant": tenant, "vendors": dict(vendors), "clock": clock}
        if old is not None:
            old.close()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            runtime, core = self.runtime, self.core
        if runtime is None or core is None:
            return to_response(
                Problem(
                    503,
                    "Service Unavailable",
                    "no vendors yet: POST /_sandbox/vendors or start with --vendors",
                ).reply()
            )
        runtime.clock.observe(request.headers)
        with runtime.lock:
            response: httpx.Response = core.handle(request)
        response.read()
        return response

    def _configure_call(self, body: bytes) -> httpx.Response:
        try:
            document = simplejson.loads(body or b"{}")
            if not isinstance(document, dict):
                raise Problem(400, "Bad Request", "expected a JSON object")
            self.configure(document)
        except ValueError as exc:  # JSON errors
            return to_response(Problem(400, "Bad Request", str(exc)).reply())
        except Problem as problem:
            return to_response(problem.reply())
        return to_response(Reply(200, {"design": self.design, **self.configured}, dict(_JSON)))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if scope["path"] == "/_sandbox/vendors" and scope["method"] == "POST":
            response = await asyncio.to_thread(self._configure_call, body)
        else:
            request = httpx.Request(
                scope["method"],
                httpx.URL(f"http://core{scope['path']}", query=scope.get("query_string", b"")),
                headers=list(scope["headers"]),
                content=body,
            )
            response = await asyncio.to_thread(self.handle, request)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(k.lower(), v) for k, v in response.headers.raw]})  # fmt: skip
        await send({"type": "http.response.body", "body": response.content})

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()


def serve_design(
    design: str,
    *,
    host: str,
    port: int,
    vendors: str | None,
    tenant: str,
    client_id: str,
    client_secret: str,
    options: Mapping[str, str],
    console: Any,
) -> None:
    """Serve ``design`` until interrupted."""
    import uvicorn

    server = DesignServer(design, options)
    base = f"http://{host}:{port}"
    if vendors is not None:
        root = vendors.rstrip("/")
        server.configure({"vendors": {v: f"{root}/{v}" for v in VENDORS}, "tenant": tenant,
                          "client_id": client_id, "client_secret": client_secret})  # fmt: skip
        console.print(f"design {design!r} on {base}, vendors at {root}/{{role}}", highlight=False)
    else:
        console.print(
            f"design {design!r} on {base}; waiting for POST {base}/_sandbox/vendors "
            "(q2c run SCENARIO --integration URL sends it)",
            highlight=False,
        )
    config = uvicorn.Config(server, host=host, port=port, log_level="warning",
                            lifespan="off", access_log=False)  # fmt: skip
    try:
        uvicorn.Server(config).run()
    finally:
        server.close()
