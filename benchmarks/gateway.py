"""Benchmark (issue 7): authorised gateway queries over HTTP against a no-check baseline, same run.

For each database (SQLite file; PostgreSQL when ``--pg-url`` is given) it builds a bureau, a lender
client with a large balance, ``--borrowers`` borrowers with repayment history, consent in the privacy
ledger and a multi-use authorisation each; starts uvicorn (``--workers``, default 2 = one per core;
uvloop and httptools when installed) on 127.0.0.1 on a free port in a subprocess; then ``--clients``
concurrent keep-alive connections drive for ``--seconds`` each — with Debian's ``wrk`` (C, 2 threads,
a Lua script cycling through prepared requests) when it is installed, else one asyncio process
(``--generator python``), so the generator costs little of the 2 cores:

- **checked**: ``POST /v1/gateway/queries`` — API key, token signature, authorisation, consent ledger,
  rate limit, conditional debit, query log, ledger and audit entry;
- **baseline**: ``GET /v1/gateway-baseline/score/...`` — the same score from the same provider with no
  check, no billing, no audit (mounted only on this benchmark's app), read as the checked path's
  fast path reads (``FastPath.lock_free_reads``), sent with the same ``Authorization`` header
  (unchecked), so the app's middleware treats both phases alike.

Each phase also reports the CPU per request of the server processes, of a PostgreSQL server on this
machine (``database_cpu_probe``) and of the generator (/proc and getrusage), the share of the cores
those three kept busy, and the 1-minute load average.

- **at_rate** (``--rate``, default 500 q/s, the target; 0 for none): the checked requests again, but
  open loop — sent at that fixed rate whatever the answers' pace, by one asyncio process on up to 64
  connections, each latency from the request's scheduled time. The closed loop above measures how
  fast the server goes when 16 clients wait on it (its latency is mostly their queue); this measures
  the target as stated, "500 q/s with p99 ≤ 50 ms".

Phases alternate (baseline, checked, at_rate) ``--repeats`` times; the figures are medians over repeats.
Targets: ≥ 500 checked q/s, p99 ≤ 50 ms, checked cost ≤ 3× baseline (baseline q/s / checked q/s).

    .venv/bin/python benchmarks/gateway.py [--pg-url postgresql://postgres@127.0.0.1:5432/test]
        [--clients 16] [--seconds 5] [--repeats 3] [--borrowers 200] [--workers 2] [--generator wrk|python]
        [--clients-sweep 4,8,16,32] [--lenders 1] [--rate 500]

``--lenders N`` (default 1, the single hot client) spreads the checked requests over N lender clients,
each with its own API key, balance and tokens (request i goes to lender i mod N).

``--clients-sweep`` adds, after the main run, one baseline and one checked phase at each listed
concurrency and prints all of them (the throughput/latency curve), not only the best.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from lendguard.platform.db import make_engine, normalise_url


def app_factory() -> Any:
    """uvicorn factory (one per worker process): the lendguard app plus the baseline route."""
    from lendguard.gateway.api import baseline_router
    from lendguard.platform.app import create_app
    from lendguard.platform.bootstrap import bootstrap
    from lendguard.platform.settings import Settings

    container = bootstrap(Settings(database_url=os.environ["LENDGUARD_BENCH_URL"], environment="development"))
    app = create_app(container)
    app.include_router(baseline_router)
    return app


def serve(url: str, port: int, workers: int) -> None:
    """Subprocess entry: uvicorn with ``workers`` processes on 127.0.0.1:port (uvloop/httptools if installed)."""
    import importlib.util

    import uvicorn

    os.environ["LENDGUARD_BENCH_URL"] = url
    fast = {"loop": "uvloop"} if importlib.util.find_spec("uvloop") else {}
    if importlib.util.find_spec("httptools"):
        fast["http"] = "httptools"
    uvicorn.run(
        "benchmarks.gateway:app_factory",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        **fast,  # type: ignore[arg-type]
    )


def prepare(url: str, borrowers: int, lenders: int = 1) -> dict[str, Any]:
    """Migrate, then create the bureau, ``lenders`` lenders each with its client (own API key, balance
    and tokens), history, consents and a token per (lender, borrower)."""
    from lendguard.gateway.model import Channel, Product, Purpose
    from lendguard.gateway.store import GatewayRepository
    from lendguard.gateway.wiring import service
    from lendguard.platform.bootstrap import bootstrap
    from lendguard.platform.migrate import upgrade
    from lendguard.platform.model import InstitutionKind, Role
    from lendguard.platform.settings import Settings
    from lendguard.privacy.wiring import service as privacy_service

    container = bootstrap(Settings(database_url=url, environment="development", security={"password_cost": 10}))
    upgrade(container.engine)
    tenancy = container.tenancy
    bureau = tenancy.create_institution("CB-bench", "Bench bureau", InstitutionKind.CREDIT_BUREAU)
    tenancy.create_user(bureau, "bench-admin", "bench-password", {Role.ADMIN})
    admin = tenancy.login("bench-admin", "bench-password")
    assert admin is not None
    gateway = service(container)
    codes, keys = [f"L-bench-{k}" for k in range(lenders)], []
    for k, code in enumerate(codes):
        lender = tenancy.create_institution(code, f"Bench lender {k}", InstitutionKind.LENDER)
        tenancy.create_user(lender, f"bench-client-{k}", "bench-password", {Role.GATEWAY_CLIENT})
        caller = tenancy.login(f"bench-client-{k}", "bench-password")
        assert caller is not None
        keys.append(tenancy.issue_api_key(caller, "bench").key)
        gateway.create_client(
            admin,
            ref=f"C-bench-{k}",
            name="bench",
            lender_code=code,
            purposes=[Purpose.CREDIT_ASSESSMENT],
            channels=[Channel.APP],
            prepaid=Decimal(10_000_000),
            rate_per_second=1_000_000,
            rate_per_day=100_000_000,
        )
    refs = [f"BB{i:06d}" for i in range(borrowers)]
    privacy = privacy_service(container)
    tokens: list[list[str]] = [[] for _ in codes]  # per lender, per borrower
    expires = datetime.now(UTC) + timedelta(days=1)
    with container.engine.begin() as conn:
        GatewayRepository(conn).add_credit_records(
            bureau,
            [
                {
                    "borrower_ref": r,
                    "loan_ref": f"{r}-L",
                    "reported_by": "L-bench",
                    "principal_fen": 1_000_000,
                    "instalments_due": 12,
                    "paid_on_time": 11,
                    "paid_late": 1,
                    "unpaid": 0,
                    "days_past_due": 0,
                    "outstanding_fen": 0,
                    "status": "closed",
                }
                for r in refs
            ],
        )
    for r in refs:
        privacy.register_subject(admin, r, {})
        privacy.give_consent(
            admin,
            r,
            purposes=["credit_assessment"],
            categories=["credit_report"],
            recipients=codes,
            method="app",
            notice_version="v1",
            separate=True,
        )
        for k in range(lenders):
            issued = gateway.issue_authorisation(
                admin,
                client_ref=f"C-bench-{k}",
                borrower_ref=r,
                max_uses=10_000_000,
                purpose=Purpose.CREDIT_ASSESSMENT,
                product=Product.SCORE,
                expires_at=expires,
            )
            tokens[k].append(issued["token"])
    container.engine.dispose()
    return {"bureau": bureau, "keys": keys, "refs": refs, "tokens": tokens}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, __file__, "serve", "--url", url, "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                time.sleep(1.0 if workers > 1 else 0)  # let every worker finish starting
                return proc, port
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("server did not start within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def database_cpu_probe(url: str) -> Callable[[], float] | None:
    """For a PostgreSQL server on this machine, a function giving the CPU seconds its processes
    (postmaster, backends, background workers: every process named ``postgres``) have used so far,
    ended backends included (the postmaster's children's time: the pool closes connections beyond
    its size, and their backends' CPU would otherwise vanish from the sum); None for SQLite (its
    work is inside the server processes) or a server elsewhere."""
    if not url.startswith("postgresql") or make_url(url).host not in ("127.0.0.1", "localhost", "::1", None):
        return None

    def used() -> float:
        total = 0.0
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                    total += _stat_cpu(proc, reaped_children=True)
            except (OSError, IndexError, ValueError):
                continue  # it ended meanwhile
        return total

    return used


def _stat_cpu(proc: Path, reaped_children: bool = False) -> float:
    """CPU seconds (user + system) of the process at ``proc`` (``/proc/<pid>``), with its ended and
    waited-for children's when ``reaped_children``. Raises OSError when the process has gone."""
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, then cutime, cstime (fields 14-17 of proc(5), counted after the command name)
    return sum(int(f) for f in fields[11 : 15 if reaped_children else 13]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants (Linux /proc)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _stat_cpu(Path(f"/proc/{p}"))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


Request = tuple[str, str, bytes, dict[str, str]]

# Most connections the open-loop generator (``--rate``) opens: enough that a healthy server never
# makes a request wait for one; a lagging server's queue shows up in the latencies instead.
RATE_CONNECTIONS = 64


def _summary(latencies: list[float], elapsed: float, errors: int) -> dict[str, float]:
    flat = sorted(latencies)
    return {
        "qps": len(flat) / elapsed,
        "p50_ms": 1000 * flat[len(flat) // 2],
        "p99_ms": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))],
        "errors": float(errors),
        "requests": float(len(flat)),
    }


def _raw_requests(requests: list[Request]) -> list[bytes]:
    """Each request as the raw HTTP/1.1 bytes the Python generators send."""
    return [
        (
            f"{m} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n"
        ).encode()
        + body
        for m, path, body, headers in requests
    ]


async def _read_answer(reader: Any) -> bool:
    """Read one HTTP/1.1 response (its Content-Length body included); True when it is a 200."""
    head: bytes = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return head[9:12] == b"200"


def _run_generator(main: Coroutine[Any, Any, float]) -> float:
    """Run a Python generator's coroutine on uvloop when installed (as the server does; about a fifth
    less of the generator's CPU per request, which on 2 cores it takes from the server), else asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


def drive_python(port: int, clients: int, seconds: float, requests: list[Request]) -> dict[str, float]:
    """Fallback generator: one asyncio loop with ``clients`` keep-alive connections (raw HTTP/1.1)."""
    import asyncio

    raw = _raw_requests(requests)
    latencies: list[float] = []
    errors = 0

    async def client(n: int, stop: float) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = n
        while time.perf_counter() < stop:
            began = time.perf_counter()
            writer.write(raw[i % len(raw)])
            answered = await _read_answer(reader)
            latencies.append(time.perf_counter() - began)
            errors += not answered
            i += clients
        writer.close()

    async def run() -> float:
        began = time.perf_counter()
        await asyncio.gather(*(client(n, began + seconds) for n in range(clients)))
        return time.perf_counter() - began

    elapsed = _run_generator(run())
    return _summary(latencies, elapsed, errors)


def drive_rate(port: int, rate: float, seconds: float, requests: list[Request]) -> dict[str, float]:
    """Open loop: send requests at a fixed ``rate`` per second for ``seconds`` whatever the answers' pace
    (one asyncio process, up to ``RATE_CONNECTIONS`` keep-alive connections, opened as needed). Each
    latency runs from the request's *scheduled* time, so time spent waiting for a free connection while
    the server lags counts (no coordinated omission); a server that cannot keep up shows as achieved
    q/s below ``rate`` and a growing p99."""
    import asyncio

    raw = _raw_requests(requests)
    latencies: list[float] = []
    errors = 0

    async def run() -> float:
        idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        opened: list[asyncio.StreamWriter] = []

        async def one(k: int, due: float) -> None:
            nonlocal errors
            if idle.empty() and len(opened) < RATE_CONNECTIONS:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                opened.append(writer)
            else:
                reader, writer = await idle.get()
            writer.write(raw[k % len(raw)])
            answered = await _read_answer(reader)
            latencies.append(time.perf_counter() - due)
            errors += not answered
            idle.put_nowait((reader, writer))

        began = time.perf_counter()
        tasks = []
        for k in range(int(rate * seconds)):
            due = began + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        for writer in opened:
            writer.close()
        return elapsed

    elapsed = _run_generator(run())
    return _summary(latencies, elapsed, errors)


WRK_SCRIPT = """
local reqs, i, counter = {}, 0, 0
local paths = {%(paths)s}
local bodies = {%(bodies)s}
local headers = {%(headers)s}
function setup(thread) thread:set("offset", counter); counter = counter + 1 end
function init(args)
  for k = 1, #paths do reqs[k] = wrk.format("%(method)s", paths[k], headers[k], bodies[k]) end
  i = (tonumber(offset) or 0) * 7919
end
function request() i = i %% #reqs + 1; return reqs[i] end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _lua(text: str) -> str:
    assert "]==]" not in text
    return f"[==[{text}]==]"


def drive_wrk(port: int, clients: int, seconds: float, requests: list[Request]) -> dict[str, float]:
    """Drive with Debian's ``wrk`` (C, epoll; 2 threads), a Lua script cycling through ``requests``."""
    method = requests[0][0]
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua(r[1]) for r in requests),
        "bodies": ", ".join(_lua(r[2].decode()) for r in requests),
        "headers": ", ".join(
            "{" + ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in r[3].items()) + "}" for r in requests
        ),
        "method": method,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as f:
        f.write(script)
        f.flush()
        duration = f"{max(1, round(seconds))}s"
        cmd = ["wrk", "-t", "2", "-c", str(clients), "-d", duration, "--timeout", "30s", "-s", f.name]
        done = subprocess.run([*cmd, f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    if done.returncode != 0 or "WRKJSON" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    found = json.loads(done.stdout.split("WRKJSON", 1)[1].strip().splitlines()[0])
    elapsed = found["duration_us"] / 1e6
    return {
        "qps": found["requests"] / elapsed,
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "errors": float(found["errors"]),
        "requests": float(found["requests"]),
    }


def drive(
    server: int,
    port: int,
    args: argparse.Namespace,
    seconds: float,
    requests: list[Request],
    clients: int | None = None,
    rate: float | None = None,
    database: Callable[[], float] | None = None,
) -> dict[str, float]:
    """One phase with ``clients`` connections (default ``--clients``), or open loop at ``rate`` requests
    a second; adds the generator's, the server's and (``database``, see :func:`database_cpu_probe`)
    the database server's CPU milliseconds per request (``*_cpu_ms``), and ``busy``: the share of
    the machine's cores all three used during the phase."""
    clients = clients or args.clients
    gen0, srv0, db0 = _generator_cpu(), tree_cpu(server), database() if database else 0.0
    began = time.perf_counter()
    if rate:
        result = drive_rate(port, rate, seconds, requests)
    elif args.generator == "wrk":
        result = drive_wrk(port, clients, seconds, requests)
    else:
        result = drive_python(port, clients, seconds, requests)
    elapsed = time.perf_counter() - began
    gen, srv, db = _generator_cpu() - gen0, tree_cpu(server) - srv0, (database() - db0) if database else 0.0
    n = max(result["requests"], 1.0)
    return {
        **result,
        "server_cpu_ms": 1000 * srv / n,
        "database_cpu_ms": 1000 * db / n,
        "generator_cpu_ms": 1000 * gen / n,
        "busy": (srv + db + gen) / (elapsed * (os.cpu_count() or 1)),
        "load1": os.getloadavg()[0],
    }


def _cpu_text(m: dict[str, float], with_database: bool) -> str:
    """A phase's CPU per request, and how busy the machine's cores were (server, database, generator)."""
    database = f"database {m['database_cpu_ms']:.2f} ms, " if with_database else ""
    return (
        f"CPU/request: server {m['server_cpu_ms']:.2f} ms, {database}generator {m['generator_cpu_ms']:.2f} ms   "
        f"cores busy {100 * m['busy']:.0f}%   load1 {m['load1']:.2f}"
    )


def _generator_cpu() -> float:
    """CPU seconds of this process plus its waited-for children (wrk), user + system."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bench_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    setup = prepare(url, args.borrowers, args.lenders)
    proc, port = start_server(url, args.workers)
    database = database_cpu_probe(url)
    n = len(setup["refs"])
    # Request i goes to lender i mod N: every connection cycles through all lenders' requests.
    auths = [{"Authorization": f"Bearer {key}", "Content-Type": "application/json"} for key in setup["keys"]]
    checked: list[Request] = [
        (
            "POST",
            "/v1/gateway/queries",
            json.dumps(
                {
                    "token": setup["tokens"][i % args.lenders][i],
                    "borrower_ref": setup["refs"][i],
                    "purpose": "credit_assessment",
                    "product": "score",
                    "channel": "app",
                }
            ).encode(),
            auths[i % args.lenders],
        )
        for i in range(n)
    ]
    # The baseline carries the same API key (which it does not check): the app then treats both alike
    # up to the route (without one, a request also went through the page-session middleware, which
    # API-key calls skip — ~4% of the baseline's time in-process, a handicap the checked requests did not carry).
    baseline: list[Request] = [
        ("GET", f"/v1/gateway-baseline/score/{setup['bureau']}/{setup['refs'][i]}", b"", auths[i % args.lenders])
        for i in range(n)
    ]
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "checked": []}
    if args.rate:
        runs["at_rate"] = []
    sweep: list[dict[str, float]] = []
    try:
        drive(proc.pid, port, args, 1.0, baseline)  # warm-up
        drive(proc.pid, port, args, 1.0, checked)
        for _ in range(args.repeats):
            runs["baseline"].append(drive(proc.pid, port, args, args.seconds, baseline, database=database))
            runs["checked"].append(drive(proc.pid, port, args, args.seconds, checked, database=database))
            if args.rate:
                at_rate = drive(proc.pid, port, args, args.seconds, checked, rate=args.rate, database=database)
                runs["at_rate"].append(at_rate)
        for clients in args.clients_sweep:  # one alternating pair per concurrency, every one reported
            for phase, reqs in (("baseline", baseline), ("checked", checked)):
                sweep.append({"clients": clients, "checked": float(phase == "checked")})
                sweep[-1].update(drive(proc.pid, port, args, args.seconds, reqs, clients, database=database))
    finally:
        stop_server(proc)
    med = {phase: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for phase, rs in runs.items()}
    ratio = med["baseline"]["qps"] / med["checked"]["qps"]
    print(
        f"\n[{name}] {args.clients} connections ({args.generator}) over {args.lenders} lender client(s), "
        f"{args.workers} server worker(s), "
        f"{args.seconds:.0f} s x {args.repeats} repeats (medians)"
    )
    for phase in runs:
        m = med[phase]
        print(
            f"  {phase:9s} {m['qps']:8.1f} q/s   p50 {m['p50_ms']:6.1f} ms   p99 {m['p99_ms']:6.1f} ms   "
            f"non-200: {m['errors']:.0f} of {m['requests']:.0f}   {_cpu_text(m, database is not None)}"
        )
    print(f"  checks cost {ratio:.2f}x the baseline (baseline q/s / checked q/s; target <= 3)")
    c = med["checked"]
    print(
        f"  targets: >= 500 q/s {'met' if c['qps'] >= 500 else 'NOT met'}, "
        f"p99 <= 50 ms {'met' if c['p99_ms'] <= 50 else 'NOT met'}, <= 3x {'met' if ratio <= 3 else 'NOT met'}"
        f" ({args.clients} connections, closed loop)"
    )
    if args.rate:
        r = med["at_rate"]
        print(
            f"  at a fixed {args.rate:.0f} q/s offered (open loop, latency from each request's scheduled time): "
            f"{r['qps']:.1f} q/s answered, p99 {r['p99_ms']:.1f} ms — p99 <= 50 ms "
            f"{'met' if r['p99_ms'] <= 50 and r['qps'] >= 0.98 * args.rate else 'NOT met'}"
        )
    if sweep:
        print(f"  clients sweep ({args.seconds:.0f} s per phase, one run each; every concurrency listed):")
        for row in sweep:
            print(
                f"    {row['clients']:4.0f} connections  {'checked' if row['checked'] else 'baseline':9s}"
                f"{row['qps']:8.1f} q/s   p50 {row['p50_ms']:6.1f} ms   p99 {row['p99_ms']:6.1f} ms   "
                f"{_cpu_text(row, database is not None)}"
            )
    summary = {f"{p}_{k}": v for p, m in med.items() for k, v in m.items()}
    return {"database": name, "lenders": args.lenders, **summary, "ratio": ratio, "sweep": sweep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "serve"))
    parser.add_argument("--url", help="(serve mode) database URL")
    parser.add_argument("--port", type=int, help="(serve mode) port")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2: one per core)")
    parser.add_argument(
        "--generator",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: Debian's wrk when installed, else one asyncio process",
    )
    parser.add_argument("--pg-url", default=os.environ.get("LENDGUARD_TEST_DATABASE_URL"))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--borrowers", type=int, default=200)
    parser.add_argument(
        "--lenders",
        type=int,
        default=1,
        help="lender clients (own API key, balance and tokens) the checked requests are spread over",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="per repeat, also a checked phase offered this many q/s open loop (0: none; default 500, the target)",
    )
    parser.add_argument(
        "--clients-sweep",
        type=lambda v: [int(c) for c in v.split(",") if c],
        default=[],
        metavar="4,8,16,32",
        help="after the main run, one baseline and one checked phase per concurrency (q/s, p50, p99)",
    )
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.url, args.port, args.workers)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(bench_database("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args))
    if args.pg_url:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{normalise_url(args.pg_url)}{'&' if '?' in args.pg_url else '?'}options=-csearch_path%3D{schema}"
            results.append(bench_database("postgresql", url, args))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    print("\n" + json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
