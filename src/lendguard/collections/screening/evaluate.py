"""The evaluation behind ``lendguard screen eval``: the project's labelled set, COLD and SWSR."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lendguard.collections.screening.eval_model import Report
from lendguard.collections.screening.model import ScreensText


class DatasetError(ValueError):
    """The data set cannot be read (names the file and line)."""


@dataclass
class ExternalReport:
    """Figures on an external corpus (COLD or SWSR): how often ``insult`` or ``block`` fires per label."""

    name: str
    rows: dict[str, int] = field(default_factory=dict)
    insult: dict[str, int] = field(default_factory=dict)
    blocked: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, insult: bool, blocked: bool) -> None:
        self.rows[label] = self.rows.get(label, 0) + 1
        self.insult[label] = self.insult.get(label, 0) + int(insult)
        self.blocked[label] = self.blocked.get(label, 0) + int(blocked)

    def rate(self, kind: str, label: str) -> float:
        counts = self.insult if kind == "insult" else self.blocked
        return counts.get(label, 0) / self.rows[label] if self.rows.get(label) else 0.0


def detect_format(path: Path) -> str:
    """``own`` (JSON lines), ``cold`` or ``swsr`` (CSV, told apart by their header)."""
    if path.suffix in (".jsonl", ".json"):
        return "own"
    with path.open(encoding="utf-8-sig") as fh:
        header = fh.readline()
    if "comment_text" in header:
        return "swsr"
    if "TEXT" in header and "label" in header:
        return "cold"
    raise DatasetError(f"{path}: unknown data set format (expected .jsonl, COLD or SWSR CSV)")


def read_own(path: Path, split: str) -> Iterator[dict[str, Any]]:
    """Rows of the project's labelled set in ``split`` (``train``, ``test`` or ``all``)."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row.get("text"), str) or row.get("verdict") not in ("block", "review", "pass"):
                    raise ValueError("needs a text and a verdict")
            except ValueError as exc:
                raise DatasetError(f"{path}:{number}: {exc}") from None
            if split == "all" or row.get("split") == split:
                yield row


def evaluate_own(
    screener: ScreensText, path: Path, split: str = "test", tick: Callable[[], None] | None = None
) -> Report:
    """Screen every message of the split and compare with its labels."""
    report = Report()
    for row in read_own(path, split):
        result = screener.screen(row["text"], party=row.get("party", "debtor"), lang="auto")
        report.add(str(row.get("id")), row["verdict"], row.get("categories", []), result.verdict, result.categories)
        if tick:
            tick()
    return report


def evaluate_external(
    screener: ScreensText, path: Path, kind: str, tick: Callable[[], None] | None = None
) -> ExternalReport:
    """COLD (``label``, ``fine-grained-label``, ``TEXT``) or SWSR (``label``, ``comment_text``)."""
    report = ExternalReport(kind)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            text = row.get("TEXT") if kind == "cold" else row.get("comment_text")
            label = row.get("label")
            if text is None or label not in ("0", "1"):
                raise DatasetError(f"{path}:{number}: missing text or label")
            result = screener.screen(text, lang="zh")
            insult = "insult" in result.categories
            blocked = result.verdict == "block"
            report.add(label, insult, blocked)
            fine = row.get("fine-grained-label")
            if kind == "cold" and fine:
                report.add(f"fine{fine}", insult, blocked)
            if tick:
                tick()
    return report


def count_rows(path: Path, kind: str, split: str) -> int:
    """How many rows the evaluation will screen (for the progress bar)."""
    if kind == "own":
        return sum(1 for _ in read_own(path, split))
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))
