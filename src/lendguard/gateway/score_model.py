"""Pure demo scorecard: a score and a summary report from the repayment history the bureau holds.

Data minimisation (PIPL art. 6; Credit Reporting Regulation art. 14 forbids collecting or passing on
more than needed): the report carries counts, ratios and bands only, never names, phone numbers,
identity numbers, loan ids or the reporting lenders' names.
"""

from __future__ import annotations

from dataclasses import dataclass

SCORE_MIN, SCORE_MAX = 300, 850


@dataclass(frozen=True)
class LoanHistory:
    """One loan as reported to the bureau, reduced to what the scorecard needs."""

    instalments_due: int
    paid_on_time: int
    paid_late: int
    unpaid: int
    days_past_due: int
    outstanding_fen: int
    status: str


def score(history: list[LoanHistory]) -> int:
    """A 300–850 score: on-time share lifts it; late and missed instalments and arrears lower it.

    A thin file (no due instalments) scores in the middle, so a new borrower is neither punished nor
    rewarded. The weights are a transparent demo; a real model replaces it behind ``ScoreProvider``.
    """
    due = sum(h.instalments_due for h in history)
    if due == 0:
        return 600
    on_time = sum(h.paid_on_time for h in history) / due
    late = sum(h.paid_late for h in history) / due
    missed = sum(h.unpaid for h in history) / due
    worst = max(h.days_past_due for h in history)
    raw = 560 + 290 * on_time - 120 * late - 260 * missed - min(worst, 180) * 0.8
    if any(h.status == "written_off" for h in history):
        raw -= 120
    return int(max(SCORE_MIN, min(SCORE_MAX, round(raw))))


def dpd_band(days: int) -> str:
    """Days past due as the industry's 30-day stage (current, M1, M2, M3+)."""
    if days <= 0:
        return "current"
    if days <= 30:
        return "M1"
    if days <= 60:
        return "M2"
    return "M3+"


def outstanding_band(fen: int) -> str:
    """Outstanding debt as a coarse band, not an exact amount."""
    yuan = fen / 100
    for limit, label in ((0, "none"), (5_000, "<5k"), (20_000, "5k-20k"), (100_000, "20k-100k")):
        if yuan <= limit:
            return label
    return ">100k"


def report(history: list[LoanHistory]) -> dict[str, object]:
    """A summary credit report: counts, on-time ratio, worst stage, outstanding band, the score."""
    due = sum(h.instalments_due for h in history)
    return {
        "score": score(history),
        "loans": len(history),
        "open_loans": sum(1 for h in history if h.status not in ("closed", "paid_off")),
        "instalments_due": due,
        "on_time_ratio": round(sum(h.paid_on_time for h in history) / due, 3) if due else None,
        "late_instalments": sum(h.paid_late for h in history),
        "missed_instalments": sum(h.unpaid for h in history),
        "worst_stage": dpd_band(max((h.days_past_due for h in history), default=0)),
        "outstanding_band": outstanding_band(sum(h.outstanding_fen for h in history)),
        "written_off": any(h.status == "written_off" for h in history),
    }
