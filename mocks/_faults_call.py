"""One call as a fault layer sees it, with an ``httpx.Request`` only where something needs one.

A faulty vendor's rules read a call's method, path and (for a quota's caller) two headers,
and then the mock handles it. The simulator used to build an ``httpx.Request`` per faulted
call for that (its URL parsed and quoted character by character in Python: about 1.4 s of the
faulty firm-100 run's 12 s profiled, issue 14), as calls to vendors without a fault layer no
longer do (``mocks._http.LocalTransport.send_local``). An ``Inbound`` from the simulator
carries what that request would carry and has the mock answer it the same lean way, by the
same rules (``mocks._request_head``): the request is built only where those rules cannot
vouch for a call (an odd path, non-text query values), where a rule rewrites the call (schema
drift translates it as an ``httpx.Request``) and where the caller's error must carry it (a
refused connection, a timeout). tests/mocks/test_faults_call.py sends the same calls through
two identical layers, one each way, and compares every answer and fault byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from mocks._http import LocalTransport
from mocks._request_head import PLAIN_PATH, request_headers, text_values

__all__ = ["Inbound"]


class Inbound:
    """A call arriving at a fault layer: from the simulator (``FaultyVendor.inbound``) or as
    the ``httpx.Request`` a client sent (``Inbound.of``)."""

    __slots__ = ("_given", "_headers", "_request", "content", "host", "method", "params",
                 "path", "transport")  # fmt: skip

    def __init__(
        self,
        transport: LocalTransport,
        host: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> None:
        self.transport = transport
        self.host = host
        self.method = method
        self.path = path
        self.params = params
        self.content = content
        self._given = headers
        self._headers: httpx.Headers | None = None
        self._request: httpx.Request | None = None
        if not PLAIN_PATH.fullmatch(path) or "/." in path or not text_values(params):
            self.path = self.request().url.path  # what httpx makes of it, as the mock reads it

    @classmethod
    def of(cls, request: httpx.Request, transport: LocalTransport) -> Inbound:
        """The call a client sent as ``request`` (served, or rewritten by a rule)."""
        call = cls.__new__(cls)
        call.transport, call.method, call.path = transport, request.method, request.url.path
        call.host, call.params, call.content, call._given = request.url.host, None, None, None
        call._headers, call._request = request.headers, request
        return call

    @property
    def headers(self) -> httpx.Headers:
        """The headers the request carries (``request_headers``: ``Host`` and the body's
        ``Content-Length`` too), worked out once."""
        if self._headers is None:
            self._headers = request_headers(self.host, self.method, self._given, self.content)
        return self._headers

    def request(self) -> httpx.Request:
        """The ``httpx.Request`` this call is, built once when first asked for."""
        if self._request is None:
            self._request = httpx.Request(
                self.method,
                f"http://{self.host}{self.path}",
                params=self.params,
                headers=self._given,
                content=self.content,
            )
        return self._request

    def handle(self) -> httpx.Response:
        """The mock's answer: through ``VendorApp.handle`` once there is a request, else the
        lean way (``LocalTransport.send_local``; the headers already worked out go in as they
        are, which adds nothing to them: they hold their ``Host`` and ``Content-Length``)."""
        if self._request is not None:
            return self.transport.app.handle(self._request)
        given = self._given if self._headers is None else self._headers
        return self.transport.send_local(
            self.host, self.method, self.path, self.params, given, self.content
        )
