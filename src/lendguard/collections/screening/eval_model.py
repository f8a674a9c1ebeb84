"""Pure evaluation metrics of the screener: per-category precision/recall/F1 and the verdict confusion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lendguard.collections.screening.model import VERDICTS, Category


@dataclass
class Counts:
    """True positives, false positives and false negatives of one category (message level)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Evaluation of a labelled set: per category, overall (micro) and the block/review/pass confusion."""

    messages: int = 0
    per_category: dict[str, Counts] = field(default_factory=lambda: {c.value: Counts() for c in Category})
    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {g: dict.fromkeys(VERDICTS, 0) for g in VERDICTS}
    )
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def add(
        self, message_id: str, gold_verdict: str, gold: Iterable[str], predicted_verdict: str, found: Iterable[str]
    ) -> None:
        """Count one message: gold and predicted verdicts and category sets."""
        gold_set, found_set = set(gold), set(found)
        self.messages += 1
        for category, counts in self.per_category.items():
            if category in gold_set and category in found_set:
                counts.tp += 1
            elif category in found_set:
                counts.fp += 1
            elif category in gold_set:
                counts.fn += 1
        self.confusion[gold_verdict][predicted_verdict] += 1
        if gold_verdict != predicted_verdict or gold_set != found_set:
            self.errors.append((message_id, gold_verdict, predicted_verdict))

    @property
    def overall(self) -> Counts:
        """Micro-averaged counts over all categories."""
        total = Counts()
        for c in self.per_category.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
        return total

    @property
    def block(self) -> Counts:
        """``block`` as a binary decision (gold block vs predicted block)."""
        tp = self.confusion["block"]["block"]
        fp = self.confusion["review"]["block"] + self.confusion["pass"]["block"]
        fn = self.confusion["block"]["review"] + self.confusion["block"]["pass"]
        return Counts(tp, fp, fn)

    @property
    def lawful_blocked_rate(self) -> float:
        """Share of lawful (gold ``pass``) messages that were blocked."""
        lawful = sum(self.confusion["pass"].values())
        return self.confusion["pass"]["block"] / lawful if lawful else 0.0
