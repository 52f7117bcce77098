"""The served stack's limits on what a client may send, each refused with a problem document.

``q2c serve`` faces anyone's integration, so it must not be the thing that falls over: a
request target over ``MAX_TARGET`` is a 414, header lines over ``MAX_HEADERS`` a 431, a body
over the body limit a 413 decided before the body is read past it (a declared
``Content-Length`` is refused unread; a chunked body is cut off at the limit). Before any of
a body over ``PRECHECKED`` bytes (or a chunked one) is read the request's credentials are
checked (``precheck``): an unauthenticated 100 MB upload is a 401 without one byte of it read.
A smaller body has most likely come in with its head, and the vendor refuses it just the same
(its own auth check comes before it parses the body), so it is not checked twice. Answers to
a request whose body is left unread say ``Connection: close``, so the server does not have to
drain the upload. An exception escaping a mock is a 500 problem document, not uvicorn's plain text.

Below the app, the HTTP parser bounds the head before the app sees it, so a multi-megabyte
head is never buffered whole. ``ProblemHttpToolsProtocol`` (what ``q2c serve`` runs: httptools
is uvicorn's fast parser) counts the target and header octets as the parser reports them and
refuses with a 414 or 431 problem document, closing the connection, as soon as one goes over
its limit or the head over ``H11_HEAD``; a malformed request is a 400 problem document. Where
httptools is not importable, ``ProblemH11Protocol`` does the same on h11, whose own bound on
a head is ``H11_HEAD`` (over it: 431; the target and header limits are then the middleware's).

The limits are the sandbox's, one for every vendor (a simplification, in the README): the
vendors do not publish comparable body limits for these APIs. RFC 9110 §4.1 asks recipients
to support request targets of at least 8,000 octets; ``MAX_TARGET`` is twice that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn's fast parser; without it, serve falls back to ProblemH11Protocol
    import httptools
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is pinned in pyproject
    httptools = None  # type: ignore[assignment]

from mocks import Problem, to_response

__all__ = [
    "H11_HEAD",
    "MAX_BODY",
    "MAX_HEADERS",
    "MAX_TARGET",
    "Limits",
    "ProblemH11Protocol",
    "ProblemHttpToolsProtocol",
    "fastest_protocol",
]

MAX_TARGET = 16 * 1024  # path + query, octets (RFC 9110 §4.1: at least 8,000 supported)
MAX_HEADERS = 32 * 1024  # every header line together, octets
MAX_BODY = 10 * 1024 * 1024  # default of `q2c serve --max-body`
PRECHECKED = 64 * 1024  # bodies over this (or chunked) have their credentials checked unread
H11_HEAD = 256 * 1024  # h11's bound on a whole head: above the two limits, so they answer first

Precheck = Callable[[dict[str, Any]], Problem | None]

log = logging.getLogger("q2c.serve")


class _TooLarge(Exception):
    """The body went past the limit while the app was reading it."""


class _HeadRefused(Exception):
    """A request head went past a limit while the parser was reading it."""


class Limits:
    """ASGI middleware enforcing the limits above in front of ``app``; ``precheck`` is the
    401/403 a request's head alone earns (``None``: go on)."""

    def __init__(self, app: Any, precheck: Precheck, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.precheck = precheck
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared, chunked = _body_size(scope["headers"])
        unread = chunked or bool(declared)  # answering now leaves a body in the socket
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if target > MAX_TARGET:
            return await answer(send, _too_long(target), close=unread)
        head = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if head > MAX_HEADERS:
            return await answer(send, _too_many_headers(head), close=unread)
        if chunked or (declared or 0) > PRECHECKED:
            problem = self.precheck(scope)
            if problem is not None:
                return await answer(send, problem, close=True)
        if declared is not None and declared > self.max_body:
            return await answer(send, self._too_large(), close=True)
        state = {"received": 0, "started": False}

        async def limited() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_body:
                    raise _TooLarge
            return message

        async def tracked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except _TooLarge:
            if not state["started"]:
                await answer(send, self._too_large(), close=True)
        except Exception:
            if state["started"]:
                raise
            log.exception("a mock failed on %s %s", scope["method"], scope["path"])
            failed = Problem(500, "Internal Server Error", "the sandbox failed on this request")
            await answer(send, failed, close=unread)

    def _too_large(self) -> Problem:
        return Problem(
            413,
            "Content Too Large",
            f"the body exceeds this sandbox's limit of {self.max_body} bytes",
            errors=[{"field": "body", "message": f"at most {self.max_body} bytes"}],
        )


def _body_size(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (``None``: none or not a number) and whether the body
    is chunked. h11 has refused a malformed length before the app runs."""
    declared: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"content-length" and value.strip().isdigit():
            declared = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return declared, chunked


def _too_long(size: int, *, partial: bool = False) -> Problem:
    """``partial``: the parser stopped reading the target at ``size`` octets."""
    return Problem(
        414,
        "URI Too Long",
        f"the request target is {'at least ' if partial else ''}{size} octets; "
        f"this sandbox takes at most {MAX_TARGET}",
        errors=[{"field": "target", "message": f"at most {MAX_TARGET} octets"}],
    )


def _too_many_headers(size: int) -> Problem:
    return Problem(
        431,
        "Request Header Fields Too Large",
        f"the header lines take {size} octets; this sandbox takes at most {MAX_HEADERS}",
        errors=[{"field": "headers", "message": f"at most {MAX_HEADERS} octets"}],
    )


async def answer(send: Any, problem: Problem, *, close: bool = False) -> None:
    """Send ``problem`` as the whole response (``close``: and end the connection after it)."""
    reply = problem.reply()
    if close:
        reply.headers["connection"] = "close"
    response = to_response(reply)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [(k.encode(), v.encode()) for k, v in response.headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": response.content})


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a request it cannot parse with a problem document:
    431 when the unparsed head outgrew ``H11_HEAD``, else 400."""

    def send_400_response(self, msg: str) -> None:
        buffered = len(self.conn.trailing_data[0])
        if buffered > H11_HEAD:
            status, problem = (
                431,
                Problem(
                    431,
                    "Request Header Fields Too Large",
                    f"the request head exceeds {H11_HEAD} octets",
                    errors=[{"field": "headers", "message": f"at most {H11_HEAD} octets"}],
                ),
            )
        else:
            status, problem = 400, Problem(400, "Bad Request", f"not valid HTTP/1.1: {msg}")
        response = to_response(problem.reply())
        headers = [(k.encode(), v.encode()) for k, v in response.headers.items()]
        headers.append((b"connection", b"close"))
        output = self.conn.send(h11.Response(status_code=status, headers=headers)) or b""
        output += self.conn.send(h11.Data(data=response.content)) or b""
        output += self.conn.send(h11.EndOfMessage()) or b""
        self.transport.write(output)
        self.transport.close()


def _too_large_head(size: int) -> Problem:
    return Problem(
        431,
        "Request Header Fields Too Large",
        f"the request head exceeds {H11_HEAD} octets ({size} read)",
        errors=[{"field": "headers", "message": f"at most {H11_HEAD} octets"}],
    )


if httptools is not None:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with the head bounded and problem documents for what it
        refuses: 414 once the target passes ``MAX_TARGET``, 431 once the header lines pass
        ``MAX_HEADERS`` or the head ``H11_HEAD``, 400 for a malformed request; each closes the
        connection. httptools hands the target over in pieces (``on_url``) but a header line
        only when whole, buffering it meanwhile, so ``data_received`` also counts the octets
        fed while a head is open: what is buffered stays under ``H11_HEAD`` plus one read."""

        _refusal: Problem | None = None
        _in_head = False  # between on_message_begin and on_headers_complete
        _fresh = False  # the open head began in the chunk being fed
        _head = 0  # octets of the open head seen (from its first full chunk: all fed)
        _header_octets = 0  # header lines completed, counted as the middleware does

        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            if self.transport.is_closing():
                return  # refused already: whatever follows is not read
            self._fresh = False
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError as error:
                if self._refusal is None:
                    self.logger.warning("Invalid HTTP request received: %s", error)
                self.send_400_response(str(error) or "Invalid HTTP request received.")
                return
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
            if self._in_head:
                if self._fresh:  # only what the callbacks saw is known to be this head's
                    self._head = len(self.url) + self._header_octets
                else:
                    self._head += len(data)
                if self._head > H11_HEAD:
                    self._refusal = _too_large_head(self._head)
                    self.send_400_response("")

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = self._fresh = True
            self._header_octets = 0

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            if len(self.url) > MAX_TARGET:
                self._refuse(_too_long(len(self.url), partial=True))

        def on_header(self, name: bytes, value: bytes) -> None:
            super().on_header(name, value)
            self._header_octets += len(name) + len(value) + 4
            if self._header_octets > MAX_HEADERS:
                self._refuse(_too_many_headers(self._header_octets))

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def _refuse(self, problem: Problem) -> None:
            """Stop the parser (httptools turns the exception into ``HttpParserError``)."""
            self._refusal = problem
            raise _HeadRefused(problem.title)

        def send_400_response(self, msg: str) -> None:
            problem = self._refusal or Problem(400, "Bad Request", f"not valid HTTP/1.1: {msg}")
            response = to_response(problem.reply())
            content = [STATUS_LINE[problem.status]]
            for name, value in self.server_state.default_headers:
                content += [name, b": ", value, b"\r\n"]
            for key, text in response.headers.items():
                if key.lower() not in ("content-length", "connection"):
                    content += [key.encode(), b": ", text.encode(), b"\r\n"]
            content.append(
                b"content-length: %d\r\nconnection: close\r\n\r\n" % len(response.content)
            )
            content.append(response.content)
            self.transport.write(b"".join(content))
            self.transport.close()


def fastest_protocol() -> type[asyncio.Protocol]:
    """The protocol ``q2c serve`` runs: httptools' when importable, else h11's."""
    if httptools is not None:
        return ProblemHttpToolsProtocol
    return ProblemH11Protocol
