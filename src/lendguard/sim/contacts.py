"""Designated contacts (named by the borrower, with consent), raw address books, and consents.

Address-book entries are what a lending app could scrape from a phone; the world writes them only so
that the platform can prove it never contacts those people (collection attempts to them are
violations in the ground truth).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import names, phones, writer
from lendguard.sim.context import AGENCIES, AS_OF_DAY, BUREAU, DAY, LENDERS, WorldContext

RELATIONS = ("spouse", "parent", "sibling", "child", "friend", "colleague")
RELATION_P = np.array([0.3, 0.32, 0.15, 0.05, 0.12, 0.06])
# How a borrower labels people in the phone's address book (kinship terms, roles, or names).
BOOK_LABELS = ("妈妈", "爸爸", "老婆", "老公", "哥", "姐", "王经理", "李总", "房东", "同事小张", "刘老师", "快递")


def build_contacts(ctx: WorldContext) -> None:
    """Designated contacts and address-book entries into ``ctx``."""
    rng = ctx.rng("contacts")
    n = ctx.borrowers
    per = 1 + (rng.random(n) < 0.35)
    owner = np.repeat(np.arange(n), per)
    k = len(owner)
    relation = rng.choice(len(RELATIONS), size=k, p=RELATION_P)
    male = rng.random(k) < 0.5
    cname, _, g1, g2 = names.draw_names(rng, male)
    # Parents, siblings and children usually share the borrower's surname.
    kin = np.isin(relation, (1, 2, 3))
    cname = writer.where(kin, names.names_from(ctx["surname"][owner], g1, g2, male), cname)
    ctx["dc_owner"], ctx["dc_phone"], ctx["dc_relation"], ctx["dc_name"] = owner, phones.draw(rng, k), relation, cname
    ctx["dc_consented_s"] = ctx["registered_s"][owner] + rng.integers(60, 1800, k)
    # Address books: the designated contacts plus 1-4 other people (never to be contacted).
    others = rng.integers(1, 5, n)
    ab_owner = np.repeat(np.arange(n), others)
    m = len(ab_owner)
    ab_male = rng.random(m) < 0.5
    ab_name, _, _, _ = names.draw_names(rng, ab_male)
    labelled = rng.random(m) < 0.3
    ab_name = writer.where(labelled, writer.pick(BOOK_LABELS, rng.integers(0, len(BOOK_LABELS), m)), ab_name)
    ctx["ab_owner"], ctx["ab_name"], ctx["ab_phone"] = ab_owner, ab_name, phones.draw(rng, m)


def contact_ids(index: np.ndarray) -> pa.Array:
    """Designated-contact ids ``DC00000001`` ..."""
    return writer.digits(np.asarray(index) + 1, 8, "DC")


def book_person_ids(index: np.ndarray) -> pa.Array:
    """Ids of address-book people (used as ``person_id`` when a collector wrongly calls one)."""
    return writer.digits(np.asarray(index) + 1, 8, "AB")


def designated_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``designated_contacts.csv``."""
    from lendguard.sim.people import borrower_ids

    owner = ctx["dc_owner"]
    return {
        "contact_id": contact_ids(np.arange(len(owner))),
        "borrower_id": borrower_ids(owner),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][owner]),
        "name": ctx["dc_name"],
        "phone": phones.as_text(ctx["dc_phone"]),
        "relation": writer.pick(RELATIONS, ctx["dc_relation"]),
        "consented_at": writer.timestamps(ctx["dc_consented_s"]),
    }


def address_book_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``address_book.csv``: designated contacts (as saved) and everyone else."""
    from lendguard.sim.people import borrower_ids

    owner = np.concatenate([ctx["dc_owner"], ctx["ab_owner"]])
    order = np.argsort(owner, kind="stable")
    name = pa.concat_arrays([ctx["dc_name"], ctx["ab_name"]]).take(pa.array(order))
    phone = np.concatenate([ctx["dc_phone"], ctx["ab_phone"]])[order]
    owner = owner[order]
    return {
        "borrower_id": borrower_ids(owner),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][owner]),
        "entry_name": name,
        "phone": phones.as_text(phone),
    }


PURPOSES = (
    "identity_verification",
    "credit_assessment",
    "loan_servicing",
    "collection",
    "credit_reporting",
    "marketing",
)
CATEGORIES = ("identity", "contact", "bank_card", "device", "designated_contacts", "credit_report")
METHODS = ("app_checkbox", "app_signature", "phone_recorded", "paper")
NOTICES = ("2024.1", "2025.1", "2025.2")


def consent_columns(ctx: WorldContext) -> dict[str, pa.Array | pa.ChunkedArray]:
    """The columns of ``consents.csv``: account, collection contacts, bureau reporting, marketing."""
    from lendguard.sim.people import borrower_ids

    rng = ctx.rng("consents")
    n = ctx.borrowers
    lender = ctx["lender"]
    reg = ctx["registered_s"]
    lender_code = writer.pick([c for c, _ in LENDERS], lender)
    agency = writer.pick([a for a, _ in AGENCIES], lender % len(AGENCIES))
    marketing = rng.random(n) < 0.25
    withdrawn = marketing & (rng.random(n) < 0.3)
    kinds = [
        ("identity_verification;credit_assessment;loan_servicing", "identity;contact;bank_card;device", lender_code),
        ("collection", "contact;designated_contacts", writer.cat(lender_code, ";", agency)),
        ("credit_assessment;credit_reporting", "identity;credit_report", writer.cat(lender_code, ";", BUREAU[0])),
        ("marketing", "contact", lender_code),
    ]
    limit = AS_OF_DAY * DAY - 1
    blocks = []
    for idx, (purposes, categories, recipients) in enumerate(kinds):
        rows = np.flatnonzero(marketing) if idx == 3 else np.arange(n)
        given = reg[rows] + idx * 30 + rng.integers(0, 30, len(rows))
        expires = (given + 365 * DAY) if idx == 2 else None
        withdrawn_s = np.minimum(given + rng.integers(5 * DAY, 200 * DAY, len(rows)), limit)
        method = rng.choice(len(METHODS), size=len(rows), p=[0.7, 0.2, 0.07, 0.03])
        blocks.append(
            {
                "borrower": rows,
                "purposes": writer.pick([purposes], np.zeros(len(rows), np.int64)),
                "categories": writer.pick([categories], np.zeros(len(rows), np.int64)),
                "recipients": writer.dense(recipients.take(pa.array(rows))),
                "method": writer.pick(METHODS, method),
                "notice_version": writer.pick(NOTICES, rng.integers(0, len(NOTICES), len(rows))),
                "given_at": writer.timestamps(given),
                "expires_at": writer.timestamps(expires) if expires is not None else pa.nulls(len(rows), pa.string()),
                "withdrawn_at": writer.timestamps(
                    withdrawn_s, valid=withdrawn[rows] & (idx == 3) & (withdrawn_s < limit)
                ),
            }
        )
    # Written block by block (account, collection, bureau, marketing consents), without re-sorting.
    borrower = np.concatenate([b["borrower"] for b in blocks])
    total = len(borrower)
    out: dict[str, pa.Array | pa.ChunkedArray] = {
        "consent_id": writer.digits(np.arange(total) + 1, 8, "CN"),
        "borrower_id": borrower_ids(borrower),
        "institution_id": writer.pick([c for c, _ in LENDERS], lender[borrower]),
    }
    for col in ("purposes", "categories", "recipients", "method", "notice_version", "given_at", "expires_at"):
        out[col] = pa.chunked_array([b[col] for b in blocks])
    out["withdrawn_at"] = pa.chunked_array([b["withdrawn_at"] for b in blocks])
    return out
