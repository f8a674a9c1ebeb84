"""Pure rules of abuse and resale detection over a client's query-log statistics.

The statistics come from an analytics job (``gateway.abuse``); this module only decides. Sources:
Credit Reporting Regulation arts. 20 and 38 (a user may use credit information only for the purpose
the subject agreed to and may not sell it on; the bureau must stop a user who does), PBOC 断直连
notice (2021) and the resale cases of DESIGN §1 (scores resold through contracted channels, noticed
only at 100,000 calls a day). Each rule returns an alert with the evidence that triggered it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClientStats:
    """What the job measured for one client over the analysed period."""

    client_ref: str
    queries: int
    borrowers: int
    assessment_queries: int  # credit_assessment queries: the ones an application should follow
    unmatched_assessment: int  # ... of which no application from this client followed within the window
    daily_counts: tuple[int, ...] = ()  # queries per active day
    crowded_borrowers: int = 0  # borrowers also queried by >= N other clients within the window
    off_purpose: int = 0
    off_channel: int = 0
    shared_authorisations: int = 0  # authorisations presented for more than one borrower or client
    shared_auth_queries: int = 0
    night_queries: int = 0
    night_max_hour_burst: int = 0  # most queries in one night-time hour


@dataclass(frozen=True)
class Thresholds:
    """Tunable limits; defaults chosen on synthetic worlds and documented in docs/gateway.md."""

    min_queries: int = 20
    unmatched_share: float = 0.5
    spike_factor: float = 5.0
    spike_min: int = 30
    crowded_share: float = 0.2
    off_contract_share: float = 0.01
    shared_auth_min: int = 1
    night_share: float = 0.2
    night_min: int = 20
    flag_score: float = 1.0


@dataclass(frozen=True)
class Alert:
    client_ref: str
    rule: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def no_followup(s: ClientStats, t: Thresholds) -> Alert | None:
    """Queries never followed by an application from the same client: the client is not lending to
    the people it looks up, the signature of resale (Credit Reporting Regulation art. 20)."""
    share = _share(s.unmatched_assessment, s.assessment_queries)
    if s.assessment_queries < t.min_queries or share < t.unmatched_share:
        return None
    return Alert(
        s.client_ref,
        "no_followup",
        min(1.0, share),
        {
            "assessment_queries": s.assessment_queries,
            "without_application": s.unmatched_assessment,
            "share": round(share, 3),
        },
    )


def volume_spike(s: ClientStats, t: Thresholds) -> Alert | None:
    """Days far above the client's own baseline (median active day): bulk pulls for someone else."""
    if len(s.daily_counts) < 5:
        return None
    baseline = max(1.0, statistics.median(s.daily_counts))
    peak = max(s.daily_counts)
    spikes = [c for c in s.daily_counts if c >= t.spike_factor * baseline and c >= t.spike_min]
    if not spikes:
        return None
    return Alert(
        s.client_ref,
        "volume_spike",
        min(0.8, 0.4 + 0.1 * len(spikes)),  # one rule of this kind alone never flags a client
        {"baseline_per_day": baseline, "peak_day": peak, "spike_days": len(spikes)},
    )


def crowded_borrowers(s: ClientStats, t: Thresholds) -> Alert | None:
    """One borrower queried by many clients in a short window: a borrower shopped around by resellers."""
    share = _share(s.crowded_borrowers, s.borrowers)
    if s.borrowers < t.min_queries or share < t.crowded_share:
        return None
    return Alert(
        s.client_ref,
        "crowded_borrowers",
        min(0.8, share * 2),
        {"borrowers": s.borrowers, "queried_by_many_clients": s.crowded_borrowers, "share": round(share, 3)},
    )


def off_contract(s: ClientStats, t: Thresholds) -> Alert | None:
    """Purposes or channels the contract does not name (Credit Reporting Regulation art. 20)."""
    share = _share(s.off_purpose + s.off_channel, s.queries)
    if s.off_purpose + s.off_channel == 0 or share < t.off_contract_share:
        return None
    return Alert(
        s.client_ref,
        "off_contract",
        1.0,
        {"off_contract_purpose": s.off_purpose, "off_contract_channel": s.off_channel, "share": round(share, 3)},
    )


def shared_authorisations(s: ClientStats, t: Thresholds) -> Alert | None:
    """One authorisation presented for several borrowers or by several clients: it is not the
    borrower's own authorisation of this client (Credit Reporting Regulation art. 18)."""
    if s.shared_authorisations < t.shared_auth_min:
        return None
    return Alert(
        s.client_ref,
        "shared_authorisation",
        1.0,
        {"authorisations": s.shared_authorisations, "queries": s.shared_auth_queries},
    )


def night_bulk(s: ClientStats, t: Thresholds) -> Alert | None:
    """Bulk queries between 00:00 and 06:00 local time, when borrowers do not apply for loans."""
    share = _share(s.night_queries, s.queries)
    if s.night_queries < t.night_min or share < t.night_share:
        return None
    return Alert(
        s.client_ref,
        "night_bulk",
        min(0.8, share * 2),
        {"night_queries": s.night_queries, "share": round(share, 3), "busiest_night_hour": s.night_max_hour_burst},
    )


RULES = (no_followup, volume_spike, crowded_borrowers, off_contract, shared_authorisations, night_bulk)


def evaluate(stats: list[ClientStats], thresholds: Thresholds | None = None) -> list[Alert]:
    """Every alert of every rule, strongest first."""
    t = thresholds or Thresholds()
    alerts = [a for s in stats for rule in RULES if (a := rule(s, t)) is not None]
    return sorted(alerts, key=lambda a: (-a.score, a.client_ref, a.rule))


def flagged(alerts: list[Alert], thresholds: Thresholds | None = None) -> set[str]:
    """Clients whose alert scores add up to the flag score: suspected resellers or abusers."""
    t = thresholds or Thresholds()
    total: dict[str, float] = {}
    for a in alerts:
        total[a.client_ref] = total.get(a.client_ref, 0.0) + a.score
    return {c for c, score in total.items() if score >= t.flag_score}


def precision_recall(predicted: set[str], actual: set[str]) -> tuple[float, float]:
    """Precision and recall of ``predicted`` against ``actual`` (1.0 when a set is empty and nothing is wrong)."""
    hits = len(predicted & actual)
    precision = hits / len(predicted) if predicted else (1.0 if not actual else 0.0)
    recall = hits / len(actual) if actual else 1.0
    return precision, recall
