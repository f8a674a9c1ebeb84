"""Scoring a candidate ring from its evidence rows, and the output records (pure).

A candidate ring is a connected component of the borrower–indicator graph. Each signal below looks
at the ring's evidence rows, says which borrowers it covers and which input rows support it; its
contribution is ``weight x strength``. These signals are the behaviours lenders use to recognise
anti-collection agencies (反催收代理): one number behind many debtors' complaints, recent phone
changes and call forwarding, impersonation on calls, template complaints, numbers bought in bulk,
and the change -> cease request -> complaint sequence (issue 6; DESIGN.md §1).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from lendguard.intel.config_model import SIGNALS, DetectionConfig

_CST = timezone(timedelta(hours=8))


def iso(epoch: int) -> str:
    """An epoch-seconds timestamp as ISO 8601 in UTC+8 (how the input is usually written)."""
    return datetime.fromtimestamp(epoch, _CST).isoformat()


class Evidence(NamedTuple):
    """One input cell an analyst can look up: file, row id (or line), column, normalised value.

    A named tuple: compared, hashed and sorted as a plain tuple (scoring sorts many of them).
    """

    file: str
    row_id: str
    field: str
    value: str
    borrower_id: str = ""  # whose row it is (kept internally for per-institution views; not in the output)

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "row_id": self.row_id, "field": self.field, "value": self.value}


# Named tuples built with tuple.__new__ skip the Python-level __new__ the class generates (half the
# cost; scoring builds one per evidence row, some 18,000 on a 50,000-borrower world).
_evidence = tuple.__new__


@dataclass
class RingRows:
    """Evidence rows of one candidate ring, as fetched by the job (tuples in fixed column order)."""

    members: list[str]
    # (borrower_id, kind, value, file, row_id, field) for links to indicators shared by >= 2 borrowers
    links: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    # (borrower_id, prefix, file, row_id, field, value) for numbers in a shared or virtual segment
    segments: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    # (borrower_id, call row_id)
    third_party: list[tuple[str, str]] = field(default_factory=list)
    # (borrower_id, template label, complaint row_id, text)
    templates: list[tuple[str, str, str, str]] = field(default_factory=list)
    # (borrower_id, change file, change row, change field, change value, request row, request kind,
    #  complaint row, complaint filed_at)
    sequences: list[tuple[str, str, str, str, str, str, str, str, int]] = field(default_factory=list)
    # (borrower_id, complaint row_id, channel, filed_at, seq (row index in complaints.csv), text)
    complaints: list[tuple[str, str, str, int, int, str | None]] = field(default_factory=list)


@dataclass
class Signal:
    """A fired signal: its contribution to the score and the rows behind it (sorted, distinct)."""

    name: str
    weight: float
    covered: set[str]
    evidence: list[Evidence]

    def as_dict(self) -> dict[str, Any]:
        evidence = [{"file": f, "row_id": r, "field": c, "value": v} for f, r, c, v, _b in self.evidence]
        return {"name": self.name, "weight": self.weight, "evidence": evidence}


@dataclass
class Ring:
    """A scored ring, ready for the output document."""

    ring_id: str
    score: float
    borrowers: list[str]
    indicators: list[tuple[str, str]]
    signals: list[Signal]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ring_id": self.ring_id,
            "score": self.score,
            "borrowers": self.borrowers,
            "indicators": [{"kind": k, "value": v} for k, v in self.indicators],
            "signals": [s.as_dict() for s in self.signals],
        }


def ring_view(ring: Ring, own: set[str]) -> dict[str, Any]:
    """What one institution may store of a ring: its own borrowers and the rows about them.

    Other institutions' borrowers are only counted; indicators are kept when the institution's own
    rows carry them (a template is shown by one of the institution's own complaint texts).
    """
    signals = []
    values: set[str] = set()
    own_texts: list[str] = []
    for signal in ring.signals:
        mine = sorted(e for e in signal.evidence if e.borrower_id in own)
        if not mine:
            continue
        values.update(e.value for e in mine)
        own_texts += [e.value for e in mine if signal.name == "template"]
        signals.append({"name": signal.name, "weight": signal.weight, "evidence": [e.as_dict() for e in mine]})
    indicators = [{"kind": k, "value": v} for k, v in ring.indicators if k != "template" and v in values]
    indicators += [
        {"kind": "segment", "value": v}
        for k, v in ring.indicators
        if k == "segment" and v not in values and any(x.startswith(v) for x in values)
    ]
    if own_texts and any(k == "template" for k, _ in ring.indicators):
        indicators.append({"kind": "template", "value": min(own_texts)})
    members = [b for b in ring.borrowers if b in own]
    template_value = next((i["value"] for i in indicators if i["kind"] == "template"), None)
    links: dict[str, set[str]] = {b: set() for b in members}
    for signal in ring.signals:
        for e in signal.evidence:
            if e.borrower_id in links:
                links[e.borrower_id].add(e.value)
                if signal.name == "template" and template_value is not None:
                    links[e.borrower_id].add(template_value)
    return {
        "ring_id": ring.ring_id,
        "score": ring.score,
        "borrowers": members,
        "other_borrowers": len(ring.borrowers) - len(members),
        "indicators": indicators,
        "signals": signals,
        "links": {b: sorted(v) for b, v in links.items()},  # evidence values per borrower (entity graph)
    }


def ring_id(members: list[str]) -> str:
    """Stable id from the member set (same members, same id on every engine and run)."""
    digest = hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()
    return f"R-{digest[:12]}"


def _shared_values(
    rows: list[tuple[str, str, str, str, str, str]], files: set[str] | None
) -> dict[tuple[str, str], set[str]]:
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for borrower, kind, value, file, _row, _field in rows:
        if files is None or file in files:
            holders[(kind, value)].add(borrower)
    return holders


def _shared_contact(rows: RingRows) -> tuple[set[str], list[Evidence], set[tuple[str, str]]]:
    """Complaint contact phones/e-mails given by two or more of the ring's borrowers."""
    holders = _shared_values(rows.links, {"complaints.csv"})
    shared = {key for key, who in holders.items() if len(who) >= 2}
    covered: set[str] = set()
    evidence: list[Evidence] = []
    for borrower, kind, value, file, row, fld in rows.links:
        if file == "complaints.csv" and (kind, value) in shared:
            covered.add(borrower)
            evidence.append(_evidence(Evidence, (file, row, fld, value, borrower)))
    return covered, evidence, shared


def _takeover(rows: RingRows) -> tuple[set[str], list[Evidence], set[tuple[str, str]]]:
    """Phones changed or forwarded to a number that another of the ring's borrowers also points to."""
    holders = _shared_values(rows.links, None)
    covered: set[str] = set()
    evidence: list[Evidence] = []
    used: set[tuple[str, str]] = set()
    for borrower, kind, value, file, row, fld in rows.links:
        holders_of_value = holders[(kind, value)]
        if file != "complaints.csv" and len(holders_of_value) > (borrower in holders_of_value):  # someone else
            covered.add(borrower)
            used.add((kind, value))
            evidence.append(_evidence(Evidence, (file, row, fld, value, borrower)))
    return covered, evidence, used


def _templates(rows: RingRows) -> tuple[set[str], list[Evidence], list[str]]:
    """Complaints of two or more of the ring's borrowers in one near-duplicate text cluster."""
    by_label: dict[str, set[str]] = defaultdict(set)
    texts: dict[str, list[str]] = defaultdict(list)
    for borrower, label, _row, text in rows.templates:
        by_label[label].add(borrower)
        texts[label].append(text)
    shared = {label for label, who in by_label.items() if len(who) >= 2}
    covered = {b for b, label, _r, _t in rows.templates if label in shared}
    evidence = [
        _evidence(Evidence, ("complaints.csv", r, "text", t, b)) for b, label, r, t in rows.templates if label in shared
    ]
    shown = []
    for label in sorted(shared):
        counts: dict[str, int] = defaultdict(int)
        for text in texts[label]:
            counts[text] += 1
        shown.append(min(counts, key=lambda t: (-counts[t], t)))
    return covered, evidence, shown


def _segments(rows: RingRows, config: DetectionConfig) -> tuple[set[str], list[Evidence], set[str]]:
    """Numbers in a block shared by several borrowers, or in a virtual-operator segment."""
    covered = {r[0] for r in rows.segments}
    evidence = [_evidence(Evidence, (file, row, fld, value, b)) for b, _p, file, row, fld, value in rows.segments]
    prefixes = {p for _b, p, *_ in rows.segments if len(p) == config.segment_prefix}
    return covered, evidence, prefixes


def _sequences(rows: RingRows) -> tuple[set[str], list[Evidence]]:
    """Phone change -> cease or repayment-plan request -> complaint, each within the window."""
    first: dict[str, tuple[str, str, str, str, str, str, str, str, int]] = {}
    for seq in sorted(rows.sequences):
        first.setdefault(seq[0], seq)
    evidence: list[Evidence] = []
    for b, cfile, crow, cfield, cvalue, rrow, rkind, qrow, qat in first.values():
        evidence += [
            _evidence(Evidence, (cfile, crow, cfield, cvalue, b)),
            _evidence(Evidence, ("account_events.csv", rrow, "kind", rkind, b)),
            _evidence(Evidence, ("complaints.csv", qrow, "filed_at", iso(qat), b)),
        ]
    return set(first), evidence


def _burst(rows: RingRows, config: DetectionConfig) -> tuple[set[str], list[Evidence]]:
    """The largest set of the ring's complaints through one channel inside the burst window."""
    window = config.burst_hours * 3600
    best: list[tuple[str, str, str, int, int, str | None]] = []
    by_channel: dict[str, list[tuple[str, str, str, int, int, str | None]]] = defaultdict(list)
    for c in rows.complaints:
        by_channel[c[2]].append(c)
    for channel in sorted(by_channel):
        items = sorted(by_channel[channel], key=lambda c: (c[3], c[1]))
        start = 0
        for end in range(len(items)):
            while items[end][3] - items[start][3] > window:
                start += 1
            if end - start + 1 > len(best):
                best = items[start : end + 1]
    if len(best) < config.burst_min_complaints:
        return set(), []
    return {c[0] for c in best}, [_evidence(Evidence, ("complaints.csv", c[1], "channel", c[2], c[0])) for c in best]


@dataclass
class PreparedRing:
    """A ring scored on every signal but ``template`` (whose clusters may still be being computed)."""

    members: list[str]
    signals: dict[str, Signal]
    indicators: list[tuple[str, str]]


def _signal(
    name: str, covered: set[str], evidence: list[Evidence], members: list[str], config: DetectionConfig
) -> Signal | None:
    """The fired signal ``name`` (None when it covers nobody or weighs nothing)."""
    if not covered or config.weight(name) <= 0:
        return None
    strength = 1.0 if name == "burst" else len(covered.intersection(members)) / len(members)
    return Signal(name, round(config.weight(name) * strength, 4), covered, sorted(set(evidence)))


def prepare_ring(rows: RingRows, config: DetectionConfig) -> PreparedRing:
    """Every signal of one candidate ring except ``template``; see :func:`finish_ring`."""
    members = sorted(rows.members)
    found: dict[str, tuple[set[str], list[Evidence]]] = {}
    covered, ev, shared_contacts = _shared_contact(rows)
    found["shared_contact"] = (covered, ev)
    covered, ev, takeover_numbers = _takeover(rows)
    found["phone_takeover"] = (covered, ev)
    found["third_party_answer"] = (
        {b for b, _ in rows.third_party},
        [_evidence(Evidence, ("call_outcomes.csv", r, "answered_by", "third_party", b)) for b, r in rows.third_party],
    )
    covered, ev, prefixes = _segments(rows, config)
    found["number_segment"] = (covered, ev)
    found["sequence"] = _sequences(rows)
    found["burst"] = _burst(rows, config)
    signals = {name: s for name, (c, e) in found.items() if (s := _signal(name, c, e, members, config)) is not None}
    indicators = sorted(shared_contacts | takeover_numbers) + [("segment", p) for p in sorted(prefixes)]
    return PreparedRing(members, signals, indicators)


def finish_ring(prepared: PreparedRing, rows: RingRows, config: DetectionConfig) -> Ring:
    """The ring of :func:`prepare_ring` with its ``template`` signal (from ``rows.templates``) added."""
    covered, ev, templates = _templates(rows)
    fired = dict(prepared.signals)
    template = _signal("template", covered, ev, prepared.members, config)
    if template is not None:
        fired["template"] = template
    signals = [fired[name] for name in SIGNALS if name in fired]  # the documented order (and sum order)
    score = round(min(1.0, sum(s.weight for s in signals)), 4)
    indicators = prepared.indicators + [("template", t) for t in templates]
    return Ring(ring_id(prepared.members), score, prepared.members, indicators, signals)


def score_ring(rows: RingRows, config: DetectionConfig) -> Ring:
    """Score one candidate ring: the sum over signals of weight x strength, in 0..1."""
    return finish_ring(prepare_ring(rows, config), rows, config)


def document(engine: str, config: DetectionConfig, rings: list[Ring]) -> dict[str, Any]:
    """The output document: rings at or above the threshold, highest score first, and their borrowers."""
    kept = sorted((r for r in rings if r.score >= config.threshold), key=lambda r: (-r.score, r.ring_id))
    borrowers = sorted(
        ({"borrower_id": b, "ring_id": r.ring_id, "score": r.score} for r in kept for b in r.borrowers),
        key=lambda d: (-float(d["score"]), str(d["borrower_id"])),  # type: ignore[arg-type]
    )
    return {
        "engine": engine,
        "parameters": config.as_dict(),
        "rings": [r.as_dict() for r in kept],
        "borrowers": borrowers,
    }
