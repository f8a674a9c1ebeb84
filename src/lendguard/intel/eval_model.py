"""Scoring a detection run against a synthetic world's ground truth (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Truth:
    """Ground truth of a world: ring kind per truth ring and the truth ring(s) of each borrower."""

    ring_kind: Mapping[str, str]
    members: Mapping[str, str]  # borrower_id -> truth ring_id

    def positives(self) -> set[str]:
        """Borrowers represented by agents (members of kind=agent rings)."""
        return {b for b, r in self.members.items() if self.ring_kind.get(r) == "agent"}


def evaluate(doc: Mapping[str, Any], truth: Truth) -> dict[str, Any]:
    """Borrower-level precision and recall, ring-level purity and flagged decoys of one output document."""
    flagged = {str(b["borrower_id"]) for b in doc["borrowers"]}
    positives = truth.positives()
    hits = flagged & positives
    precision = len(hits) / len(flagged) if flagged else 1.0
    recall = len(hits) / len(positives) if positives else 1.0
    purities: list[float] = []
    weighted = 0.0
    total = 0
    for ring in doc["rings"]:
        members: Sequence[str] = ring["borrowers"]
        labels = Counter(truth.members.get(b, "") for b in members)
        top = max((n for label, n in labels.items() if label and truth.ring_kind.get(label) == "agent"), default=0)
        purities.append(top / len(members))
        weighted += top
        total += len(members)
    decoys = Counter(truth.ring_kind[truth.members[b]] for b in flagged if b in truth.members)
    agent_rings = {r for r, k in truth.ring_kind.items() if k == "agent"}
    found_rings = {truth.members[b] for b in hits}
    return {
        "flagged": len(flagged),
        "positives": len(positives),
        "true_positives": len(hits),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "rings_reported": len(doc["rings"]),
        "agent_rings": len(agent_rings),
        "agent_rings_found": len(found_rings & agent_rings),
        "ring_purity_mean": round(sum(purities) / len(purities), 4) if purities else 1.0,
        "ring_purity_weighted": round(weighted / total, 4) if total else 1.0,
        "flagged_by_truth_kind": dict(sorted(decoys.items())),
    }
