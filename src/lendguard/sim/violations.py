"""Ground truth of rule breaches in the collection attempts, and the call-outcome log.

Rules checked (China; industry self-regulation convention and national rules, see RULES.md):
``cn.quiet_hours`` — a call, SMS, app message or visit between 22:00 and 08:00 in the debtor's local
time zone; ``cn.connected_calls_per_day`` — the 4th and later connected call to one debtor in one
local day (lender and agencies together); ``cn.unanswered_per_number_per_day`` — the 7th and later
unanswered call to one number in one local day; ``cn.unrelated_third_party`` — any contact with a
person the borrower did not designate (an address-book entry).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import phones, writer
from lendguard.sim.context import DAY, WorldContext

RULES = ("cn.quiet_hours", "cn.connected_calls_per_day", "cn.unanswered_per_number_per_day", "cn.unrelated_third_party")
UNANSWERED = (1, 2, 4, 5)  # no_answer, voicemail, busy, not_in_service


def _rank_in_group(keys: tuple[np.ndarray, ...], at: np.ndarray) -> np.ndarray:
    """1-based rank of each row by time inside the group given by ``keys``."""
    order = np.lexsort((at, *keys[::-1]))
    sorted_keys = np.stack([k[order] for k in keys])
    new_group = np.ones(len(order), dtype=bool)
    new_group[1:] = np.any(sorted_keys[:, 1:] != sorted_keys[:, :-1], axis=0)
    idx = np.arange(len(order))
    start = np.maximum.accumulate(np.where(new_group, idx, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = idx - start + 1
    return rank


def violation_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """``truth/violations.csv``: one row per (attempt, rule) breached."""
    att = ctx["att"]
    owner, at, channel, role, outcome = att["owner"], att["at"], att["channel"], att["role"], att["outcome"]
    local = at - np.where(ctx["urumqi"][owner], 2 * 3600, 0)  # Asia/Urumqi is UTC+6
    local_day = local // DAY
    hour = (local % DAY) // 3600
    quiet = np.isin(channel, (0, 1, 4, 5)) & ((hour >= 22) | (hour < 8))
    call = channel == 0
    connected = call & (role == 0) & (outcome == 0)
    idx = np.flatnonzero(connected)
    over_connected = np.zeros(len(at), dtype=bool)
    over_connected[idx] = _rank_in_group((owner[idx], local_day[idx]), at[idx]) > 3
    number = ctx["att_number"]
    idx = np.flatnonzero(call & np.isin(outcome, UNANSWERED))
    over_unanswered = np.zeros(len(at), dtype=bool)
    over_unanswered[idx] = _rank_in_group((number[idx], local_day[idx]), at[idx]) > 6
    stranger = role == 3
    rows, rules = [], []
    for r, mask in enumerate((quiet, over_connected, over_unanswered, stranger)):
        hit = np.flatnonzero(mask)
        rows.append(hit)
        rules.append(np.full(len(hit), r))
    row = np.concatenate(rows)
    rule = np.concatenate(rules)
    order = np.lexsort((rule, row))
    return {"attempt_id": writer.digits(row[order] + 1, 9, "AT"), "rule": writer.pick(RULES, rule[order])}


def call_outcome_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """``call_outcomes.csv``: the dialler's log of every call to a debtor, with forwarding."""
    from lendguard.sim.people import borrower_ids

    rng = ctx.rng("call_outcomes")
    att = ctx["att"]
    rows = np.flatnonzero((att["channel"] == 0) & (att["role"] == 0))
    k = len(rows)
    owner = att["owner"][rows]
    outcome = att["outcome"][rows]
    mapped = np.array([0, 1, 3, 3, 2, 4, 0, 1])[outcome]  # -> connected no_answer busy voicemail invalid
    taken = att["taken"][rows]
    mode = ctx["takeover_mode"][owner]
    forwarded = taken & (mode == 2)
    noise_forward = ~taken & (rng.random(k) < 0.005)
    forward_to = np.where(forwarded, ctx["takeover_phone"][owner], phones.draw(rng, k))
    connected = mapped == 0
    third = connected & (taken | (rng.random(k) < 0.04))
    answered = np.where(connected, np.where(third, 1, 0), 2)
    return {
        "call_id": writer.digits(np.arange(k) + 1, 9, "CL"),
        "borrower_id": borrower_ids(owner),
        "dialed_phone": phones.as_text(ctx["att_number"][rows]),
        "called_at": writer.timestamps(att["at"][rows]),
        "outcome": writer.pick(("connected", "no_answer", "busy", "voicemail", "invalid"), mapped),
        "forwarded_to": writer.nullable(phones.as_text(forward_to), forwarded | noise_forward),
        "answered_by": writer.pick(("debtor", "third_party", "unknown"), answered),
        "attempt_id": writer.digits(rows + 1, 9, "AT"),
    }
