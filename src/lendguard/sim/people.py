"""Borrowers: names, ID numbers, phones, e-mail, addresses, bank cards; and the institutions file."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import geo, ids, names, phones, writer
from lendguard.sim.context import AGENCIES, AS_OF_DAY, BUREAU, DAY, INDUSTRY_BODY, LENDER_SHARE, LENDERS, WorldContext


def institutions() -> dict[str, pa.Array]:
    """Lenders, the credit bureau, the industry body and the collection agencies."""
    rows = (
        [(code, name, "lender") for code, name in LENDERS]
        + [(BUREAU[0], BUREAU[1], "credit_bureau"), (INDUSTRY_BODY[0], INDUSTRY_BODY[1], "industry_body")]
        + [(code, name, "collection_agency") for code, name in AGENCIES]
    )
    return {
        "institution_id": pa.array([r[0] for r in rows], pa.string()),
        "name": pa.array([r[1] for r in rows], pa.string()),
        "kind": pa.array([r[2] for r in rows], pa.string()),
    }


def build_borrowers(ctx: WorldContext) -> None:
    """Draw every borrower's attributes into ``ctx`` (strings are built at write time)."""
    n = ctx.borrowers
    rng = ctx.rng("borrowers")
    ctx["lender"] = rng.choice(len(LENDERS), size=n, p=LENDER_SHARE)
    male = rng.random(n) < 0.56
    ctx["male"] = male
    ctx["name"], ctx["surname"], ctx["given1"], ctx["given2"] = names.draw_names(rng, male)
    district = rng.choice(len(geo.DISTRICTS), size=n, p=geo.district_weights())
    ctx["district"] = district
    # Ages 20-60 on the as-of day: birth day drawn so that the age in whole years is in [20, 59].
    age_days = rng.integers(int(20 * 365.25) + 1, int(60 * 365.25) - 1, n)
    ctx["birth_day"] = AS_OF_DAY - age_days
    xinjiang = np.array([d.province == geo.XINJIANG for d in geo.DISTRICTS])[district]
    ctx["urumqi"] = xinjiang & (rng.random(n) < geo.URUMQI_SHARE_IN_XINJIANG)
    ctx["phone"] = phones.draw(rng, n, mvno_share=0.03)
    ctx["registered_s"] = (AS_OF_DAY - rng.integers(60, 900, n)) * DAY + rng.integers(7 * 3600, 23 * 3600, n)
    ctx["id_seq"] = rng.integers(0, 500, n) * 2 + male  # odd last digit for men (GB 11643)
    ctx["email_rng_seed"] = int(rng.integers(0, 2**31))
    ctx["address_parts"] = (
        rng.integers(0, len(geo.ROADS), n),
        rng.integers(1, 999, n),
        rng.integers(0, len(geo.ESTATE_HEADS), n),
        rng.integers(0, len(geo.ESTATES), n),
        rng.integers(1, 30, n),
        rng.integers(1, 33, n) * 100 + rng.integers(1, 6, n),
    )
    ctx["card_rng_seed"] = int(rng.integers(0, 2**31))


def borrower_ids(index: np.ndarray) -> pa.Array:
    """World borrower ids ``B0000001`` ... (7 digits cover a million borrowers)."""
    return writer.digits(np.asarray(index) + 1, 7, "B")


def addresses(ctx: WorldContext) -> pa.Array:
    """Street addresses consistent with the borrower's district."""
    road, number, head, estate, building, room = ctx["address_parts"]
    district = ctx["district"]
    place = [d.province + (d.city if d.city != d.province[:-1] + "市" else "") + d.district for d in geo.DISTRICTS]
    return writer.cat(
        writer.pick(place, district),
        writer.pick(geo.ROADS, road),
        writer.ints(number),
        "号",
        writer.pick(geo.ESTATE_HEADS, head),
        writer.pick(geo.ESTATES, estate),
        writer.ints(building),
        "栋",
        writer.ints(room),
        "室",
    )


def borrower_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``borrowers.csv``."""
    n = ctx.borrowers
    district = ctx["district"]
    codes = np.array([d.code for d in geo.DISTRICTS], dtype=np.int64)
    email_rng = np.random.default_rng(ctx["email_rng_seed"])
    return {
        "borrower_id": borrower_ids(np.arange(n)),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"]),
        "phone": phones.as_text(ctx["phone"]),
        "email": ctx["email"]
        if "email" in ctx.arrays
        else names.draw_emails(email_rng, ctx["surname"], ctx["given1"], ctx["given2"], ctx["male"]),
        "registered_at": writer.timestamps(ctx["registered_s"]),
        "name": ctx["name"],
        "id_number": ids.id_numbers(codes[district], ctx["birth_day"], ctx["id_seq"]),
        "province": writer.pick([d.province for d in geo.DISTRICTS], district),
        "city": writer.pick([d.city for d in geo.DISTRICTS], district),
        "timezone": writer.pick(("Asia/Shanghai", "Asia/Urumqi"), ctx["urumqi"]),
        "address": ctx["address"] if "address" in ctx.arrays else addresses(ctx),
        "bank_card": ids.card_numbers(np.random.default_rng(ctx["card_rng_seed"]), n),
    }
