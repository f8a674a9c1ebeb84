"""Loans, repayment schedules, repayments and delinquency.

Every borrower has one loan and one in eight a second one at the same lender. A defaulting loan stops paying
at some instalment; days past due count from the first unpaid due date to the as-of day, and the
stage follows ``lending.model.stage_for`` (M1 1-30, M2 31-60, M3+ beyond; written off beyond 180).
Amounts are integer cents throughout; schedules round cumulative amounts so they sum exactly.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lendguard.sim import writer
from lendguard.sim.context import AS_OF_DAY, DAY, LENDERS, WorldContext, days_from_civil

WRITE_OFF_DAYS = 180
# name, min/max principal (yuan), nominal annual rate, instalments, frequency, upfront fee share,
# fee per period (share of principal), weight. The two fee products imitate the "interest-free
# instalments" that cost 29,000 yuan over 24 payments of 1,524 (see DESIGN.md).
PRODUCTS = (
    ("cash_loan_12m", 3000, 50000, 0.216, 12, "monthly", 0.0, 0.0, 0.24),
    ("cash_loan_6m", 1000, 20000, 0.24, 6, "monthly", 0.0, 0.0, 0.28),
    ("bnpl_3_interest_free", 500, 8000, 0.0, 3, "monthly", 0.0, 0.015, 0.28),
    ("consumer_24_interest_free", 10000, 50000, 0.0, 24, "monthly", 0.0, 0.0108851, 0.06),
    ("micro_loan_8w", 500, 3000, 0.24, 8, "weekly", 0.05, 0.0, 0.14),
)
PRODUCT_P = np.array([p[8] for p in PRODUCTS]) / sum(p[8] for p in PRODUCTS)


def build_loans(ctx: WorldContext) -> None:
    """Loans and their instalments, with repayment and delinquency, into ``ctx``."""
    rng = ctx.rng("loans")
    n = ctx.borrowers
    second = np.flatnonzero(rng.random(n) < 0.12)
    owner = np.sort(np.concatenate([np.arange(n), second]))
    m = len(owner)
    product = rng.choice(len(PRODUCTS), size=m, p=PRODUCT_P)
    lo = np.array([p[1] for p in PRODUCTS])[product]
    hi = np.array([p[2] for p in PRODUCTS])[product]
    principal_yuan = (lo + (hi - lo) * rng.random(m) ** 1.6) // 100 * 100
    # A share of the 24-instalment product is the 29,000 yuan case of the press reports.
    principal_yuan = np.where((product == 3) & (rng.random(m) < 0.3), 29000, principal_yuan)
    principal = principal_yuan.astype(np.int64) * 100
    count = np.array([p[4] for p in PRODUCTS])[product]
    weekly = np.array([p[5] == "weekly" for p in PRODUCTS])[product]
    rate = np.array([p[3] for p in PRODUCTS])[product]
    upfront = np.round(principal * np.array([p[6] for p in PRODUCTS])[product]).astype(np.int64)
    fee_period = np.round(principal * np.array([p[7] for p in PRODUCTS])[product]).astype(np.int64)
    reg_day = ctx["registered_s"][owner] // DAY
    # Disbursed after registration and at least a week before the as-of day; later loans more likely.
    span = np.maximum(AS_OF_DAY - 7 - reg_day, 1)
    disbursed_day = reg_day + (span * rng.random(m) ** 0.7).astype(np.int64)
    disbursed_s = disbursed_day * DAY + rng.integers(9 * 3600, 22 * 3600, m)

    # Schedule: one row per instalment.
    loan_of = np.repeat(np.arange(m), count)
    k = _ragged_seq(count)
    y, mo, d = writer.civil_parts(disbursed_day)
    months = mo[loan_of] - 1 + k
    due_monthly = days_from_civil(y[loan_of] + months // 12, months % 12 + 1, np.minimum(d[loan_of], 28))
    due = np.where(weekly[loan_of], disbursed_day[loan_of] + 7 * k, due_monthly)
    period_rate = np.array([p[3] / (52 if p[5] == "weekly" else 12) for p in PRODUCTS])
    r = period_rate[product][loan_of]
    # Equal instalments (等额本息): the share of principal repaid after k periods depends only on the
    # product, so it is tabulated per (product, k) and gathered; interest-free products repay evenly.
    longest = max(p[4] for p in PRODUCTS)
    share = np.zeros((len(PRODUCTS), longest + 1))
    for j, prod in enumerate(PRODUCTS):
        steps = np.arange(longest + 1, dtype=np.float64)
        rate_j, count_j = period_rate[j], prod[4]
        if rate_j > 0:
            share[j] = ((1 + rate_j) ** steps - 1) / ((1 + rate_j) ** count_j - 1)
        else:
            share[j] = steps / count_j
    cum_cents = np.round(principal[loan_of] * share[product[loan_of], k]).astype(np.int64)
    principal_due = np.diff(np.concatenate([[0], cum_cents]))
    principal_due[k == 1] = cum_cents[k == 1]
    balance_before = principal[loan_of] - (cum_cents - principal_due)
    interest_due = np.round(balance_before * r).astype(np.int64)
    fee_due = fee_period[loan_of]
    amount_due = principal_due + interest_due + fee_due

    # Repayment behaviour: a defaulting loan stops at instalment ``stop`` (1-based); others pay all.
    defaults = rng.random(m) < 0.3
    stop = np.where(defaults, 1 + (rng.random(m) * count).astype(np.int64), count + 1)
    ctx["loan_stop"] = stop
    unpaid = (k >= stop[loan_of]) | (due >= AS_OF_DAY)
    late = rng.random(len(k)) < 0.12
    paid_day = due + np.where(late, rng.integers(1, 20, len(k)), -rng.integers(0, 3, len(k)))
    paid_ok = ~unpaid & (paid_day < AS_OF_DAY)
    partial = (k == stop[loan_of]) & (due < AS_OF_DAY) & (rng.random(len(k)) < 0.25)
    paid_amount = np.where(paid_ok, amount_due, np.where(partial, amount_due * 3 // 10, 0))
    paid_s = paid_day * DAY + rng.integers(8 * 3600, 23 * 3600, len(k))
    paid_s = np.where(partial, (due + 2) * DAY + 12 * 3600, paid_s)

    # Delinquency: the first due instalment that was not paid in full.
    overdue_row = (paid_amount < amount_due) & (due < AS_OF_DAY)
    first_overdue = np.full(m, -1, dtype=np.int64)
    rows = np.flatnonzero(overdue_row)
    first_loans, first_at = np.unique(loan_of[rows], return_index=True)  # rows are sorted by loan, seq
    first_overdue[first_loans] = due[rows][first_at]
    dpd = np.where(first_overdue >= 0, AS_OF_DAY - first_overdue, 0)
    outstanding = np.bincount(loan_of, weights=amount_due - paid_amount, minlength=m).astype(np.int64)
    all_paid = outstanding == 0
    written_off = dpd > WRITE_OFF_DAYS
    status = np.where(written_off, 3, np.where(dpd > 0, 1, np.where(all_paid, 2, 0)))
    stage = np.where(written_off, 4, np.where(dpd == 0, 0, np.where(dpd <= 30, 1, np.where(dpd <= 60, 2, 3))))

    ctx["loan_owner"], ctx["loan_product"], ctx["loan_dpd"], ctx["loan_stage"] = owner, product, dpd, stage
    ctx["loan_status"], ctx["loan_outstanding"], ctx["loan_principal"] = status, outstanding, principal
    ctx["loan_disbursed_s"], ctx["loan_upfront"], ctx["loan_fee_period"] = disbursed_s, upfront, fee_period
    ctx["loan_rate"], ctx["loan_count"], ctx["loan_weekly"] = rate, count, weekly
    ctx["inst"] = {
        "loan": loan_of,
        "seq": k,
        "due": due,
        "principal": principal_due,
        "interest": interest_due,
        "fee": fee_due,
        "paid": paid_amount,
        "paid_s": paid_s,
    }


def _ragged_seq(count: np.ndarray) -> np.ndarray:
    """1..count[i] for every i, concatenated."""
    total = int(count.sum())
    ends = np.cumsum(count)
    out = np.ones(total, dtype=np.int64)
    out[ends[:-1]] = 1 - count[:-1]
    return np.cumsum(out)


STAGES = ("current", "M1", "M2", "M3+", "written_off")
STATUSES = ("current", "overdue", "paid_off", "written_off")


def loan_ids(index: np.ndarray) -> pa.Array:
    """World loan ids ``LN00000001`` ..."""
    return writer.digits(np.asarray(index) + 1, 8, "LN")


def loan_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``loans.csv``."""
    from lendguard.sim.people import borrower_ids

    owner = ctx["loan_owner"]
    m = len(owner)
    rate_text = pa.array([f"{p[3]:.6f}" for p in PRODUCTS]).take(pa.array(ctx["loan_product"]))
    return {
        "loan_id": loan_ids(np.arange(m)),
        "borrower_id": borrower_ids(owner),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][owner]),
        "product": writer.pick([p[0] for p in PRODUCTS], ctx["loan_product"]),
        "principal": writer.money(ctx["loan_principal"]),
        "nominal_rate": rate_text,
        "instalment_count": writer.ints(ctx["loan_count"]),
        "frequency": writer.pick(("monthly", "weekly"), ctx["loan_weekly"]),
        "disbursed_at": writer.timestamps(ctx["loan_disbursed_s"]),
        "upfront_fee": writer.money(ctx["loan_upfront"]),
        "fee_per_period": writer.money(ctx["loan_fee_period"]),
        "status": writer.pick(STATUSES, ctx["loan_status"]),
        "days_past_due": writer.ints(ctx["loan_dpd"]),
        "stage": writer.pick(STAGES, ctx["loan_stage"]),
        "outstanding": writer.money(ctx["loan_outstanding"]),
    }


def instalment_columns(ctx: WorldContext) -> dict[str, pa.Array]:
    """The columns of ``instalments.csv``."""
    inst = ctx["inst"]
    loan = inst["loan"]
    paid = inst["paid"] > 0
    return {
        "loan_id": loan_ids(loan),
        "institution_id": writer.pick([c for c, _ in LENDERS], ctx["lender"][ctx["loan_owner"][loan]]),
        "seq": writer.ints(inst["seq"]),
        "due_date": writer.dates(inst["due"]),
        "principal_due": writer.money(inst["principal"]),
        "interest_due": writer.money(inst["interest"]),
        "fee_due": writer.money(inst["fee"]),
        "paid_amount": writer.money(inst["paid"]),
        "paid_at": writer.timestamps(inst["paid_s"], valid=paid),
    }
