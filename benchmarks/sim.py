"""Benchmark: time to generate a synthetic world (target: 1,000,000 borrowers in under 60 s).

Runs ``generate_world`` ``--repeats`` times into a temporary directory and prints every run, the
median, and the ratio of the median to the 60-second target of issue 2 (below 1.0 meets it). It also
prints the row counts that issue 6's benchmark relies on (>= 150,000 complaints and >= 500,000 call
outcomes at 1,000,000 borrowers) and the machine's load average, since the machine is shared.

    .venv/bin/python -m benchmarks.sim [--borrowers 1000000] [--repeats 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
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
    timings = []
    rows: dict[str, int] = {}
    for run in range(args.repeats):
        out = Path(tempfile.mkdtemp(prefix="lg-sim-bench-"))
        try:
            load = os.getloadavg()[0]
            started = time.perf_counter()
            summary = generate_world(args.borrowers, args.seed, out / "world")
            elapsed = time.perf_counter() - started
            size = sum(p.stat().st_size for p in (out / "world").rglob("*.csv"))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        rows = summary.rows
        timings.append(elapsed)
        print(f"run {run + 1}: {elapsed:6.1f} s  ({size / 2**20:,.0f} MiB written, load average before {load:.1f})")
    median = statistics.median(timings)
    scaled_target = TARGET_S * args.borrowers / 1_000_000
    print(f"borrowers: {args.borrowers:,}; rows written: {sum(rows.values()):,}")
    print(
        f"complaints: {rows['complaints']:,}; call outcomes: {rows['call_outcomes']:,}; "
        f"collection attempts: {rows['collection_attempts']:,}; instalments: {rows['instalments']:,}"
    )
    print(f"median: {median:.1f} s over {len(timings)} runs")
    print(f"ratio to the target ({scaled_target:.0f} s for this size, 60 s per million): {median / scaled_target:.2f}")


if __name__ == "__main__":
    main()
