"""``make bench-serve``: ``q2c serve`` against Prism's mock of ``contracts/erp.yaml``, side by side.

Issue 12 asks the served stack for at least 2x Prism's requests/s on GET by id, POST create and a
list, with a lower p99. This script measures exactly that, on loopback:

- Prism (``@stoplight/prism-cli``, pinned below) is installed from npm into a temporary folder
  (or taken from ``--prism DIR``, an earlier install); without npm the benchmark is skipped with
  the reason (exit 0).
- Both servers run on one CPU, the load generator on another (``taskset``); both servers stay
  up (an idle one takes no CPU, and Prism's JIT stays warm) and only one is under load at a
  time. The load generator is wrk (installed with apt-get if missing and we are root) or,
  failing that, a Python asyncio generator, with the reason printed.
- Each operation is measured in ``--rounds`` alternating rounds (q2c then Prism, then Prism then
  q2c, ...), each run after its own warm-up; the table shows medians of requests/s and of the
  p99 latency.

How the comparison is kept fair: Prism is stateless and checks only that *some* bearer token is
sent, so both get the same request with ``Authorization: Bearer <token>`` (for q2c a valid
token from its OAuth endpoint: q2c pays for the real check; for Prism any string). Prism answers
the spec's example (one customer; a one-row list); q2c stores, validates and reads real records,
so its list is asked for one row (``$top=1``) as well. Both log nothing per request (Prism
``--verboseLevel silent``; q2c has no access log). "list, N records" is the same request after
N customers were created in q2c's company; Prism answers it as before (it has no records).

The machine may be shared and noisy: alternate, take medians, and read the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Load, Result, find_wrk, run_load

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "contracts" / "erp.yaml"
PRISM_VERSION = "5.16.0"  # @stoplight/prism-cli, pinned: the version issue 12 compared with
ADMIN_TOKEN = "bench-admin-token"
CLIENT = {"client_id": "q2c-contract", "client_secret": "q2c-contract-secret"}
CUSTOMER = {"displayName": "Bench Customer", "country": "DE", "currencyCode": "EUR"}
API = "/api/v2.0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout:.0f} s")


@contextmanager
def _server(command: list[str], port: int, cpu: int | None) -> Iterator[None]:
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    process = subprocess.Popen(
        [*pin, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        _wait_listening(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _http(method: str, url: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def install_prism(where: Path) -> Path:
    """``prism`` from npm into ``where`` (a temporary folder), at the pinned version."""
    subprocess.run(
        ["npm", "install", "--prefix", str(where), "--no-audit", "--no-fund", "--silent",
         f"@stoplight/prism-cli@{PRISM_VERSION}"],
        check=True,
    )  # fmt: skip
    return where / "node_modules" / ".bin" / "prism"


class Q2c:
    """A ``q2c serve`` (no scenario: one company SANDBOX-DE) and what the loads need of it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.command = [
            str(Path(sys.executable).with_name("q2c")), "serve", "--port", str(port),
            "--admin-token", ADMIN_TOKEN,
        ]  # fmt: skip

    def fresh(self) -> tuple[str, str, str]:
        """Reset every mock; a token, the company's id, one customer's id."""
        status, _ = _http(
            "POST", self.base + "/_admin/reset", b"", authorization=f"Bearer {ADMIN_TOKEN}"
        )
        assert status == 204, status
        form = urllib.parse.urlencode({"grant_type": "client_credentials", **CLIENT}).encode()
        status, body = _http(
            "POST", self.base + "/erp/oauth2/v2.0/token", form,
            **{"content-type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 200, body
        token = json.loads(body)["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        _, body = _http("GET", self.base + f"/erp{API}/companies", **auth)
        company = json.loads(body)["value"][0]["id"]
        status, body = _http(
            "POST", self.base + f"/erp{API}/companies({company})/customers",
            json.dumps(CUSTOMER).encode(), **auth, **{"content-type": "application/json"},
        )  # fmt: skip
        assert status == 201, body
        return token, company, json.loads(body)["id"]


def _loads(prefix: str, token: str, company: str, customer: str) -> dict[str, Load]:
    auth = {"Authorization": f"Bearer {token}"}
    customers = f"{prefix}{API}/companies({company})/customers"
    return {
        "GET by id": Load("GET", f"{customers}({customer})", auth),
        "POST create": Load(
            "POST", customers, {**auth, "Content-Type": "application/json"}, json.dumps(CUSTOMER)
        ),
        "list (fresh)": Load("GET", customers + "?$top=1", auth),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per operation")
    parser.add_argument("--duration", type=float, default=5, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=float, default=5, help="seconds of load before each measured run "
        "(Node's JIT needs a few; each server gets the same)",
    )  # fmt: skip
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--records", type=int, default=40_000, help="records for the big list")
    parser.add_argument("--prism", type=Path, help="folder of an earlier Prism npm install")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the medians here")
    args = parser.parse_args()

    if args.prism is None and shutil.which("npm") is None:
        print("bench-serve: SKIPPED: npm is not installed, so Prism cannot be installed")
        return 0
    cpus = os.sched_getaffinity(0)
    if not shutil.which("taskset") or {args.server_cpu, args.client_cpu} - cpus:
        print(f"bench-serve: no pinning (taskset missing or CPUs {sorted(cpus)} too few)")
        args.server_cpu = args.client_cpu = None
    wrk, why = find_wrk()
    print(f"load generator: {why if wrk else 'Python asyncio fallback, because ' + why}")

    with tempfile.TemporaryDirectory(prefix="q2c-bench-prism-") as scratch:
        if args.prism is not None:
            prism = args.prism / "node_modules" / ".bin" / "prism"
        else:
            print(f"installing @stoplight/prism-cli@{PRISM_VERSION} from npm into {scratch}")
            try:
                prism = install_prism(Path(scratch))
            except subprocess.CalledProcessError as exc:
                print(f"bench-serve: SKIPPED: npm could not install Prism (exit {exc.returncode})")
                return 0
        table = _measure(args, wrk, prism)
    _print(table, args)
    if args.json is not None:
        args.json.write_text(json.dumps(table, indent=2))
    return 0


def _measure(
    args: argparse.Namespace, wrk: str | None, prism: Path
) -> dict[str, dict[str, list[float]]]:
    q2c = Q2c(_free_port())
    prism_port = _free_port()
    prism_base = f"http://127.0.0.1:{prism_port}"
    prism_command = [
        str(prism), "mock", "-h", "127.0.0.1", "-p", str(prism_port),
        "--verboseLevel", "silent", str(SPEC),
    ]  # fmt: skip
    any_id = "00000000-0000-0000-0000-000000000001"
    prism_loads = _loads("", "any-token", any_id, any_id)
    big = f"list, {args.records:,} records"
    operations = ["GET by id", "POST create", "list (fresh)", big]
    table: dict[str, dict[str, list[float]]] = {
        op: {"q2c_rps": [], "prism_rps": [], "q2c_p99": [], "prism_p99": []} for op in operations
    }

    def go(
        base: str, load: Load, duration: float, stop_after: int = 0, python: bool = False
    ) -> Result:
        generator = None if python else wrk
        return run_load(
            generator, base, load, duration=duration, connections=args.connections,
            cpu=args.client_cpu, stop_after=stop_after,
        )  # fmt: skip

    def run(side: str, base: str, op: str, load: Load) -> None:
        go(base, load, args.warmup)
        result = go(base, load, args.duration)
        if result.errors:
            print(f"  warning: {side} {op}: {result.errors} non-2xx answers or socket errors")
        table[op][f"{side}_rps"].append(result.rps)
        table[op][f"{side}_p99"].append(result.p99_ms)
        print(
            f"  {op:24} {side:5} {result.rps:9.0f} req/s  p99 {result.p99_ms:7.2f} ms", flush=True
        )

    # Both servers stay up (an idle one takes no CPU), so Prism's JIT stays warm; the load
    # alternates between them, the first side switching every round.
    with (
        _server(prism_command, prism_port, args.server_cpu),
        _server(q2c.command, q2c.port, args.server_cpu),
    ):
        for op in operations:
            token, company, customer = q2c.fresh()  # every operation starts on fresh state
            q2c_loads = _loads("/erp", token, company, customer)
            if op == big:  # post the records (wrk cannot stop after N requests; Python can)
                print(f"posting {args.records:,} customers to q2c", flush=True)
                go(q2c.base, q2c_loads["POST create"], 3600, args.records, python=True)
            name = "list (fresh)" if op == big else op
            for round_ in range(args.rounds):
                order = ["q2c", "prism"] if round_ % 2 == 0 else ["prism", "q2c"]
                for side in order:
                    if side == "q2c":
                        run("q2c", q2c.base, op, q2c_loads[name])
                    else:
                        run("prism", prism_base, op, prism_loads[name])
    return table


def _print(table: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    """Medians per side, their ratio, and the median of the per-round ratios ("paired"): the two
    runs of a round are seconds apart, so the paired ratio shrugs off a machine whose load drifts
    over minutes (other people's tests), which the ratio of medians does not."""
    med = statistics.median
    print(
        f"\nmedians of {args.rounds} alternating rounds, {args.duration:g} s each (after "
        f"{args.warmup:g} s warm-up), {args.connections} connections, servers on CPU "
        f"{args.server_cpu}, load on CPU {args.client_cpu}"
    )
    print(
        f"{'operation':24} {'q2c req/s':>9} {'Prism req/s':>11} {'ratio':>6} {'paired':>6}"
        f" {'q2c p99 ms':>10} {'Prism p99 ms':>12} {'ratio':>6} {'paired':>6}"
    )
    for op, c in table.items():
        q, p, q99, p99 = (med(c[k]) for k in ("q2c_rps", "prism_rps", "q2c_p99", "prism_p99"))
        rps = med(a / b for a, b in zip(c["q2c_rps"], c["prism_rps"], strict=True))
        lat = med(a / b for a, b in zip(c["q2c_p99"], c["prism_p99"], strict=True))
        print(
            f"{op:24} {q:9.0f} {p:11.0f} {q / p:5.2f}x {rps:5.2f}x"
            f" {q99:10.2f} {p99:12.2f} {q99 / p99:5.2f}x {lat:5.2f}x"
        )


if __name__ == "__main__":
    raise SystemExit(main())
