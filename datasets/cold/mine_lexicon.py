"""Mine insult-term candidates from COLD ``dev.csv`` (never from ``test.csv``) for a person to curate.

Character n-grams (2-4, in the screener's compact view) that mark offensive comments in the dev split
are chosen greedily: each must raise dev recall while the share of flagged safe dev comments stays
under a budget. N-grams found in any lawful message of the screening set's *train* split are left out,
so the mined terms cannot fire on ordinary collection reminders. The candidates are printed; most
are topic words of COLD's race/gender/region threads ("风险", "利益", "观点"), not abuse, so they are
NOT used as they are: a person picks the abusive ones into the ``zh.insult.general`` entry of
``src/lendguard/collections/screening/data/zh.json`` (see docs/screening.md).

    .venv/bin/python datasets/cold/mine_lexicon.py [--budget 0.03]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

from lendguard.collections.screening.engine import load_base
from lendguard.collections.screening.normalise import compact

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "datasets" / "cold" / "dev.csv"
LAWFUL = ROOT / "datasets" / "screening" / "messages.jsonl"


def grams(text: str) -> set[str]:
    return {text[i : i + n] for n in (2, 3, 4) for i in range(len(text) - n + 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=0.03, help="max share of safe dev comments flagged")
    parser.add_argument("--min-count", type=int, default=8)
    parser.add_argument("--min-precision", type=float, default=0.9)
    parser.add_argument("--min-new", type=int, default=4, help="new offensive dev comments a term must add")
    args = parser.parse_args()
    tables = load_base().tables
    with DEV.open(encoding="utf-8-sig", newline="") as fh:
        rows = [(compact(r["TEXT"], tables), r["label"] == "1") for r in csv.DictReader(fh)]
    lawful: set[str] = set()
    for line in LAWFUL.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["split"] == "train" and row["lang"] == "zh" and not row["categories"]:
            lawful |= grams(compact(row["text"], tables))
    doc_grams = [grams(text) for text, _ in rows]
    offensive = Counter[str]()
    safe = Counter[str]()
    for gs, (_, label) in zip(doc_grams, rows, strict=True):
        (offensive if label else safe).update(gs)
    candidates = [
        g
        for g, n in offensive.items()
        if n >= args.min_count and n / (n + safe[g]) >= args.min_precision and g not in lawful and g.strip()
    ]
    candidates.sort(key=lambda g: (offensive[g] / (offensive[g] + safe[g]), offensive[g]), reverse=True)
    n_safe = sum(1 for _, label in rows if not label)
    covered: set[int] = set()
    flagged: set[int] = set()
    chosen: list[str] = []
    index = {g: [i for i, gs in enumerate(doc_grams) if g in gs] for g in candidates}
    for g in candidates:
        if any(c in g for c in chosen):  # a shorter chosen gram already covers this one
            continue
        new_off = {i for i in index[g] if rows[i][1]} - covered
        new_safe = {i for i in index[g] if not rows[i][1]} - flagged
        if len(new_off) < args.min_new or (len(flagged) + len(new_safe)) / n_safe > args.budget:
            continue
        if len(new_safe) * 3 > len(new_off):
            continue
        chosen.append(g)
        covered |= new_off
        flagged |= new_safe
    n_off = len(rows) - n_safe
    print(
        f"{len(chosen)} terms; dev recall {len(covered) / n_off:.3f}, dev false positives {len(flagged) / n_safe:.3f}"
    )
    print(" ".join(chosen))


if __name__ == "__main__":
    main()
