"""Phone-number changes and account events (contact changes, requests, powers of attorney, disputes)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import phones, writer
from lendguard.sim.context import AS_OF_DAY, DAY, WorldContext
from lendguard.sim.rings import Ring

EVENT_KINDS = ("contact_change", "repayment_plan_request", "cease_request", "power_of_attorney", "dispute")
EVENT_DETAILS = (
    ("mobile number changed", "手机号变更"),
    ("asks for an instalment plan", "申请分期还款"),
    ("asks to stop collection calls", "要求停止催收"),
    ("represented by an agent", "已委托代理人"),
    ("disputes the amount owed", "对欠款金额有异议"),
)


def build_phone_changes(ctx: WorldContext) -> dict[str, pa.Array]:
    """``phone_changes.csv``: agent takeovers (to pool numbers) and ordinary changes of number."""
    from lendguard.sim.people import borrower_ids

    rng = ctx.rng("phone_changes")
    n = ctx.borrowers
    ring = np.flatnonzero(ctx["takeover_mode"] == 1)
    ordinary = np.flatnonzero((rng.random(n) < 0.03) & ~ctx["ring_taken"])
    reg = ctx["registered_s"][ordinary]
    when = np.concatenate(
        [
            ctx["takeover_s"][ring],
            (reg // DAY + ((AS_OF_DAY - reg // DAY) * rng.random(len(ordinary))).astype(np.int64)) * DAY
            + rng.integers(8 * 3600, 22 * 3600, len(ordinary)),
        ]
    )
    who = np.concatenate([ring, ordinary])
    new = np.concatenate([ctx["takeover_phone"][ring], phones.draw(rng, len(ordinary))])
    old = ctx["phone"][who]
    order = np.lexsort((who, when))
    who, when, new, old = who[order], when[order], new[order], old[order]
    ctx["changes"] = (who, when, new)
    k = len(who)
    return {
        "borrower_id": borrower_ids(who),
        "old_phone": phones.in_forms(old, phones.random_forms(rng, k, 0.1)),
        "new_phone": phones.in_forms(new, phones.random_forms(rng, k, 0.1)),
        "changed_at": writer.timestamps(when),
    }


def build_account_events(ctx: WorldContext, rings: list[Ring]) -> dict[str, pa.Array]:
    """``account_events.csv``: every change of number, agents' follow-up requests, and ordinary events."""
    from lendguard.sim.people import borrower_ids

    rng = ctx.rng("account_events")
    who_c, when_c, _ = ctx["changes"]
    rows_who = [who_c]
    rows_at = [when_c]
    rows_kind = [np.zeros(len(who_c), dtype=np.int64)]
    # Agents follow a takeover with a cease or repayment-plan request a few days later.
    taken = np.flatnonzero(ctx["takeover_mode"] > 0)
    ask = taken[rng.random(len(taken)) < 0.75]
    rows_who.append(ask)
    rows_at.append(ctx["takeover_s"][ask] + rng.integers(DAY // 2, 5 * DAY, len(ask)))
    rows_kind.append(np.where(rng.random(len(ask)) < 0.6, 2, 1))
    poa = taken[rng.random(len(taken)) < 0.2]
    rows_who.append(poa)
    rows_at.append(ctx["takeover_s"][poa] + rng.integers(DAY, 3 * DAY, len(poa)))
    rows_kind.append(np.full(len(poa), 3))
    for ring in rings:
        if ring.kind == "decoy_law_firm":
            rows_who.append(ring.members)
            rows_at.append((AS_OF_DAY - rng.integers(120, 200, len(ring.members))) * DAY + 11 * 3600)
            rows_kind.append(np.full(len(ring.members), 3))
    n = ctx.borrowers
    behind = np.zeros(n, dtype=bool)
    behind[ctx["loan_owner"][ctx["loan_dpd"] > 0]] = True
    plain = ~ctx["ring_taken"]
    for event_kind, p in ((1, 0.08), (2, 0.01), (4, 0.02)):
        who = np.flatnonzero(plain & behind & (rng.random(n) < p))
        rows_who.append(who)
        rows_at.append((AS_OF_DAY - rng.integers(1, 90, len(who))) * DAY + rng.integers(8 * 3600, 22 * 3600, len(who)))
        rows_kind.append(np.full(len(who), event_kind))
    who = np.concatenate(rows_who)
    at = np.minimum(np.concatenate(rows_at), AS_OF_DAY * DAY - 1)
    kind = np.concatenate(rows_kind)
    order = np.lexsort((kind, who, at))
    who, at, kind = who[order], at[order], kind[order]
    zh = rng.random(len(who)) < 0.5
    detail = writer.where(
        zh,
        writer.pick([d[1] for d in EVENT_DETAILS], kind),
        writer.pick([d[0] for d in EVENT_DETAILS], kind),
    )
    return {
        "borrower_id": borrower_ids(who),
        "at": writer.timestamps(at),
        "kind": writer.pick(EVENT_KINDS, kind),
        "detail": detail,
    }
