"""Benchmark (issue 7): authorised gateway queries over HTTP against a no-check baseline, same run.

For each database (SQLite file; PostgreSQL when ``--pg-url`` is given) it builds a bureau, a lender
client with a large balance, ``--borrowers`` borrowers with repayment history, consent in the privacy
ledger and a multi-use authorisation each; starts uvicorn on 127.0.0.1 on a free port in a subprocess;
then ``--clients`` concurrent keep-alive clients drive for ``--seconds`` each:

- **checked**: ``POST /v1/gateway/queries`` — API key, token signature, authorisation, consent ledger,
  rate limit, conditional debit, query log, ledger and audit entry in one transaction;
- **baseline**: ``GET /v1/gateway-baseline/score/...`` — the same score from the same provider with no
  check, no billing, no audit (mounted only on this benchmark's app).

Phases alternate (baseline, checked) ``--repeats`` times; the figures are medians over repeats.
Targets: ≥ 500 checked q/s, p99 ≤ 50 ms, checked cost ≤ 3× baseline (ratio of mean service time).

    .venv/bin/python benchmarks/gateway.py [--pg-url postgresql://postgres@127.0.0.1:5432/test]
        [--clients 16] [--seconds 5] [--repeats 3] [--borrowers 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

from lendguard.platform.db import make_engine, normalise_url


def serve(url: str, port: int) -> None:
    """Subprocess entry: the lendguard app plus the baseline route, on 127.0.0.1:port."""
    import uvicorn

    from lendguard.gateway.api import baseline_router
    from lendguard.platform.app import create_app
    from lendguard.platform.bootstrap import bootstrap
    from lendguard.platform.settings import Settings

    container = bootstrap(Settings(database_url=url, environment="development"))
    app = create_app(container)
    app.include_router(baseline_router)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def prepare(url: str, borrowers: int) -> dict[str, Any]:
    """Migrate, then create the bureau, the lender, the client, history, consents and tokens."""
    from lendguard.gateway.model import Channel, Product, Purpose
    from lendguard.gateway.store import GatewayRepository
    from lendguard.gateway.wiring import service
    from lendguard.platform.bootstrap import bootstrap
    from lendguard.platform.migrate import upgrade
    from lendguard.platform.model import InstitutionKind, Role
    from lendguard.platform.settings import Settings
    from lendguard.privacy.wiring import service as privacy_service

    container = bootstrap(Settings(database_url=url, environment="development", security={"password_cost": 10}))  # type: ignore[arg-type]
    upgrade(container.engine)
    tenancy = container.tenancy
    bureau = tenancy.create_institution("CB-bench", "Bench bureau", InstitutionKind.CREDIT_BUREAU)
    lender = tenancy.create_institution("L-bench", "Bench lender", InstitutionKind.LENDER)
    tenancy.create_user(bureau, "bench-admin", "bench-password", {Role.ADMIN})
    tenancy.create_user(lender, "bench-client", "bench-password", {Role.GATEWAY_CLIENT})
    admin = tenancy.login("bench-admin", "bench-password")
    caller = tenancy.login("bench-client", "bench-password")
    assert admin is not None and caller is not None
    key = tenancy.issue_api_key(caller, "bench").key
    gateway = service(container)
    gateway.create_client(
        admin,
        ref="C-bench",
        name="bench",
        lender_code="L-bench",
        purposes=[Purpose.CREDIT_ASSESSMENT],
        channels=[Channel.APP],
        prepaid=Decimal(10_000_000),
        rate_per_second=1_000_000,
        rate_per_day=100_000_000,
    )
    refs = [f"BB{i:06d}" for i in range(borrowers)]
    privacy = privacy_service(container)
    tokens = []
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
            recipients=["L-bench"],
            method="app",
            notice_version="v1",
            separate=True,
        )
        issued = gateway.issue_authorisation(
            admin,
            client_ref="C-bench",
            borrower_ref=r,
            max_uses=10_000_000,
            purpose=Purpose.CREDIT_ASSESSMENT,
            product=Product.SCORE,
            expires_at=expires,
        )
        tokens.append(issued["token"])
    container.engine.dispose()
    return {"bureau": bureau, "key": key, "refs": refs, "tokens": tokens}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "serve", "--url", url, "--port", str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def drive(port: int, clients: int, seconds: float, make: Any) -> dict[str, float]:
    """``clients`` keep-alive threads send requests built by ``make(i)`` until ``seconds`` pass."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = n
        while time.perf_counter() < stop:
            method, path, body, headers = make(i)
            began = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[n].append(time.perf_counter() - began)
            if response.status != 200:
                errors[n] += 1
            i += clients
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for per in latencies for x in per)
    return {
        "qps": len(flat) / elapsed,
        "p50_ms": 1000 * flat[len(flat) // 2],
        "p99_ms": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))],
        "errors": float(sum(errors)),
        "requests": float(len(flat)),
    }


def bench_database(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    setup = prepare(url, args.borrowers)
    proc, port = start_server(url)
    n = len(setup["refs"])
    auth = {"Authorization": f"Bearer {setup['key']}", "Content-Type": "application/json"}

    def checked(i: int) -> tuple[str, str, bytes, dict[str, str]]:
        body = {
            "token": setup["tokens"][i % n],
            "borrower_ref": setup["refs"][i % n],
            "purpose": "credit_assessment",
            "product": "score",
            "channel": "app",
        }
        return "POST", "/v1/gateway/queries", json.dumps(body).encode(), auth

    def baseline(i: int) -> tuple[str, str, bytes, dict[str, str]]:
        return "GET", f"/v1/gateway-baseline/score/{setup['bureau']}/{setup['refs'][i % n]}", b"", {}

    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "checked": []}
    try:
        drive(port, args.clients, 1.0, baseline)  # warm-up
        drive(port, args.clients, 1.0, checked)
        for _ in range(args.repeats):
            runs["baseline"].append(drive(port, args.clients, args.seconds, baseline))
            runs["checked"].append(drive(port, args.clients, args.seconds, checked))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    med = {phase: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for phase, rs in runs.items()}
    ratio = med["baseline"]["qps"] / med["checked"]["qps"]
    print(f"\n[{name}] {args.clients} clients, {args.seconds:.0f} s x {args.repeats} repeats (medians)")
    for phase in ("baseline", "checked"):
        m = med[phase]
        print(
            f"  {phase:9s} {m['qps']:8.1f} q/s   p50 {m['p50_ms']:6.1f} ms   p99 {m['p99_ms']:6.1f} ms   "
            f"non-200: {m['errors']:.0f} of {m['requests']:.0f}"
        )
    print(f"  checks cost {ratio:.2f}x the baseline (baseline q/s / checked q/s; target <= 3)")
    c = med["checked"]
    print(
        f"  targets: >= 500 q/s {'met' if c['qps'] >= 500 else 'NOT met'}, "
        f"p99 <= 50 ms {'met' if c['p99_ms'] <= 50 else 'NOT met'}, <= 3x {'met' if ratio <= 3 else 'NOT met'}"
    )
    return {"database": name, **{f"{p}_{k}": v for p, m in med.items() for k, v in m.items()}, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "serve"))
    parser.add_argument("--url", help="(serve mode) database URL")
    parser.add_argument("--port", type=int, help="(serve mode) port")
    parser.add_argument("--pg-url", default=os.environ.get("LENDGUARD_TEST_DATABASE_URL"))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--borrowers", type=int, default=200)
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.url, args.port)
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
