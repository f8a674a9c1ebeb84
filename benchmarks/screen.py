"""Benchmark (issue 4): screening throughput, Aho-Corasick vs a loop of Python ``re`` patterns.

100,000 messages (mixed Chinese and English, 20-200 characters, about one in three offending) are
screened in one process by the real screener, as a batch (``Screener.screen_many``: the messages are
normalised 512 at a time in a few NumPy passes, then matched one by one). The baseline is the same
screener, called the same way (same batch normalisation, context rules and detectors), whose
multi-pattern matcher is replaced by a loop over one compiled ``re`` pattern per rule and view (the
alternation of that rule's keys, overlapping matches through a lookahead): the same rule set. A
second, literal baseline loops one pattern per key (term) and is timed on ``--term-sample`` messages.
Both run in the same process on the same messages; the baseline is timed on the first ``--sample``
messages (looping every pattern over 100,000 messages would take minutes) and reported as messages
per second. Each figure is the median of ``--repeats`` runs (the screener and the baseline alternate,
so both see the same machine load), printed twice: from wall-clock time and from the process's CPU
time (on a shared machine the wall-clock figure mostly measures how much of a core the process got).
The verdicts of both must agree on the sample. The screener is also timed one message at a time
(``Screener.screen``, what a single library call costs), for comparison.

    .venv/bin/python benchmarks/screen.py [--messages 100000] [--sample 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from lendguard.collections.screening.engine import Automata, Screener, load_screener
from lendguard.collections.screening.matcher import Pattern

DATASET = Path(__file__).resolve().parent.parent / "datasets" / "screening" / "messages.jsonl"
FILLER = {
    "zh": ["请您留意账单信息。", "感谢您的配合。", "如有疑问请联系客服。", "祝您生活愉快。", "本通知仅供提醒。"],
    "en": [" Thank you.", " Please keep this message.", " Call us with any questions.", " Have a good day."],
}


def make_messages(n: int, seed: int) -> list[str]:
    """``n`` messages of 20-200 characters built from the labelled set plus neutral filler."""
    rng = random.Random(seed)
    rows = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
    out: list[str] = []
    while len(out) < n:
        row = rng.choice(rows)
        text: str = row["text"]
        target = rng.randint(20, 200)
        while len(text) < target:
            text += rng.choice(FILLER[row["lang"]])
        out.append(text[:target] if len(text) > 200 else text)
    return out


class RegexLoop:
    """Same interface as the automaton: loops one compiled pattern per rule over the text."""

    def __init__(self, keys: list[str], patterns: list[tuple[Pattern, ...]], per_term: bool = False) -> None:
        by_rule: dict[str, list[str]] = defaultdict(list)
        self.index = {key: i for i, key in enumerate(keys)}
        for key, key_patterns in zip(keys, patterns, strict=True):
            # one pattern per rule (alternation of its keys), or literally one pattern per key
            for rule in {key} if per_term else {p.rule for p in key_patterns}:
                by_rule[rule].append(key)
        self.regexes = [
            re.compile("(?=(" + "|".join(re.escape(k) for k in sorted(set(ks), key=len, reverse=True)) + "))")
            for ks in by_rule.values()
        ]

    def find_matches_as_indexes(self, haystack: str, overlapping: bool = False) -> list[tuple[int, int, int]]:
        found: set[tuple[int, int, int]] = set()  # a key shared by two rules is one match, as in the automaton
        for regex in self.regexes:
            for m in regex.finditer(haystack):
                key = m.group(1)
                found.add((self.index[key], m.start(), m.start() + len(key)))
        return sorted(found, key=lambda match: (match[2], match[1]))


def baseline_screener(real: Screener, per_term: bool = False) -> Screener:
    """A copy of ``real`` whose automata are :class:`RegexLoop` over the same keys."""
    base = Screener(real.base, real.extra)
    for lang, automata in real.automata.items():
        base.automata[lang] = Automata(
            compact=RegexLoop(automata.keys["compact"], automata.patterns["compact"], per_term),
            words=RegexLoop(automata.keys["words"], automata.patterns["words"], per_term),
            keys=automata.keys,
            patterns=automata.patterns,
            ruled=automata.ruled,
        )
    return base


def timed(screener: Screener, messages: list[str], one_by_one: bool = False) -> tuple[float, float, list[str]]:
    """Wall-clock seconds, CPU seconds of this process, and the verdicts (batch, or one call per message)."""
    start, cpu = time.perf_counter(), time.process_time()
    if one_by_one:
        verdicts = [screener.screen(m).verdict for m in messages]
    else:
        verdicts = [r.verdict for r in screener.screen_many(messages)]
    return time.perf_counter() - start, time.process_time() - cpu, verdicts


def rates(n: int, runs: list[tuple[float, float]]) -> tuple[float, float]:
    """Messages per second from the median wall-clock and the median CPU time of the runs."""
    return n / statistics.median(w for w, _ in runs), n / statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--term-sample", type=int, default=300, help="messages for the one-pattern-per-term loop")
    args = parser.parse_args()

    messages = make_messages(args.messages, args.seed)
    real = load_screener()
    loop = baseline_screener(real)
    sample = messages[: args.sample]
    fast_runs: list[tuple[float, float]] = []
    loop_runs: list[tuple[float, float]] = []
    verdicts: list[str] = []
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        wall, cpu, verdicts = timed(real, messages)
        fast_runs.append((wall, cpu))
        wall, cpu, loop_verdicts = timed(loop, sample)
        loop_runs.append((wall, cpu))
        if loop_verdicts != verdicts[: args.sample]:
            raise SystemExit("the regex baseline and the automaton disagree on the sample")
    single_runs: list[tuple[float, float]] = []
    for _ in range(args.repeats):
        wall, cpu, single_verdicts = timed(real, messages, one_by_one=True)
        single_runs.append((wall, cpu))
        if single_verdicts != verdicts:
            raise SystemExit("screening one by one and as a batch disagree")
    single_wall, single_cpu = rates(len(messages), single_runs)
    fast_wall, fast_cpu = rates(len(messages), fast_runs)
    slow_wall, slow_cpu = rates(len(sample), loop_runs)
    per_term = baseline_screener(real, per_term=True)
    term_sample = messages[: args.term_sample]
    term_runs: list[tuple[float, float]] = []
    for _ in range(args.repeats):
        wall, cpu, term_verdicts = timed(per_term, term_sample)
        term_runs.append((wall, cpu))
        if term_verdicts != verdicts[: args.term_sample]:
            raise SystemExit("the per-term regex baseline and the automaton disagree on the sample")
    term_wall, term_cpu = rates(len(term_sample), term_runs)
    blocked = sum(v == "block" for v in verdicts) / len(verdicts)
    chars = sum(len(m) for m in messages) / len(messages)
    try:
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # not on every platform
        load = "n/a"
    print(f"messages: {len(messages):,} (mean {chars:.0f} characters, {blocked:.1%} blocked); repeats {args.repeats}")
    print(f"load average: {load} on {os.cpu_count()} CPUs (wall-clock figures drop with the load, CPU-time ones less)")
    print(f"screener (Aho-Corasick, batch): {fast_wall:,.0f} msg/s wall-clock, {fast_cpu:,.0f} msg/s of CPU time")
    print(f"  runs (wall, cpu): {[f'{w:.2f}s/{c:.2f}s' for w, c in fast_runs]}")
    print(f"  one call per message (Screener.screen): {single_wall:,.0f} wall, {single_cpu:,.0f} CPU msg/s")
    print(
        f"baseline (re loop per rule, {len(sample):,}-message sample): {slow_wall:,.0f} wall, {slow_cpu:,.0f} CPU msg/s"
    )
    print(f"ratio: {fast_wall / slow_wall:.1f}x wall-clock, {fast_cpu / slow_cpu:.1f}x CPU time")
    print("targets: >= 20,000 messages/s and >= 10x the per-rule baseline")
    print(
        f"baseline (one re per term, {len(term_sample):,}-message sample): "
        f"{term_wall:,.0f} wall, {term_cpu:,.0f} CPU msg/s"
    )
    print(
        f"ratio against the per-term loop: {fast_wall / term_wall:.1f}x wall-clock, {fast_cpu / term_cpu:.1f}x CPU time"
    )


if __name__ == "__main__":
    main()
