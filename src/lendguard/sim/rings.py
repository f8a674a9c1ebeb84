"""Anti-collection agent rings and the decoys that must not be mistaken for them.

An agent (反催收代理) controls a pool of numbers and mailboxes, takes over debtors (their number is
changed to, or forwarded to, a pool number; a third party answers collection calls) and files
template complaints for them in bursts. Care varies: a careless agent uses one or two consecutive
virtual-operator numbers and one near-identical text; a careful one spreads many numbers inside one
block, varies sentences, channels and timing. Decoys: families sharing a phone, law firms with
individual texts, and one popular template copied by unrelated people with their own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lendguard.sim import phones
from lendguard.sim.context import AS_OF_DAY, DAY, WorldContext
from lendguard.sim.texts import RING_HEADERS, RING_POSITIONS

CARES = ("low", "medium", "high")
CARE_P = np.array([0.4, 0.35, 0.25])
VARIANT_P = (0.05, 0.3, 0.7)  # chance that a member's text uses another wording of a sentence
MAIL_STEMS = ("weiquan", "xinyong", "fawu", "zhaiwu", "xieshang", "tingcui", "huanxin", "youhua")
MAIL_DOMAINS = ("163.com", "126.com", "qq.com", "sina.com", "yeah.net")
RING_SHARE = 0.025  # of borrowers represented by agents


@dataclass
class Ring:
    """One planted group with its members and the indicators a detector should surface."""

    ring_id: str
    kind: str  # agent | decoy_family | decoy_law_firm | decoy_template
    care: str | None
    members: np.ndarray
    phones: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    emails: list[str] = field(default_factory=list)
    template: str | None = None
    segment: str | None = None
    # agent rings only: the sentence group chosen at each position and the header format
    groups: tuple[int, ...] = ()
    header: int = 0
    channel: int = 0
    start_day: int = 0


def _ring_sizes(rng: np.random.Generator, budget: int) -> list[int]:
    sizes: list[int] = []
    while budget >= 2:
        size = int(min(200, 2 + rng.pareto(1.1) * 4))
        size = min(size, budget)
        sizes.append(size)
        budget -= size
    return sizes


def _pool(rng: np.random.Generator, size: int, care: int) -> tuple[np.ndarray, str]:
    """Phone pool of an agent and the segment that gives it away."""
    count = 1 + size // (20, 6, 3)[care]
    mvno = phones.mvno_segment_indices()
    carrier = phones.carrier_segment_indices()
    use_mvno = rng.random() < (0.9, 0.6, 0.4)[care]
    seg = int(rng.choice(mvno if use_mvno else carrier))
    base = int(phones.numbers_in(rng, np.array([seg]))[0]) // 10_000 * 10_000
    if care < 2 or rng.random() < 0.5:
        # Bought as a block: consecutive numbers (careless) or spread inside one 7-digit block.
        start = base + int(rng.integers(0, 10_000 - count * 3))
        step = 1 if care == 0 else int(rng.integers(1, 3))
        numbers = start + step * np.arange(count, dtype=np.int64)
        return numbers, f"{base // 10_000:07d}"
    # Careful: scattered over virtual-operator segments; only the segment kind gives it away.
    numbers = phones.numbers_in(rng, rng.choice(mvno, size=count))
    found = phones.segment_of(f"{numbers[0]:011d}")
    return numbers, found.prefix if found else ""


def plant(ctx: WorldContext) -> list[Ring]:
    """Choose ring members and decoys; record per-borrower takeovers in ``ctx``."""
    rng = ctx.rng("rings")
    n = ctx.borrowers
    taken = np.zeros(n, dtype=bool)
    rings: list[Ring] = []

    # Decoy families first: two to four people registered with one phone and one address.
    for f in range(max(1, n // 2500)):
        size = int(rng.integers(2, 5))
        members = rng.choice(np.flatnonzero(~taken), size=size, replace=False)
        taken[members] = True
        head = members[0]
        ctx["phone"][members] = ctx["phone"][head]
        ctx["district"][members] = ctx["district"][head]
        ctx["urumqi"][members] = ctx["urumqi"][head]
        for part in ctx["address_parts"]:
            part[members] = part[head]
        rings.append(Ring(f"D{f + 1:04d}", "decoy_family", None, members, phones=ctx["phone"][[head]]))

    delinquent = np.zeros(n, dtype=bool)
    delinquent[ctx["loan_owner"][ctx["loan_dpd"] >= 10]] = True
    candidates = np.flatnonzero(delinquent & ~taken)
    rng.shuffle(candidates)
    sizes = _ring_sizes(rng, min(max(4, int(RING_SHARE * n)), len(candidates) // 2))
    groups_seen: set[tuple[int, ...]] = set()
    cursor = 0
    takeover_phone = np.zeros(n, dtype=np.int64)
    takeover_s = np.zeros(n, dtype=np.int64)
    takeover_mode = np.zeros(n, dtype=np.int8)  # 0 none, 1 number changed, 2 calls forwarded
    for r, size in enumerate(sizes):
        members = candidates[cursor : cursor + size]
        cursor += size
        taken[members] = True
        care = int(rng.choice(3, p=CARE_P))
        pool, segment = _pool(rng, size, care)
        while True:
            groups = tuple(int(rng.integers(0, len(pos))) for pos in RING_POSITIONS)
            if groups not in groups_seen or len(groups_seen) > 5000:
                groups_seen.add(groups)
                break
        stem = MAIL_STEMS[int(rng.integers(0, len(MAIL_STEMS)))]
        mail_count = 1 + size // (30, 10, 4)[care]
        domain = MAIL_DOMAINS[int(rng.integers(0, len(MAIL_DOMAINS)))]
        tag = int(rng.integers(100, 9999))
        emails = [f"{stem}{tag}{'' if k == 0 else k}@{domain}" for k in range(mail_count)]
        header = int(rng.integers(0, len(RING_HEADERS)))
        canonical = RING_HEADERS[header] + "".join(pos[g][0] for pos, g in zip(RING_POSITIONS, groups, strict=True))
        start = AS_OF_DAY - int(rng.integers(25, 160))
        ring = Ring(
            f"R{r + 1:04d}",
            "agent",
            CARES[care],
            members,
            pool,
            emails,
            canonical,
            segment,
            groups,
            header,
            int(rng.integers(0, 3)),
            start,
        )
        rings.append(ring)
        spread = (10, 30, 60)[care]
        mode = np.where(rng.random(size) < (0.8, 0.6, 0.4)[care], 1, np.where(rng.random(size) < 0.8, 2, 0)).astype(
            np.int8
        )
        takeover_mode[members] = mode
        takeover_phone[members] = pool[rng.integers(0, len(pool), size)] if care else pool[np.arange(size) % len(pool)]
        takeover_s[members] = (start + rng.integers(0, spread, size)) * DAY + rng.integers(9 * 3600, 21 * 3600, size)

    # Law firms: one number and mailbox behind a few clients' complaints, each text their own.
    firms = max(1, round(n / 200_000) + 1)
    for f in range(firms):
        pool_left = np.flatnonzero(~taken)
        members = rng.choice(pool_left, size=int(rng.integers(3, 7)), replace=False)
        taken[members] = True
        number = phones.draw(rng, 1, mvno_share=0.0)
        rings.append(Ring(f"F{f + 1:04d}", "decoy_law_firm", None, members, number, [f"contact@law{f + 1:02d}.cn"]))
    # A popular online template copied by unrelated borrowers who use their own numbers.
    copies = max(3, n // 10_000)
    members = rng.choice(np.flatnonzero(~taken), size=copies, replace=False)
    taken[members] = True
    from lendguard.sim.texts import POPULAR_TEMPLATE

    rings.append(Ring("T0001", "decoy_template", None, members, template=POPULAR_TEMPLATE))

    ctx["ring_taken"] = taken
    ctx["takeover_phone"], ctx["takeover_s"], ctx["takeover_mode"] = takeover_phone, takeover_s, takeover_mode
    return rings
