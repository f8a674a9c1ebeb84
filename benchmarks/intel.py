"""Benchmark (issue 6): ring detection on DuckDB.

1. A 1,000,000-borrower synthetic world (>= 150,000 complaints, >= 500,000 call outcomes): wall time
   of ``lendguard intel detect`` on DuckDB (reading and validating the CSVs included) and peak memory,
   each run in a fresh process; targets <= 120 s and <= 8 GiB.
2. A 50,000-borrower world: the same detection against the straightforward pandas + networkx
   implementation in ``benchmarks/intel_baseline.py``, both in this run; target >= 10x, identical rings.

Figures are medians of ``--repeats`` runs (the two implementations alternate); the comparison also
reports process CPU time, steadier than wall time on a shared machine. Worlds are generated once into
``--worlds`` and reused. ``--borrowers 0`` or ``--compare-borrowers 0`` skips that part.

    .venv/bin/python -m benchmarks.intel [--borrowers 1000000] [--compare-borrowers 50000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.intel_baseline import detect as baseline_detect
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.runner import detect_directory
from lendguard.sim.world import generate_world

CHILD = """
import json, sys, time
from pathlib import Path
from lendguard.intel.runner import detect_directory, to_json, write_atomic
start = time.perf_counter()
doc, _ = detect_directory(Path(sys.argv[1]))
write_atomic(Path(sys.argv[2]), to_json(doc))
# peak RSS of this process's own address space (VmHWM, in kB): getrusage's maxrss would also count
# the parent's memory at the fork (Linux keeps the high-water mark across exec)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": time.perf_counter() - start, "rings": len(doc["rings"]), "peak_kib": peak}))
"""


def world(root: Path, borrowers: int, seed: int) -> Path:
    """The world of that size and seed, generated on first use."""
    path = root / f"world-{borrowers}-{seed}"
    if not (path / "complaints.csv").exists():
        print(f"generating a {borrowers:,}-borrower world into {path} ...", flush=True)
        generate_world(borrowers=borrowers, seed=seed, out=path, progress=False)
    return path


def rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle) - 1


def large(root: Path, borrowers: int, seed: int, repeats: int) -> None:
    path = world(root, borrowers, seed)
    sizes = {name: rows(path / f"{name}.csv") for name in ("borrowers", "complaints", "call_outcomes")}
    print(f"world: {sizes}")
    times, peaks = [], []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(root / "rings-large.json")],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(result["seconds"])
        peaks.append(result["peak_kib"])
        print(f"  run: {result['seconds']:.1f} s, {result['rings']} rings", flush=True)
    peak_gib = max(peaks) / 1024**2
    median = statistics.median(times)
    print(f"DuckDB, {borrowers:,} borrowers: median {median:.1f} s (target <= 120 s), peak memory {peak_gib:.2f} GiB")


def compare(root: Path, borrowers: int, seed: int, repeats: int) -> None:
    path = world(root, borrowers, seed)
    config = DetectionConfig()
    ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
    doc_ours = doc_theirs = None
    for _ in range(repeats):
        # each side starts on a collected heap: the other's garbage (the baseline leaves cyclic pandas and
        # networkx objects) is not collected on its clock
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        doc_ours, _ = detect_directory(path, config=config)
        ours.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() - cpu)
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        doc_theirs = baseline_detect(path, config)
        theirs.append(time.perf_counter() - start)
        theirs_cpu.append(time.process_time() - cpu)
        print(
            f"  run: duckdb {ours[-1]:.2f} s (cpu {ours_cpu[-1]:.2f} s), "
            f"pandas+datasketch+networkx {theirs[-1]:.2f} s (cpu {theirs_cpu[-1]:.2f} s)",
            flush=True,
        )
    assert doc_ours is not None and doc_theirs is not None
    identical = doc_ours["rings"] == doc_theirs["rings"] and doc_ours["borrowers"] == doc_theirs["borrowers"]
    a, b = statistics.median(ours), statistics.median(theirs)
    ac, bc = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print(
        f"{borrowers:,} borrowers: DuckDB median {a:.2f} s, pandas+datasketch+networkx median {b:.2f} s, "
        f"ratio {b / a:.1f}x (target >= 10x; CPU time {ac:.2f} s vs {bc:.2f} s, {bc / ac:.1f}x); "
        f"rings identical: {identical} ({len(doc_ours['rings'])} rings)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--borrowers", type=int, default=1_000_000)
    parser.add_argument("--compare-borrowers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--worlds", type=Path, default=Path(".lendguard/bench-intel"))
    parser.add_argument("--skip-large", action="store_true", help="only the comparison with the baseline")
    args = parser.parse_args()
    args.worlds.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    if args.compare_borrowers > 0:
        compare(args.worlds, args.compare_borrowers, args.seed, args.repeats)
    if not args.skip_large and args.borrowers > 0:
        large(args.worlds, args.borrowers, args.seed, args.repeats)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
