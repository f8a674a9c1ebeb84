"""Benchmark (issue 8): 1,000,000 regular schedules solved in batch vs ``numpy_financial.irr`` per schedule.

Both are measured in the same run on the same schedules. The baseline is timed on a subsample and
scaled to the full count (calling it a million times would take minutes). Each figure is the median of
``--repeats`` runs. The rates of the subsample must agree to 1e-9.

    .venv/bin/python benchmarks/apr.py [--schedules 1000000] [--sample 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import numpy.typing as npt
import numpy_financial as npf

from lendguard.disclosure.batch import solve_regular_batch

COUNTS = np.array([3, 6, 9, 12, 18, 24, 36])
CHUNK = 200_000


def make_schedules(n: int, seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``n`` level-payment loans (cents-rounded payments plus a per-period fee), zero-padded to 36 periods."""
    rng = np.random.default_rng(seed)
    advance = np.round(rng.uniform(1_000, 50_000, n), 2)
    count = rng.choice(COUNTS, n)
    monthly = rng.uniform(0.0, 0.04, n)
    level = np.where(monthly > 0, advance * monthly / (1 - (1 + monthly) ** -count), advance / count)
    fee = np.where(rng.random(n) < 0.3, np.round(rng.uniform(0, 30, n), 2), 0.0)
    payment = np.round(level, 2) + fee
    payments = np.where(np.arange(COUNTS.max())[None, :] < count[:, None], payment[:, None], 0.0)
    return advance, payments


def flows_of(advance: npt.NDArray[np.float64], payments: npt.NDArray[np.float64]) -> list[npt.NDArray[np.float64]]:
    """The per-schedule cash-flow arrays ``numpy_financial.irr`` expects (no padding)."""
    return [np.concatenate(([-a], row[row != 0])) for a, row in zip(advance, payments, strict=True)]


def time_batch(n: int) -> float:
    """Seconds to solve ``n`` schedules in chunks (generation excluded)."""
    total = 0.0
    for start in range(0, n, CHUNK):
        advance, payments = make_schedules(min(CHUNK, n - start), seed=start)
        began = time.perf_counter()
        solve_regular_batch(advance, payments)
        total += time.perf_counter() - began
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schedules", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    advance, payments = make_schedules(args.sample, seed=10**9)
    flows = flows_of(advance, payments)
    batch_rates = solve_regular_batch(advance, payments)
    baseline_rates = np.array([npf.irr(f) for f in flows])
    worst = float(np.max(np.abs(batch_rates - baseline_rates)))

    batch_times, baseline_times = [], []
    for _ in range(args.repeats):
        batch_times.append(time_batch(args.schedules))
        began = time.perf_counter()
        for f in flows:
            npf.irr(f)
        baseline_times.append((time.perf_counter() - began) * args.schedules / args.sample)
    batch = statistics.median(batch_times)
    baseline = statistics.median(baseline_times)

    print(f"schedules: {args.schedules:,} (baseline subsample {args.sample:,}, scaled), repeats: {args.repeats}")
    print(f"batch solver (median):            {batch:10.3f} s  ({args.schedules / batch:,.0f} schedules/s)")
    print(f"numpy_financial.irr (median, est): {baseline:10.3f} s  ({args.schedules / baseline:,.0f} schedules/s)")
    print(f"speed-up: {baseline / batch:.1f}x  (target >= 50x)")
    print(f"largest rate difference on the subsample: {worst:.2e}  (target <= 1e-9)")
    if worst > 1e-9:
        raise SystemExit("rates differ by more than 1e-9")


if __name__ == "__main__":
    main()
