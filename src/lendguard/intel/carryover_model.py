"""Carrying analysts' decisions over to the rings of a new detection run (pure).

Every detection run stores new rings; without this, an analyst's confirm/dismiss would be lost as
soon as detection runs again on new data. A new ring **matches** an earlier decided ring when

- both carry the same, non-empty set of indicators (the same agent phone, e-mail, segment, template), or
- their member sets (the institution's own borrowers) overlap with a Jaccard index of at least
  ``threshold`` (default :data:`JACCARD_THRESHOLD` = 0.5).

Of several matching earlier rings the best is taken: identical members first, then identical
indicators, then the highest Jaccard index, then the most recent decision, then the highest ring id.
The earlier decision is then carried over:

- the ring did not grow (no new member of ours, no more members at other institutions): it keeps
  the decision (a dismissed ring stays dismissed, a confirmed ring stays confirmed);
- the ring grew: it is flagged *changed since decision* and goes back to ``open``, because the
  earlier decision did not look at the new members; the earlier decision is still shown.

Nothing here reads the clock or the database; the service passes the rows in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

JACCARD_THRESHOLD = 0.5
DECIDED = frozenset({"confirmed", "dismissed"})


@dataclass(frozen=True)
class DecidedRing:
    """An earlier ring with its latest decision (status ``confirmed`` or ``dismissed``)."""

    ring_id: int
    run_id: int
    members: frozenset[str]
    indicators: frozenset[tuple[str, str]]
    other_borrowers: int
    status: str
    note: str
    username: str
    user_id: int
    decided_at: datetime


@dataclass(frozen=True)
class NewRing:
    """A ring of the new run, as the institution stores it (its own members, its indicators)."""

    ring_ref: str
    members: frozenset[str]
    indicators: frozenset[tuple[str, str]]
    other_borrowers: int


@dataclass(frozen=True)
class CarryOver:
    """The earlier decision a new ring inherits, and how the ring changed since."""

    from_ring: int
    from_run: int
    decided_status: str
    note: str
    username: str
    user_id: int
    decided_at: datetime
    match: str  # "indicators" (same indicator set) or "members" (Jaccard >= threshold)
    jaccard: float
    added: tuple[str, ...]  # our borrowers who are new since the decision
    removed: tuple[str, ...]  # our borrowers who are no longer in the ring
    other_added: int  # growth of the count of members at other institutions

    @property
    def changed(self) -> bool:
        """The ring grew since the decision (new members): it goes back to review."""
        return bool(self.added) or self.other_added > 0

    @property
    def status(self) -> str:
        """The new ring's status: the earlier decision, or ``open`` when the ring grew."""
        return "open" if self.changed else self.decided_status

    def as_dict(self) -> dict[str, Any]:
        """JSON form stored with the ring (times as ISO 8601)."""
        return {
            "from_ring": self.from_ring,
            "from_run": self.from_run,
            "decided_status": self.decided_status,
            "note": self.note,
            "username": self.username,
            "decided_at": self.decided_at.isoformat(),
            "match": self.match,
            "jaccard": round(self.jaccard, 4),
            "added": list(self.added),
            "removed": list(self.removed),
            "other_added": self.other_added,
            "changed": self.changed,
            "status": self.status,
        }


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _rank(new: NewRing, prior: DecidedRing) -> tuple[bool, bool, float, datetime, int]:
    return (
        new.members == prior.members,
        bool(new.indicators) and new.indicators == prior.indicators,
        jaccard(new.members, prior.members),
        prior.decided_at,
        prior.ring_id,
    )


def best_match(
    new: NewRing, candidates: Iterable[DecidedRing], threshold: float = JACCARD_THRESHOLD
) -> CarryOver | None:
    """The decision ``new`` inherits from the best matching candidate, or None when none matches."""
    best: DecidedRing | None = None
    best_rank: tuple[bool, bool, float, datetime, int] | None = None
    for prior in candidates:
        if prior.status not in DECIDED:
            continue
        rank = _rank(new, prior)
        same_indicators, score = rank[1], rank[2]
        if not same_indicators and score < threshold:
            continue
        if best_rank is None or rank > best_rank:
            best, best_rank = prior, rank
    if best is None or best_rank is None:
        return None
    return CarryOver(
        from_ring=best.ring_id,
        from_run=best.run_id,
        decided_status=best.status,
        note=best.note,
        username=best.username,
        user_id=best.user_id,
        decided_at=best.decided_at,
        match="indicators" if best_rank[1] else "members",
        jaccard=best_rank[2],
        added=tuple(sorted(new.members - best.members)),
        removed=tuple(sorted(best.members - new.members)),
        other_added=max(0, new.other_borrowers - best.other_borrowers),
    )


def carry_over(
    new_rings: Sequence[NewRing], decided: Sequence[DecidedRing], threshold: float = JACCARD_THRESHOLD
) -> dict[str, CarryOver]:
    """For each new ring (by ``ring_ref``) that matches an earlier decided ring, the decision it inherits.

    Candidates are found through an index on members and on the indicator set, so the cost grows
    with the number of shared members, not with new rings x decided rings.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must lie in (0, 1]")
    by_member: dict[str, list[int]] = defaultdict(list)
    by_indicators: dict[frozenset[tuple[str, str]], list[int]] = defaultdict(list)
    for i, prior in enumerate(decided):
        for member in prior.members:
            by_member[member].append(i)
        if prior.indicators:
            by_indicators[prior.indicators].append(i)
    out: dict[str, CarryOver] = {}
    for new in new_rings:
        seen: set[int] = set(by_indicators.get(new.indicators, ())) if new.indicators else set()
        for member in new.members:
            seen.update(by_member.get(member, ()))
        found = best_match(new, (decided[i] for i in sorted(seen)), threshold)
        if found is not None:
            out[new.ring_ref] = found
    return out
