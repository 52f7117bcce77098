"""Several vendor apps behind one ASGI server (``q2c serve``), each under its own prefix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mocks._http import Problem, VendorApp, to_response

__all__ = ["Mount"]


class Mount:
    """Several vendor apps behind one ASGI server, each under its own path prefix."""

    def __init__(self, apps: Mapping[str, VendorApp]) -> None:
        self.apps = {prefix.strip("/"): app for prefix, app in apps.items()}
        # per mount: "/erp", "/erp/", the app (built once, not per request: the hot path)
        self._mounts = [(f"/{p}", f"/{p}/", app) for p, app in self.apps.items()]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await next(iter(self.apps.values())).asgi(scope, receive, send)
        path = scope["path"]
        for root, under, app in self._mounts:
            if path == root or path.startswith(under):
                inner = {
                    **scope,
                    "path": path[len(root) :] or "/",
                    "root_path": scope.get("root_path", "") + root,
                }
                return await app.asgi(inner, receive, send)
        response = to_response(Problem(404, "Not Found", f"no vendor mounted at {path}").reply())
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": response.content})
