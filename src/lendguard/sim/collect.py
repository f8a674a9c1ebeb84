"""Collection attempts on overdue loans, their messages and call outcomes, and the rule breaches.

Ordinary attempts fall on distinct days in daytime; planted bursts break the China rules (calls in the
22:00-08:00 quiet period of the debtor's local time, more than 3 connected calls to a debtor in a day,
more than 6 unanswered calls to one number in a day, calls to unrelated people from the address book).
The ground truth is computed from the attempts by :mod:`lendguard.sim.violations`, not assumed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import messages, writer
from lendguard.sim.context import AGENCIES, AS_OF_DAY, DAY, LENDERS, WorldContext

CHANNELS = ("call", "sms", "email", "letter", "visit", "app_message")
ROLES = ("debtor", "designated_contact", "related_third_party", "unrelated_third_party", "employer", "attorney")
OUTCOMES = ("conversation", "no_answer", "voicemail", "message_left", "busy", "not_in_service", "delivered", "failed")
CALL_OUTCOME_P = np.array([0.35, 0.4, 0.1, 0.0, 0.1, 0.05, 0.0, 0.0])


def build_attempts(ctx: WorldContext) -> None:
    """Attempts (arrays in ``ctx['att']``), ordered by time."""
    rng = ctx.rng("attempts")
    dpd = ctx["loan_dpd"]
    loans = np.flatnonzero(dpd > 0)
    window = np.minimum(dpd[loans], 60)
    count = np.minimum(1 + window // 10, window).astype(np.int64)
    loan = np.repeat(loans, count)
    k = _ragged(count)
    width = np.repeat(window / count, count)
    day = AS_OF_DAY - 1 - (np.floor(k * width) + np.floor(rng.random(len(k)) * width)).astype(np.int64)
    at = day * DAY + rng.integers(10 * 3600, 20 * 3600 + 1800, len(k))
    channel = rng.choice(len(CHANNELS), size=len(k), p=[0.7, 0.18, 0.04, 0.02, 0.01, 0.05])
    role = np.where(np.isin(channel, (0, 1)) & (rng.random(len(k)) < 0.08), 1, 0)
    blocks = [(loan, at, channel, role)]

    def pick_loans(share: float) -> np.ndarray:
        return loans[rng.random(len(loans)) < share]

    # Planted breaches.
    hot = pick_loans(0.02)  # 4-6 connected calls in one day
    reps = rng.integers(4, 7, len(hot))
    hot_loan = np.repeat(hot, reps)
    hot_day = np.repeat(AS_OF_DAY - 1 - (rng.random(len(hot)) * np.minimum(dpd[hot], 60)).astype(np.int64), reps)
    hot_at = hot_day * DAY + 10 * 3600 + _ragged(reps) * 5400 + rng.integers(0, 1200, len(hot_loan))
    blocks.append((hot_loan, hot_at, np.zeros(len(hot_loan), np.int64), np.zeros(len(hot_loan), np.int64)))
    busy = pick_loans(0.015)  # 7-10 unanswered calls to one number in one day
    reps = rng.integers(7, 11, len(busy))
    busy_loan = np.repeat(busy, reps)
    busy_day = np.repeat(AS_OF_DAY - 1 - (rng.random(len(busy)) * np.minimum(dpd[busy], 60)).astype(np.int64), reps)
    busy_at = busy_day * DAY + 10 * 3600 + _ragged(reps) * 2400 + rng.integers(0, 600, len(busy_loan))
    blocks.append((busy_loan, busy_at, np.zeros(len(busy_loan), np.int64), np.full(len(busy_loan), -1)))
    night = pick_loans(0.015)  # one call in the quiet period (Beijing time; Urumqi is two hours behind)
    night_day = AS_OF_DAY - 2 - (rng.random(len(night)) * np.minimum(dpd[night], 60)).astype(np.int64)
    late = rng.random(len(night)) < 0.5
    night_at = night_day * DAY + np.where(
        late,
        rng.integers(22 * 3600 + 300, 24 * 3600 - 60, len(night)),
        rng.integers(6 * 3600, 7 * 3600 + 3000, len(night)),
    )
    blocks.append((night, night_at, np.zeros(len(night), np.int64), np.zeros(len(night), np.int64)))
    stranger = pick_loans(0.01)  # a call to someone in the address book who was never designated
    s_day = AS_OF_DAY - 1 - (rng.random(len(stranger)) * np.minimum(dpd[stranger], 60)).astype(np.int64)
    s_at = s_day * DAY + rng.integers(10 * 3600, 19 * 3600, len(stranger))
    blocks.append((stranger, s_at, np.zeros(len(stranger), np.int64), np.full(len(stranger), 3)))

    loan = np.concatenate([b[0] for b in blocks])
    at = np.concatenate([b[1] for b in blocks])
    channel = np.concatenate([b[2] for b in blocks])
    role = np.concatenate([b[3] for b in blocks])
    forced_no_answer = role == -1
    role = np.where(forced_no_answer, 0, role)
    order = np.lexsort((loan, at))
    loan, at, channel, role, forced_no_answer = (
        loan[order],
        at[order],
        channel[order],
        role[order],
        forced_no_answer[order],
    )
    n = len(loan)
    owner = ctx["loan_owner"][loan]
    # Outcomes: a taken-over debtor's calls are answered (by the agent) once the takeover happened.
    call = channel == 0
    taken = (ctx["takeover_mode"][owner] > 0) & (at > ctx["takeover_s"][owner])
    outcome = rng.choice(len(OUTCOMES), size=n, p=CALL_OUTCOME_P)
    outcome = np.where(taken & (rng.random(n) < 0.85), 0, outcome)
    outcome = np.where(np.isin(channel, (1, 2, 5)), np.where(rng.random(n) < 0.95, 6, 7), outcome)
    outcome = np.where(channel == 3, 6, np.where(channel == 4, 0, outcome))
    hot_rows = np.isin(order, np.arange(len(blocks[0][0]), len(blocks[0][0]) + len(hot_loan)))
    outcome = np.where(hot_rows, 0, outcome)
    outcome = np.where(forced_no_answer, 1, outcome)
    duration = np.where(call & (outcome == 0), rng.integers(20, 600, n), 0)
    duration = np.where(channel == 4, rng.integers(600, 2400, n), duration)
    # Loans in M2 or later go to an outside agency half of the time (its calls count for the lender).
    agency = np.where((ctx["loan_stage"][loan] >= 2) & (loan % 2 == 0), ctx["lender"][owner] % len(AGENCIES), -1)
    collector = rng.integers(1, 41, n)
    # The person: the debtor, one of their designated contacts, or an address-book stranger.
    dc_first = np.searchsorted(ctx["dc_owner"], owner)
    ab_first = np.searchsorted(ctx["ab_owner"], owner)
    ctx["att"] = {
        "loan": loan,
        "owner": owner,
        "at": at,
        "channel": channel,
        "role": role,
        "outcome": outcome,
        "duration": duration,
        "agency": agency,
        "collector": collector,
        "dc": dc_first,
        "ab": ab_first,
        "taken": taken,
    }


def _ragged(count: np.ndarray) -> np.ndarray:
    """0..count[i]-1 for every i, concatenated."""
    total = int(count.sum())
    out = np.ones(total, dtype=np.int64)
    if total == 0:
        return out
    ends = np.cumsum(count)[:-1]
    out[0] = 0
    out[ends] = 1 - count[:-1]
    return np.cumsum(out)


def dialled_numbers(ctx: WorldContext) -> np.ndarray:
    """The number each attempt used: the debtor's number on file at the time, or the contact's."""
    att = ctx["att"]
    owner, at = att["owner"], att["at"]
    n = ctx.borrowers
    change_s = np.full(n, np.iinfo(np.int64).max)
    change_to = np.zeros(n, dtype=np.int64)
    who, when, new = ctx["changes"]
    change_s[who] = when
    change_to[who] = new
    on_file = np.where(at > change_s[owner], change_to[owner], ctx["phone"][owner])
    number = np.where(att["role"] == 1, ctx["dc_phone"][att["dc"]], on_file)
    return np.where(att["role"] == 3, ctx["ab_phone"][att["ab"]], number)


def attempt_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``collection_attempts.csv``."""
    from lendguard.sim.contacts import book_person_ids, contact_ids
    from lendguard.sim.loans import loan_ids
    from lendguard.sim.people import borrower_ids

    att = ctx["att"]
    n = len(att["loan"])
    owner = att["owner"]
    number = dialled_numbers(ctx)
    ctx["att_number"] = number
    org = np.where(att["agency"] >= 0, len(LENDERS) + att["agency"], ctx["lender"][owner])
    orgs = [c for c, _ in LENDERS] + [a for a, _ in AGENCIES]
    role = att["role"]
    person = writer.assemble(
        np.where(role == 1, 1, np.where(role == 3, 2, 0)),
        [
            lambda rows: borrower_ids(owner[rows]),
            lambda rows: contact_ids(att["dc"][rows]),
            lambda rows: book_person_ids(att["ab"][rows]),
        ],
    )
    channel = att["channel"]
    used = writer.assemble(
        np.where(channel == 2, 1, np.where(np.isin(channel, (3, 4)), 2, 0)),
        [
            lambda rows: writer.digits(number[rows], 11),
            lambda rows: ctx["email"].take(pa.array(owner[rows])),
            lambda rows: ctx["address"].take(pa.array(owner[rows])),
        ],
    )
    recorded = np.isin(channel, (0, 4)) & (att["outcome"] == 0)
    return {
        "attempt_id": writer.digits(np.arange(n) + 1, 9, "AT"),
        "borrower_id": borrower_ids(owner),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][owner]),
        "loan_id": loan_ids(att["loan"]),
        "agency_id": writer.pick([a for a, _ in AGENCIES], np.maximum(att["agency"], 0), valid=att["agency"] >= 0),
        "collector_id": writer.cat(writer.pick(orgs, org), "-C", writer.digits(att["collector"], 3)),
        "channel": writer.pick(CHANNELS, channel),
        "person_id": person,
        "role": writer.pick(ROLES, att["role"]),
        "number": used,
        "at": writer.timestamps(att["at"]),
        "outcome": writer.pick(OUTCOMES, att["outcome"]),
        "duration_s": writer.ints(att["duration"]),
        "recording_ref": writer.nullable(writer.digits(np.arange(n) + 1, 9, "REC-AT"), recorded),
    }


def message_columns(ctx: WorldContext) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
    """``collection_messages.csv`` (one message per text attempt) and ``truth/abusive_messages.csv``."""
    from lendguard.sim.people import borrower_ids
    from lendguard.sim.texts import fill

    rng = ctx.rng("messages")
    att = ctx["att"]
    rows = np.flatnonzero(np.isin(att["channel"], (1, 2, 5)))
    k = len(rows)
    owner = att["owner"][rows]
    third = att["role"][rows] != 0
    english = rng.random(k) < 0.12
    agency = att["agency"][rows] >= 0
    abusive = rng.random(k) < np.where(agency, 0.14, 0.06)
    cats = list(messages.ABUSIVE_ZH)
    category = np.where(third, cats.index("disclosure"), rng.integers(0, len(cats), k))
    category = np.where(category == cats.index("disclosure"), np.where(third, category, 0), category)
    abusive = abusive | (third & (rng.random(k) < 0.3))
    zh_t = list(messages.LAWFUL_ZH) + [t for c in cats for t in messages.ABUSIVE_ZH[c][:1]]
    en_t = list(messages.LAWFUL_EN) + [t for c in cats for t in messages.ABUSIVE_EN[c][:1]]
    lawful_zh = rng.integers(0, len(messages.LAWFUL_ZH), k)
    lawful_en = rng.integers(0, len(messages.LAWFUL_EN), k)
    # Lawful messages to third parties never mention the debt.
    third_lawful = "您好，请转告{name}尽快回电{lender}客服，谢谢。"
    zh_t.append(third_lawful)
    en_t.append("Hello, please ask {name} to call {lender} customer service. Thank you.")
    zh_choice = np.where(abusive, len(messages.LAWFUL_ZH) + category, np.where(third, len(zh_t) - 1, lawful_zh))
    en_choice = np.where(abusive, len(messages.LAWFUL_EN) + category, np.where(third, len(en_t) - 1, lawful_en))
    loan = att["loan"][rows]
    goods = rng.integers(0, len(messages.GOODS_ZH), k)
    slots = {
        "name": ctx["name"].take(pa.array(owner)),
        "amount": writer.ints(np.maximum(ctx["loan_outstanding"][loan] // 100, 1)),
        "days": writer.ints(ctx["loan_dpd"][loan]),
        "lender": writer.pick([name for _, name in LENDERS], ctx["lender"][owner]),
        "goods": writer.where(english, writer.pick(messages.GOODS_EN, goods), writer.pick(messages.GOODS_ZH, goods)),
        "idtail": writer.digits(rng.integers(0, 10000, k), 4),
    }
    text = writer.where(english, fill(en_t, en_choice, slots), fill(zh_t, zh_choice, slots))
    message_id = writer.digits(np.arange(k) + 1, 9, "MS")
    party = np.where(att["role"][rows] == 1, 1, np.where(third, 2, 0))
    columns = {
        "message_id": message_id,
        "attempt_id": writer.digits(rows + 1, 9, "AT"),
        "borrower_id": borrower_ids(owner),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][owner]),
        "party": writer.pick(("debtor", "designated_contact", "third_party"), party),
        "lang": writer.pick(("zh", "en"), english),
        "text": text,
    }
    bad = np.flatnonzero(abusive)
    truth = {"message_id": message_id.take(pa.array(bad)), "category": writer.pick(cats, category[bad])}
    return columns, truth
