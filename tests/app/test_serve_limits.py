"""`q2c serve` under abuse, over a real socket: oversize bodies, targets and headers are problem
documents (413/414/431) decided before the body is read, credentials first; the server's
memory stays small through a 100 MB upload."""

from __future__ import annotations

import asyncio
import json
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.conformance import CLIENT_ID, CLIENT_SECRET
from sim.app import serve as serve_module
from sim.app._limits import H11_HEAD, MAX_TARGET, Limits, ProblemHttpToolsProtocol
from tests.support.served import free_port, q2c_serve

ADMIN_TOKEN = "limits-admin"
ACCOUNTS = "/crm/services/data/v60.0/sobjects/Account"
HUNDRED_MB = 100 * 1024 * 1024
RSS_LIMIT_KB = 150 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, int]]:
    """`q2c serve` in a subprocess: (port, pid)."""
    with q2c_serve("--admin-token", ADMIN_TOKEN, quiet=True) as served:
        yield served.port, served.pid


@pytest.fixture(scope="module")
def bearer(server: tuple[int, int]) -> str:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    url = f"http://127.0.0.1:{server[0]}/crm/services/oauth2/token"
    token: str = httpx.post(url, data=form).json()["access_token"]
    return f"Bearer {token}"


def _peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):  # the process's peak resident set, in kB
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


def _upload(
    port: int, head: str, body_size: int, chunked: bool = False
) -> tuple[int, dict[str, Any], int]:
    """Send ``head`` and up to ``body_size`` body bytes (stopping as soon as the server answers);
    returns (status, error body, body bytes sent)."""
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        try:
            while sent < body_size:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break  # the server has answered: stop sending
                piece = chunk[: body_size - sent]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while b"\r\n\r\n" not in received or len(received) < _length(received):
            part = sock.recv(65536)
            if not part:
                break
            received += part
    head_part, _, body = received.partition(b"\r\n\r\n")
    status = int(head_part.split(b" ", 2)[1])
    # the vendor's refusals (401) in its own shape, the server's (413) as problem documents
    media = b"application/problem+json" if status == 413 else b"application/json"
    assert b"content-type: " + media in head_part.lower()
    return status, json.loads(body[: _length(received) - len(head_part) - 4]), sent


def _length(received: bytes) -> int:
    head, found, _ = received.partition(b"\r\n\r\n")
    if not found:
        return 1 << 30
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return 1 << 30


def _head(method: str, target: str, *, headers: dict[str, str], length: int | None) -> str:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_100_mb_body_is_refused_unread_and_memory_stays_small(
    server: tuple[int, int], bearer: str
) -> None:
    port, pid = server
    json_type = {"Content-Type": "application/json"}
    # no credentials: a 401 before one byte of the body is read
    status, body, _ = _upload(port, _head("POST", ACCOUNTS, headers=json_type,
                                          length=HUNDRED_MB), HUNDRED_MB)  # fmt: skip
    assert status == 401 and body[0]["errorCode"] == "INVALID_SESSION_ID"  # Salesforce's
    # credentials, declared length over the limit: 413 at once
    authed = {**json_type, "Authorization": bearer}
    status, body, _ = _upload(port, _head("POST", ACCOUNTS, headers=authed,
                                          length=HUNDRED_MB), HUNDRED_MB)  # fmt: skip
    assert status == 413 and body["errors"][0]["field"] == "body"
    # credentials, chunked (no length to refuse): cut off at the limit, long before 100 MB
    status, body, sent = _upload(port, _head("POST", ACCOUNTS, headers=authed, length=None),
                                 HUNDRED_MB, chunked=True)  # fmt: skip
    assert status == 413
    assert sent < HUNDRED_MB // 2
    assert _peak_rss_kb(pid) < RSS_LIMIT_KB
    # and the server still answers
    assert httpx.get(f"http://127.0.0.1:{port}/crm/openapi.json").status_code == 200


def _get(port: int, target: str) -> tuple[int, bytes, dict[str, Any]]:
    """A raw GET (httpx itself refuses URLs over 64 KiB): status, head, problem body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while len(received) < _length(received):
            part = sock.recv(65536)
            if not part:
                break
            received += part
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head.lower(), json.loads(body)


def test_a_70_kb_path_is_a_414_problem(server: tuple[int, int]) -> None:
    port, _ = server
    status, head, body = _get(port, "/crm/" + "a" * 70 * 1024)
    assert status == 414 and body["status"] == 414
    assert b"content-type: application/problem+json" in head
    assert str(MAX_TARGET) in body["detail"]
    assert b"connection: close" in head  # the parser refused it: the connection is dropped
    assert _get(port, "/crm/x?q=" + "b" * 70 * 1024)[0] == 414
    # a path under the limit but long is an ordinary 404, not a crash
    assert _get(port, "/crm/" + "a" * 15000)[0] == 404


@pytest.mark.parametrize("size", [40 * 1024, 400 * 1024])
def test_oversize_headers_are_a_431_problem(server: tuple[int, int], size: int) -> None:
    """40 KB: refused by the sandbox's header limit; 400 KB: by the parser's bound on a head, which
    answers in kind."""
    port, _ = server
    response = httpx.get(f"http://127.0.0.1:{port}/crm/openapi.json", headers={"x-big": "c" * size})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 431
    assert response.headers["connection"] == "close"


def test_a_malformed_request_is_a_400_problem(server: tuple[int, int]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /crm/openapi.json HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"application/problem+json" in answer


def test_a_megabyte_header_is_refused_before_it_is_all_sent(server: tuple[int, int]) -> None:
    """The parser bounds the head: the 431 comes while the client is still sending it."""
    port, _ = server
    total, sent = 8 * 1024 * 1024, 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /crm/openapi.json HTTP/1.1\r\nHost: x\r\nX-Big: ")
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"c" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431")
    assert b"application/problem+json" in answer.lower()
    assert sent < total // 2
    assert str(H11_HEAD).encode() in answer


def test_serve_runs_the_httptools_protocol_on_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed of issue 12 needs httptools and uvloop; the limits above hold on it."""
    import uvicorn

    configs: list[uvicorn.Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *args: configs.append(self.config))
    console = type("Quiet", (), {"print": lambda *args, **kwargs: None})()
    serve_module.serve(host="127.0.0.1", port=free_port(), scenario=None, seed=0,
                       admin_token=ADMIN_TOKEN, allow_remote=False, console=console)  # fmt: skip
    (config,) = configs
    assert config.http is ProblemHttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_json_sent_as_text_is_a_415(server: tuple[int, int], bearer: str) -> None:
    port, _ = server
    response = httpx.post(
        f"http://127.0.0.1:{port}{ACCOUNTS}",
        headers={"authorization": bearer, "content-type": "text/plain"},
        content=b'{"Name": "x"}',
    )
    assert response.status_code == 415
    assert response.json()[0]["errorCode"] == "UNSUPPORTED_MEDIA_TYPE"  # Salesforce's
    # Stripe takes forms, so a form is no 415 there
    token = httpx.post(f"http://127.0.0.1:{port}/payments/oauth/token",
                       data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                             "client_secret": CLIENT_SECRET})  # fmt: skip
    assert token.status_code == 200


def test_a_crash_inside_the_app_is_a_500_problem() -> None:
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=Limits(broken, lambda scope: None))
        async with httpx.AsyncClient(transport=transport, base_url="http://q2c") as http:
            return await http.get("/anything")

    response = asyncio.run(go())
    assert response.status_code == 500
    assert response.json()["title"] == "Internal Server Error"
