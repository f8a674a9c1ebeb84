"""Complaints, phone-number changes and account events of rings, decoys and ordinary borrowers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lendguard.sim import geo, ids, phones, texts, writer
from lendguard.sim.context import AS_OF_DAY, DAY, LENDERS, WorldContext
from lendguard.sim.rings import VARIANT_P, Ring

CHANNELS = ("hotline", "regulator", "letter", "app", "email", "platform")
RING_CHANNELS = (1, 0, 5)  # an agent's favourite channel: regulator, hotline or platform
EVENT_KINDS = ("contact_change", "repayment_plan_request", "cease_request", "power_of_attorney", "dispute")
LAST_S = AS_OF_DAY * DAY - 60


def _slots(ctx: WorldContext, who: np.ndarray, rng: np.random.Generator) -> dict[str, pa.Array]:
    """Per-row slot values for complaint texts about the borrowers ``who``."""
    owner = ctx["loan_owner"]
    first_loan = np.searchsorted(owner, who)
    codes = np.array([d.code for d in geo.DISTRICTS], dtype=np.int64)
    id_text = ids.id_numbers(codes[ctx["district"][who]], ctx["birth_day"][who], ctx["id_seq"][who])
    take = pa.array(who)
    return {
        "name": ctx["name"].take(take),
        "idtail": pc.utf8_slice_codeunits(id_text, 14),
        "date": writer.dates(ctx["loan_disbursed_s"][first_loan] // DAY),
        "amount": writer.ints(ctx["loan_principal"][first_loan] // 100),
        "lender": writer.pick([name for _, name in LENDERS], ctx["lender"][who]),
        "n": writer.ints(rng.integers(6, 37, len(who))),
    }


def _block(
    who: np.ndarray,
    filed: np.ndarray,
    channel: np.ndarray,
    phone: np.ndarray,
    form: np.ndarray,
    email: pa.Array,
    text: pa.Array,
) -> dict[str, Any]:
    return {
        "who": who,
        "filed": np.minimum(filed, LAST_S),
        "channel": channel,
        "phone": phone,
        "form": form,
        "email": email,
        "text": text,
    }


def _ring_rows(ctx: WorldContext, agents: list[Ring], rng: np.random.Generator) -> dict[str, Any]:
    """Template complaints of every agent ring, built in one vectorised pass over all members."""
    count = np.array([len(r.members) for r in agents], dtype=np.int64)
    ring_of = np.repeat(np.arange(len(agents)), count)
    members = np.concatenate([r.members for r in agents])
    care = np.array([("low", "medium", "high").index(r.care or "low") for r in agents])[ring_of]
    per = 1 + (rng.random(len(members)) < np.array([0.5, 0.3, 0.15])[care])
    who, ring_of, care = np.repeat(members, per), np.repeat(ring_of, per), np.repeat(care, per)
    k = len(who)
    start = np.array([r.start_day for r in agents])[ring_of]
    took = ctx["takeover_s"][who]
    base = np.where(ctx["takeover_mode"][who] > 0, took, start * DAY + 10 * 3600)
    filed = base + (rng.random(k) * np.array([3, 7, 14])[care] * DAY).astype(np.int64) + DAY
    favourite = np.array([RING_CHANNELS[r.channel] for r in agents])[ring_of]
    loyal = rng.random(k) < np.array([0.9, 0.7, 0.45])[care]
    channel = np.where(loyal, favourite, rng.integers(0, len(CHANNELS), k))
    number = ctx["takeover_phone"][who]
    number = np.where(number > 0, number, np.array([r.phones[0] for r in agents])[ring_of])
    form = np.where(rng.random(k) < np.array([0.1, 0.3, 0.5])[care], rng.integers(1, len(phones.FORMS), k), 0)
    mail_count = np.array([len(r.emails) for r in agents])
    mail_start = np.concatenate([[0], np.cumsum(mail_count)[:-1]])
    mail_idx = mail_start[ring_of] + (rng.random(k) * mail_count[ring_of]).astype(np.int64)
    mail = writer.pick([e for r in agents for e in r.emails], mail_idx)
    has_mail = rng.random(k) < np.array([0.8, 0.6, 0.4])[care]
    slots = _slots(ctx, who, rng)
    slots["phone"] = phones.in_forms(number, form)
    slots["email"] = mail
    vary = np.array(VARIANT_P)[care]
    header = np.array([r.header for r in agents])[ring_of]
    header = np.where(rng.random(k) < vary, rng.integers(0, len(texts.RING_HEADERS), k), header)
    parts: list[pa.Array] = [texts.fill(texts.RING_HEADERS, header, slots)]
    groups = np.array([r.groups for r in agents])[ring_of]
    for p, position in enumerate(texts.RING_POSITIONS):
        flat = [variant for group in position for variant in group]  # every group has three wordings
        variant = np.where(rng.random(k) < vary, rng.integers(0, 3, k), 0)
        parts.append(texts.fill(flat, groups[:, p] * 3 + variant, slots))
    return _block(who, filed, channel, number, form, writer.nullable(mail, has_mail), writer.cat(*parts))


def _ordinary_text(ctx: WorldContext, who: np.ndarray, rng: np.random.Generator) -> pa.Array:
    k = len(who)
    slots = _slots(ctx, who, rng)
    issues = len(texts.COMPLAINT_ISSUES)
    first = rng.integers(0, issues, k)
    other = (first + rng.integers(1, issues, k)) % issues  # a second, different issue
    second = writer.where(rng.random(k) < 0.4, writer.pick(texts.COMPLAINT_ISSUES, other), "")
    return writer.cat(
        texts.fill(texts.COMPLAINT_HEADERS, rng.integers(0, len(texts.COMPLAINT_HEADERS), k), slots),
        writer.pick(texts.COMPLAINT_ISSUES, first),
        second,
        writer.pick(texts.COMPLAINT_DETAILS, rng.integers(0, len(texts.COMPLAINT_DETAILS), k)),
        writer.pick(texts.COMPLAINT_DEMANDS, rng.integers(0, len(texts.COMPLAINT_DEMANDS), k)),
    )


def _own_contact(
    ctx: WorldContext, who: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    k = len(who)
    number = np.where(rng.random(k) < 0.8, ctx["phone"][who], 0)
    form = phones.random_forms(rng, k, 0.15)
    email = writer.nullable(ctx["email"].take(pa.array(who)), rng.random(k) < 0.3)
    return number, form, email


def build_complaints(ctx: WorldContext, rings: list[Ring]) -> dict[str, pa.Array]:
    """The columns of ``complaints.csv`` (sorted by filing time)."""
    rng = ctx.rng("complaints")
    agents = [r for r in rings if r.kind == "agent"]
    blocks = [_ring_rows(ctx, agents, rng)] if agents else []
    for ring in rings:
        if ring.kind == "decoy_law_firm":
            who = ring.members
            k = len(who)
            slots = _slots(ctx, who, rng)
            slots["firm"] = pa.array([f"{ring.ring_id[-2:]}号律师事务所"] * k)
            slots["detail"] = _ordinary_text(ctx, who, rng)
            text = texts.fill(texts.LAW_FIRM_TEMPLATES, rng.integers(0, 2, k), slots)
            filed = (AS_OF_DAY - rng.integers(5, 120, k)) * DAY + rng.integers(9 * 3600, 18 * 3600, k)
            channel = np.where(rng.random(k) < 0.5, 2, 4)
            email = pa.array([ring.emails[0]] * k)
            blocks.append(
                _block(who, filed, channel, np.repeat(ring.phones[:1], k), np.zeros(k, np.int64), email, text)
            )
        elif ring.kind == "decoy_template":
            who = ring.members
            k = len(who)
            text = texts.fill([texts.POPULAR_TEMPLATE], np.zeros(k, np.int64), _slots(ctx, who, rng))
            filed = (AS_OF_DAY - rng.integers(1, 360, k)) * DAY + rng.integers(8 * 3600, 23 * 3600, k)
            number, form, email = _own_contact(ctx, who, rng)
            blocks.append(_block(who, filed, rng.integers(0, len(CHANNELS), k), number, form, email, text))
    # Ordinary borrowers: individual complaints, more often when they are behind on payments.
    n = ctx.borrowers
    behind = np.zeros(n, dtype=bool)
    behind[ctx["loan_owner"][ctx["loan_dpd"] > 0]] = True
    p = np.where(behind, 0.3, 0.1)
    who = np.flatnonzero((rng.random(n) < p) & ~ctx["ring_taken"])
    who = np.sort(np.concatenate([who, who[rng.random(len(who)) < 0.15]]))
    k = len(who)
    # Filed after the borrower's first loan, in waking hours.
    first_day = ctx["loan_disbursed_s"][np.searchsorted(ctx["loan_owner"], who)] // DAY + 1
    filed_day = first_day + ((AS_OF_DAY - first_day) * rng.random(k)).astype(np.int64)
    filed = filed_day * DAY + rng.integers(8 * 3600, 23 * 3600, k)
    number, form, email = _own_contact(ctx, who, rng)
    channel = rng.choice(len(CHANNELS), size=k, p=[0.3, 0.15, 0.05, 0.25, 0.1, 0.15])
    blocks.append(_block(who, filed, channel, number, form, email, _ordinary_text(ctx, who, rng)))

    who = np.concatenate([b["who"] for b in blocks])
    filed = np.concatenate([b["filed"] for b in blocks])
    order = np.lexsort((who, filed))
    take = pa.array(order)
    number = np.concatenate([b["phone"] for b in blocks])[order]
    form = np.concatenate([b["form"] for b in blocks])[order]
    from lendguard.sim.people import borrower_ids

    return {
        "complaint_id": writer.digits(np.arange(len(order)) + 1, 8, "CP"),
        "borrower_id": borrower_ids(who[order]),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][who[order]]),
        "filed_at": writer.timestamps(filed[order]),
        "channel": writer.pick(CHANNELS, np.concatenate([b["channel"] for b in blocks])[order]),
        "contact_phone": writer.nullable(phones.in_forms(number, form), number > 0),
        "contact_email": pa.concat_arrays([b["email"] for b in blocks]).take(take),
        "text": pa.concat_arrays([b["text"] for b in blocks]).take(take),
    }
