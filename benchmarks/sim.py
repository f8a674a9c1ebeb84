"""Benchmark: time to generate a synthetic world (target: 1,000,000 borrowers in under 60 s).

Runs ``generate_world`` ``--repeats`` times into a temporary directory and prints every run, the
median, and the ratio of the median to the 60-second target of issue 2 (below 1.0 meets it). The
machine is shared, so it also prints each run's CPU time and the load average before it, and the row
counts that issue 6's benchmark relies on (>= 150,000 complaints and >= 500,000 call outcomes at
1,000,000 borrowers).

    .venv/bin/python -m benchmarks.sim [--borrowers 1000000] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from lendguard.sim.world import generate_world

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    timings: list[float] = []
    cpus: list[float] = []
    rows: dict[str, int] = {}
    for run in range(args.repeats):
        out = Path(tempfile.mkdtemp(prefix="lg-sim-bench-"))
        try:
            load = os.getloadavg()[0]
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            summary = generate_world(args.borrowers, args.seed, out / "world")
            elapsed = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
            size = sum(p.stat().st_size for p in (out / "world").rglob("*.csv"))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        rows = summary.rows
        timings.append(elapsed)
        cpus.append(cpu)
        print(
            f"run {run + 1}: {elapsed:6.1f} s wall, {cpu:6.1f} s CPU "
            f"({size / 2**20:,.0f} MiB written, load average before {load:.1f})"
        )
    median = statistics.median(timings)
    scaled_target = TARGET_S * args.borrowers / 1_000_000
    print(f"borrowers: {args.borrowers:,}; rows written: {sum(rows.values()):,}")
    print(
        f"complaints: {rows['complaints']:,}; call outcomes: {rows['call_outcomes']:,}; "
        f"collection attempts: {rows['collection_attempts']:,}; instalments: {rows['instalments']:,}"
    )
    print(f"median: {median:.1f} s wall ({statistics.median(cpus):.1f} s CPU) over {len(timings)} runs")
    print(f"ratio to the target ({scaled_target:.0f} s for this size, 60 s per million): {median / scaled_target:.2f}")


if __name__ == "__main__":
    main()
