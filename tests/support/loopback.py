"""An ASGI app served by uvicorn on a free loopback port, in a thread, for tests that need
real sockets (the wall-clock runtime, q2c serve's sandbox)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import simplejson
import uvicorn


class LoopbackServer:
    """``with LoopbackServer(app) as server:`` then ``server.url(path)``."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", access_log=False)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.port = 0

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def deliver_webhooks(core: Any, runtime: Any, webhooks: list[Any]) -> None:
    """Hand every pending webhook to the core's receiver and wait for the flows it starts."""
    while webhooks:
        hook = webhooks.pop(0)
        body = simplejson.dumps(hook.body, use_decimal=True).encode()
        answer = core.handle(
            httpx.Request("POST", f"http://core/webhooks/{hook.vendor}", content=body)
        )
        assert answer.status_code == 202
        runtime.join(timeout=30)
