"""Benchmark (issue 4): cost of the optional statistical ``insult`` layer, NOT part of the screener target.

The throughput target of issue 4 (``benchmarks/screen.py``) measures the rule layer alone, with the
statistical layer off (its default). This script measures what turning the layer on costs: on
``--messages`` messages it times, in the same process and alternating, (a) the rule screener's batch
call and (b) the statistical layer applied to those rule results (``augment``: score Chinese messages,
pick the best clause when flagged), and reports each as messages per second of process CPU time (and
wall-clock), medians of ``--repeats``. Two message sets: the mixed zh/en collection messages of
``benchmarks/screen.py`` (the layer skips English ones) and COLD ``dev.csv`` comments cycled to the same
count (all Chinese: the layer's worst case).

    .venv/bin/python benchmarks/screen_statistical.py [--messages 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lendguard.collections.screening import load_screener
from lendguard.collections.screening.model import ScreenResult
from lendguard.collections.screening.statistical import augment, load_insult_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen import make_messages

DEV = Path(__file__).resolve().parent.parent / "datasets" / "cold" / "dev.csv"


def cold_messages(n: int) -> list[str]:
    with DEV.open(encoding="utf-8-sig", newline="") as fh:
        texts = [row["TEXT"] for row in csv.DictReader(fh)]
    return [texts[i % len(texts)] for i in range(n)]


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    screener = load_screener()
    start = time.process_time()
    model = load_insult_model()
    print(f"load average {os.getloadavg()[0]:.1f}; weights parsed in {time.process_time() - start:.3f} s CPU")
    for name, messages in (
        ("collection messages (mixed zh/en)", make_messages(args.messages, args.seed)),
        ("COLD dev comments (all Chinese)", cold_messages(args.messages)),
    ):
        results: list[ScreenResult] = screener.screen_many(messages)
        rules_runs, layer_runs = [], []
        flagged = 0
        for _ in range(args.repeats):
            rules_runs.append(timed(lambda: screener.screen_many(messages)))  # noqa: B023
            layer_runs.append(timed(lambda: [augment(model, t, r) for t, r in zip(messages, results, strict=True)]))  # noqa: B023
        flagged = sum(
            any(f.rule == "stat.insult" for f in augment(model, t, r).findings)
            for t, r in zip(messages, results, strict=True)
        )
        n = len(messages)
        rw, rc = (statistics.median(x[i] for x in rules_runs) for i in (0, 1))
        lw, lc = (statistics.median(x[i] for x in layer_runs) for i in (0, 1))
        print(f"{name}: {n} messages, {flagged} get a stat.insult finding")
        print(f"  rule layer (screen_many):   {n / rc:9,.0f} msg/s CPU  {n / rw:9,.0f} msg/s wall")
        print(f"  statistical layer alone:    {n / lc:9,.0f} msg/s CPU  {n / lw:9,.0f} msg/s wall")
        print(f"  rules + layer:              {n / (rc + lc):9,.0f} msg/s CPU  {n / (rw + lw):9,.0f} msg/s wall")


if __name__ == "__main__":
    main()
