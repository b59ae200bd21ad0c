"""HTTP benchmark: `POST /v1/detokenize` through `privault serve`, beside a bare FastAPI endpoint
served the same way and driven by the same load generator in the same run.

privault: a fresh home (SQLite, the default) holding synthetic customers stored through the
library, served by `privault serve` (uvicorn, one worker, 127.0.0.1). The caller is a
`fulfillment` key declaring `order_fulfillment`, reading `name` tokens (plain view): every
request authenticates the key, checks the purpose, resolves the token, decrypts the field and
appends one audit event per customer read.

Floor: a bare FastAPI app with one `async def` endpoint at the same path returning a constant
JSON body, started with the same `uvicorn.run` arguments `privault serve` uses (one worker,
same host, access log off), sent the very same requests (same headers, same bodies). Printed
for context: the same bare app with a sync `def` endpoint (FastAPI runs it in a thread, as it
does privault's routes).

Load generator: `wrk` (install: `apt-get install -y wrk`), one thread, on loopback, a Lua
script cycling through pre-built bodies. Its CPU use and the server's are printed: with two
cores, one runs the server and one the generator, and the generator must stay below one core
for the bare endpoint's figure to be the server's. Without `wrk` a Python asyncio + httpx
generator is used instead; it saturates long before the bare endpoint does, so the ratio it
prints is then flattering and says so.

The per-key rate limit (`server.rate_per_s`, `server.rate_burst`) is raised for the run through
`PRIVAULT_SERVER__RATE_PER_S` / `PRIVAULT_SERVER__RATE_BURST`; any non-2xx answer fails the run.

Run: .venv/bin/python bench/http.py [--customers N] [--duration S] [--connections C]
Target: single-token detokenize >= 0.5 x the bare endpoint's requests/s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file shares its name with the standard library's `http` package, which uvicorn and httpx
# import: its folder must not be on the import path (Python puts it first for a script).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

import argparse  # noqa: E402 - after the import path is fixed, see above
import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

PATH = "/v1/detokenize"
HOST = "127.0.0.1"
ROLE, PURPOSE, FIELD = "fulfillment", "order_fulfillment", "name"
BATCH = 100
TARGET = 0.5
BODIES_IN_SCRIPT = 1000
RAISED_RATE = {
    "PRIVAULT_SERVER__RATE_PER_S": "1000000000",
    "PRIVAULT_SERVER__RATE_BURST": "1000000000",
}


@dataclass(frozen=True)
class Load:
    """What one load run measured."""

    requests_per_s: float
    non_2xx: int
    errors: int
    generator_cpu: float  # share of one core
    server_cpu: float  # share of one core
    latency: str


# -- the bare server -------------------------------------------------------------------------


def customers_csv(count: int) -> Path:
    """The cached synthetic customers of bench/_common.py (loaded by path, see the top)."""
    spec = importlib.util.spec_from_file_location("_common", _HERE / "_common.py")
    if spec is None or spec.loader is None:
        raise SystemExit("bench/_common.py is missing")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    path: Path = common.customers_csv(count)
    return path


def serve_bare(port: int, *, sync: bool) -> None:
    """Serve the bare app with the arguments `privault serve` passes to uvicorn."""
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()
    constant = {"results": [{"token": "tok", "view": "plain", "value": "constant"}]}

    if sync:

        @app.post(PATH)
        def bare_sync() -> dict[str, Any]:
            """A constant JSON body (sync, run in FastAPI's thread pool)."""
            return constant

    else:

        @app.post(PATH)
        async def bare_async() -> dict[str, Any]:
            """A constant JSON body."""
            return constant

    # Same call as privault.cli.main.serve with --workers 1 and no TLS.
    uvicorn.run(app, host=HOST, port=port, workers=None, log_level="warning", access_log=False)


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server and wait until it accepts connections."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}: {' '.join(command)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start in 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started here."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- load generators -------------------------------------------------------------------------


def lua_script(headers: dict[str, str], bodies: list[str]) -> str:
    """A wrk script sending POSTs with ``headers``, cycling through ``bodies``."""
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    lines.append("local bodies = {")
    lines += [f"  {json.dumps(body)}," for body in bodies]
    lines += [
        "}",
        "local i = 0",
        "request = function()",
        "  i = i % #bodies + 1",
        "  return wrk.format(nil, nil, nil, bodies[i])",
        "end",
    ]
    return "\n".join(lines) + "\n"


def run_wrk(url: str, script: Path, server_pid: int, *, connections: int, duration: float) -> Load:
    """Drive ``url`` with wrk for ``duration`` seconds; measure wrk's and the server's CPU."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "30s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    # The servers are children too, but still running: only reaped children are counted.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - started
    server_cpu = (cpu_seconds(server_pid) - server_before) / elapsed
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise SystemExit(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    latency = re.search(r"^\s+50%\s+(\S+).*?^\s+99%\s+(\S+)", output, re.S | re.M)
    return Load(
        requests_per_s=float(found.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)),
        generator_cpu=used / elapsed,
        server_cpu=server_cpu,
        latency=f"p50 {latency.group(1)}, p99 {latency.group(2)}" if latency else "",
    )


class WrkDriver:
    """wrk, one thread: a warm-up run, then the measured one."""

    name = "wrk 1 thread"

    def __init__(self, workdir: Path, duration: float) -> None:
        self.workdir = workdir
        self.duration = duration

    def drive(
        self,
        port: int,
        server_pid: int,
        headers: dict[str, str],
        bodies: list[str],
        connections: int,
    ) -> Load:
        """One warm-up, then one measured run."""
        script = self.workdir / "load.lua"
        script.write_text(lua_script(headers, bodies))
        url = f"http://{HOST}:{port}{PATH}"
        run_wrk(url, script, server_pid, connections=connections, duration=2)
        return run_wrk(url, script, server_pid, connections=connections, duration=self.duration)


class PythonDriver:
    """Fallback: asyncio + httpx, ``connections`` concurrent clients in this process."""

    name = "python asyncio+httpx (fallback: the generator is the bottleneck)"

    def __init__(self, duration: float) -> None:
        self.duration = duration

    def drive(
        self,
        port: int,
        server_pid: int,
        headers: dict[str, str],
        bodies: list[str],
        connections: int,
    ) -> Load:
        """One warm-up, then one measured run."""
        asyncio.run(self._run(port, headers, bodies, connections, 1.0))
        before = resource.getrusage(resource.RUSAGE_SELF)
        server_before = cpu_seconds(server_pid)
        started = time.perf_counter()
        done, bad = asyncio.run(self._run(port, headers, bodies, connections, self.duration))
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Load(
            requests_per_s=done / elapsed,
            non_2xx=bad,
            errors=0,
            generator_cpu=used / elapsed,
            server_cpu=(cpu_seconds(server_pid) - server_before) / elapsed,
            latency="",
        )

    async def _run(
        self,
        port: int,
        headers: dict[str, str],
        bodies: list[str],
        connections: int,
        duration: float,
    ) -> tuple[int, int]:
        import httpx

        counts = [0, 0]
        deadline = time.perf_counter() + duration
        limits = httpx.Limits(max_connections=connections)
        headers = {**headers, "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits) as client:

            async def one(offset: int) -> None:
                i = offset
                while time.perf_counter() < deadline:
                    response = await client.post(
                        PATH, content=bodies[i % len(bodies)], headers=headers
                    )
                    counts[0] += 1
                    counts[1] += response.status_code >= 300
                    i += 1

            await asyncio.gather(*(one(n) for n in range(connections)))
        return counts[0], counts[1]


# -- the run ---------------------------------------------------------------------------------


def prepare_home(home: Path, customers: int) -> tuple[str, list[str]]:
    """A fresh home with ``customers`` stored; an API key and the ``name`` tokens."""
    import csv

    from privault.apikeys import HASH_KEY_LABEL, create_api_key
    from privault.config import Settings
    from privault.home import init_home
    from privault.vault import RecordCreate, Vault

    settings = Settings(home=home)
    init_home(settings)
    tokens: list[str] = []
    with customers_csv(customers).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with Vault.open(settings) as vault:
        for start_at in range(0, len(rows), 1000):
            batch = [
                RecordCreate(
                    "customers",
                    row["customer_id"],
                    {k: v for k, v in row.items() if k != "customer_id"},
                )
                for row in rows[start_at : start_at + 1000]
            ]
            tokens += [stored.tokens[FIELD] for stored in vault.put_many(batch)]
        with vault.session() as db_session:
            key = create_api_key(
                db_session=db_session,
                datamap=vault.datamap,
                hash_key=vault.keys.derived.derive(HASH_KEY_LABEL),
                role=ROLE,
                purposes=[PURPOSE],
                at=vault.records.clock.now(),
            ).key
    return key, tokens


def breakdown(home: Path, key: str, tokens: list[str], rounds: int = 2000) -> list[str]:
    """Where a single-token request's time goes, measured in-process (no HTTP), in turn."""
    from dataclasses import replace

    from sqlalchemy import text

    from privault.apikeys import HASH_KEY_LABEL, authenticate
    from privault.audit import AuditRecord
    from privault.config import Settings
    from privault.policy import Principal, detokenize
    from privault.vault import Vault

    lines = []
    with Vault.open(Settings(home=home)) as vault:
        hash_key = vault.keys.derived.derive(HASH_KEY_LABEL)
        with vault.session() as db_session:
            found = authenticate(
                db_session=db_session,
                hash_key=hash_key,
                presented=key,
                at=vault.records.clock.now(),
            )
        principal = Principal(
            key_id=found.id, role=found.role, purposes=frozenset(found.purposes or []), regions=None
        )
        event = AuditRecord(actor=found.id, operation="token.detokenize", purpose=PURPOSE)

        def write_transaction(_: int) -> None:
            with vault.session() as db_session:
                db_session.execute(text("SELECT 1"))

        def authenticated(_: int) -> None:
            with vault.session() as db_session:
                authenticate(
                    db_session=db_session,
                    hash_key=hash_key,
                    presented=key,
                    at=vault.records.clock.now(),
                )

        def resolved(i: int) -> None:
            with vault.session() as db_session:
                detokenize(
                    db_session=db_session, records=vault.records, principal=principal,
                    purpose=PURPOSE, tokens=[tokens[i % len(tokens)]],
                )  # fmt: skip

        def audited(i: int) -> None:
            with vault.session() as db_session:
                vault.audit.record(
                    db_session=db_session,
                    event=replace(event, subject_id=f"C{i:07d}", collection="customers"),
                )

        def route_work(i: int) -> None:
            with vault.session() as db_session:
                authenticate(
                    db_session=db_session,
                    hash_key=hash_key,
                    presented=key,
                    at=vault.records.clock.now(),
                )
                vault.audited(
                    event,
                    lambda session: detokenize(
                        db_session=session,
                        records=vault.records,
                        principal=principal,
                        purpose=PURPOSE,
                        tokens=[tokens[i % len(tokens)]],
                    ),
                    lambda results: [
                        replace(event, subject_id=r.subject_id, collection=r.collection)
                        for r in results
                    ],
                    db_session=db_session,
                )

        stages = (
            ("write transaction alone (BEGIN IMMEDIATE, SELECT 1, COMMIT)", write_transaction),
            ("transaction + API key authentication", authenticated),
            ("transaction + detokenize of 1 token (policy, resolve, decrypt)", resolved),
            ("transaction + 1 audit event", audited),
            ("all of the route's work for 1 token, no HTTP", route_work),
        )
        for label, stage in stages:
            for i in range(50):
                stage(i)
            started = time.perf_counter()
            for i in range(rounds):
                stage(i)
            micros = (time.perf_counter() - started) / rounds * 1e6
            lines.append(f"    {label:<64}: {micros:6.0f} us")
    return lines


def drive_floor(
    workdir: Path,
    key: str,
    env: dict[str, str],
    *,
    driver: WrkDriver | PythonDriver,
    headers: dict[str, str],
    singles: list[str],
    connections: int,
) -> Load:
    """Serve the same-design floor (bench/http_floor.py) on a copy of the home and drive it."""
    floor_db, secrets = floor_copy(workdir, key)
    port = free_port()
    command = [sys.executable, str(_HERE / "http_floor.py"), "--port", str(port),
               "--db", str(floor_db), "--secrets", str(secrets)]  # fmt: skip
    server = start(command, env, port)
    try:
        check_answer(port, headers, singles[0], tokens=1)
        return driver.drive(port, server.pid, headers, singles, connections)
    finally:
        stop(server)


def floor_copy(workdir: Path, key: str) -> tuple[Path, Path]:
    """A copy of the measured database and the raw secrets the same-design floor needs."""
    import hashlib
    import hmac
    import sqlite3

    from tink.proto import aes_gcm_pb2

    from privault.apikeys import HASH_KEY_LABEL
    from privault.config import Settings
    from privault.vault import Vault

    settings = Settings(home=workdir / "home")
    with Vault.open(settings) as vault:
        derived = vault.keys.derived
        keyset = vault.keys.masters._get("eu").keyset()
        hash_key = derived.derive(HASH_KEY_LABEL)
        secrets = {
            "pointer_key": derived.derive("token/pointer/v1", length=64).hex(),
            "masters": {
                str(k.key_id): aes_gcm_pb2.AesGcmKey.FromString(k.key_data.value).key_value.hex()
                for k in keyset.key
            },
            "api_hash_key": hash_key.hex(),
            "api_key_hash": hmac.new(hash_key, key.encode(), hashlib.sha256).hexdigest(),
            "pseudonym_key": derived.derive("audit-pseudonym/v1").hex(),
            "purpose": PURPOSE,
            "collection": "customers",
            "field": FIELD,
        }
    copy = workdir / "floor.db"
    with sqlite3.connect(settings.home / "privault.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    secrets_path = workdir / "floor-secrets.json"
    secrets_path.write_text(json.dumps(secrets))
    secrets_path.chmod(0o600)
    return copy, secrets_path


def check_answer(port: int, headers: dict[str, str], body: str, *, tokens: int) -> None:
    """One request by hand: every token resolves to a value (else the figures mean nothing)."""
    import httpx

    response = httpx.post(
        f"http://{HOST}:{port}{PATH}",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    results = response.json().get("results", []) if response.status_code == 200 else []
    if len(results) != tokens or any(r.get("error") or not r.get("value") for r in results):
        detail = response.text[:300]
        raise SystemExit(f"detokenize did not answer as expected: {response.status_code} {detail}")


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--batch-connections",
        type=int,
        default=4,
        help="connections for the 100-token batches (each holds the write lock ~50 ms)",
    )
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--sync", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    """Measure privault and the bare endpoint with the same generator, print the ratio."""
    args = parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, sync=args.sync)
        return

    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk"))
    if args.generator == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    print(
        f"http: POST {PATH}, {args.customers:,} customers, role {ROLE}, purpose {PURPOSE}, "
        f"{args.connections} connections ({args.batch_connections} for batches), "
        f"{args.duration:g} s per run, 1 uvicorn worker"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        driver: WrkDriver | PythonDriver = (
            WrkDriver(workdir, args.duration) if use_wrk else PythonDriver(args.duration)
        )
        if not use_wrk:
            print("  NOTE: wrk not found (apt-get install -y wrk); using the Python generator,")
            print("        which saturates before the bare endpoint: the ratio is flattering.")
        key, tokens = prepare_home(workdir / "home", args.customers)
        headers = {"Authorization": f"Bearer {key}", "X-Privault-Purpose": PURPOSE}
        singles = [json.dumps({"tokens": [t]}) for t in tokens[:BODIES_IN_SCRIPT]]
        batches = [
            json.dumps({"tokens": tokens[i : i + BATCH]})
            for i in range(0, min(len(tokens), BATCH * 50), BATCH)
        ]
        env = {**os.environ, **RAISED_RATE, "PRIVAULT_HOME": str(workdir / "home")}
        env["PRIVAULT_LOG_LEVEL"] = "WARNING"

        where = breakdown(workdir / "home", key, tokens)
        results: dict[str, Load] = {}
        port = free_port()
        server = start(
            [sys.executable, "-m", "privault", "serve", "--host", HOST, "--port", str(port)],
            env,
            port,
        )
        try:
            check_answer(port, headers, singles[0], tokens=1)
            check_answer(port, headers, batches[0], tokens=BATCH)
            results["privault single"] = driver.drive(
                port, server.pid, headers, singles, args.connections
            )
            results["privault batch"] = driver.drive(
                port, server.pid, headers, batches, args.batch_connections
            )
        finally:
            stop(server)
        results["same design"] = drive_floor(
            workdir, key, env, driver=driver, headers=headers, singles=singles,
            connections=args.connections,
        )  # fmt: skip
        for label, extra in (("bare async", []), ("bare sync", ["--sync"])):
            port = free_port()
            command = [sys.executable, __file__, "--serve-bare", str(port), *extra]
            server = start(command, env, port)
            try:
                results[label] = driver.drive(port, server.pid, headers, singles, args.connections)
            finally:
                stop(server)

    report(results, driver.name)
    print("  where a single-token request's time goes (in-process, sequential):")
    print("\n".join(where))


def report(results: dict[str, Load], generator: str) -> None:
    """Print every figure beside the floor, and the ratio against the target."""
    print(f"  generator: {generator}")
    for label, load in results.items():
        flag = f", {load.non_2xx} non-2xx" if load.non_2xx else ""
        flag += f", {load.errors} socket errors" if load.errors else ""
        print(
            f"  {label:<16}: {load.requests_per_s:>9,.0f} req/s  ({load.latency}; "
            f"server CPU {load.server_cpu:.0%}, generator CPU {load.generator_cpu:.0%}{flag})"
        )
    if any(load.non_2xx or load.errors for load in results.values()):
        raise SystemExit("some requests failed (non-2xx or socket errors): figures are void")
    single = results["privault single"].requests_per_s
    floor = results["bare async"].requests_per_s
    ratio = single / floor
    same = results["same design"].requests_per_s
    print(
        f"  batch of {BATCH}     : {results['privault batch'].requests_per_s * BATCH:,.0f} tokens/s"
    )
    print(
        f"  same-design floor: privault/floor (throughput) = {single / same:.2f} "
        "(the design's own work done raw, same framework; not the issue's floor)"
    )
    print(
        f"  ratio single/bare (async): {ratio:.2f}; against bare sync: "
        f"{single / results['bare sync'].requests_per_s:.2f}"
    )
    verdict = "OK" if ratio >= TARGET else "MISSED"
    print(
        f"http detokenize: privault {single:,.0f} req/s, floor {floor:,.0f} req/s, "
        f"ratio privault/floor (throughput) = {ratio:.2f} (target >= {TARGET}) {verdict}"
    )


if __name__ == "__main__":
    main()
