"""The served stack's limits on what a client may send, each refused with a problem document.

``q2c serve`` faces anyone's integration, so it must not be the thing that falls over: a
request target over ``MAX_TARGET`` is a 414, header lines over ``MAX_HEADERS`` a 431, a body
over the body limit a 413 decided before the body is read past it (a declared
``Content-Length`` is refused unread; a chunked body is cut off at the limit). Before any of
the body is read the request's credentials are checked (``precheck``): an unauthenticated
100 MB upload is a 401 without one byte of it read. Answers to a request whose body is left
unread say ``Connection: close``, so the server does not have to drain the upload. An
exception escaping a mock is a 500 problem document, not uvicorn's plain text.

Below the app, uvicorn's h11 parser refuses a request head over ``H11_HEAD`` bytes itself;
``ProblemH11Protocol`` makes that answer (and any other malformed request's) a problem
document as well, with h11's own status hint (431 for a head too large).

The limits are the sandbox's, one for every vendor (a simplification, in the README): the
vendors do not publish comparable body limits for these APIs. RFC 9110 §4.1 asks recipients
to support request targets of at least 8,000 octets; ``MAX_TARGET`` is twice that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mocks import Problem, to_response

__all__ = [
    "H11_HEAD",
    "MAX_BODY",
    "MAX_HEADERS",
    "MAX_TARGET",
    "Limits",
    "ProblemH11Protocol",
]

MAX_TARGET = 16 * 1024  # path + query, octets (RFC 9110 §4.1: at least 8,000 supported)
MAX_HEADERS = 32 * 1024  # every header line together, octets
MAX_BODY = 10 * 1024 * 1024  # default of `q2c serve --max-body`
H11_HEAD = 256 * 1024  # h11's bound on a whole head: above the two limits, so they answer first

Precheck = Callable[[dict[str, Any]], Problem | None]

log = logging.getLogger("q2c.serve")


class _TooLarge(Exception):
    """The body went past the limit while the app was reading it."""


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
        if unread:
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


def _too_long(size: int) -> Problem:
    return Problem(
        414,
        "URI Too Long",
        f"the request target is {size} octets; this sandbox takes at most {MAX_TARGET}",
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
