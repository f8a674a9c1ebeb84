"""Mis-selling checks: advertised terms against the actual schedule, and the legal rate lines (pure).

Every finding names its source. The true rate is the Appendix J actuarial APR of the schedule (fees
up front reduce the amount advanced, per-instalment fees are part of the payments), i.e. the IRR-based
annualised rate PBoC 〔2021〕No. 3 requires lenders to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lendguard.disclosure.calculator import ZERO, RateResult
from lendguard.disclosure.lpr import LprTable
from lendguard.disclosure.offer_model import ANNUALISED_KINDS, Offer, RateKind
from lendguard.disclosure.schedules import Stream, amount_advanced, appendix_j_rate

PBOC = "PBoC Announcement 〔2021〕No. 3 (CN-PBOC21-01)"
# Regulation Z 12 CFR 1026.22(a)(2)-(3): a disclosed APR is accurate within 1/8 of a percentage point
# for regular transactions and 1/4 for irregular ones; we allow the same slack before calling a mismatch.
TOLERANCE_REGULAR = Decimal("0.00125")
TOLERANCE_IRREGULAR = Decimal("0.0025")
DAYS_PER_YEAR = Decimal(365)


@dataclass(frozen=True)
class Finding:
    """One way the advertised terms differ from the schedule."""

    code: str
    message: str
    advertised: str | None
    actual: str | None
    source: str


@dataclass(frozen=True)
class LegalLine:
    """A rate line (fraction) and whether the actual APR is above it."""

    name: str
    threshold: Decimal | None
    crossed: bool
    consequence: str
    source: str


@dataclass(frozen=True)
class OfferReport:
    """The outcome of :func:`check_offer`."""

    offer_id: str
    rate: RateResult
    actual_rates: dict[str, Decimal]
    findings: list[Finding] = field(default_factory=list)
    lines: list[LegalLine] = field(default_factory=list)
    lpr_table_last_change: str = ""

    @property
    def ok(self) -> bool:
        return not self.findings and not any(line.crossed for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report (rates as decimal strings of fractions; ``*_pct`` in percent)."""
        return {
            "offer_id": self.offer_id,
            "ok": self.ok,
            "rate": self.rate.as_dict(),
            "actual_rates": {k: str(v.quantize(Decimal("1e-10"))) for k, v in self.actual_rates.items()},
            "findings": [f.__dict__ for f in self.findings],
            "lines": [
                {**line.__dict__, "threshold": None if line.threshold is None else str(line.threshold)}
                for line in self.lines
            ],
            "lines_crossed": [line.name for line in self.lines if line.crossed],
            "lpr_table_last_change": self.lpr_table_last_change,
        }


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else f"{(value * 100).quantize(Decimal('0.01'))} %"


def is_regular(offer: Offer) -> bool:
    """Regulation Z 1026.22(a)(3): regular unless amounts vary other than in the first or last payment."""
    middle = {i.total for i in offer.schedule[1:-1]}
    return len(middle) <= 1


def actual_rates(offer: Offer, rate: RateResult) -> dict[str, Decimal]:
    """The schedule's cost expressed in every :class:`RateKind`, so advertised figures compare like with like."""
    cost = rate.total_interest_and_fees
    days = Decimal((offer.schedule[-1].due_date - offer.disbursement_date).days)
    # Simple annualised rate on the principal actually used (PBoC: remaining principal per period).
    outstanding = offer.principal
    used = ZERO
    previous = offer.disbursement_date
    for inst in offer.schedule:
        used += outstanding * Decimal((inst.due_date - previous).days) / DAYS_PER_YEAR
        outstanding -= inst.principal
        previous = inst.due_date
    return {
        RateKind.APR.value: rate.apr,
        RateKind.EFFECTIVE_ANNUAL.value: rate.effective_annual_rate,
        RateKind.SIMPLE_ANNUAL.value: cost / used if used > 0 else ZERO,
        RateKind.FLAT_ANNUAL.value: cost / offer.principal / (days / DAYS_PER_YEAR),
        RateKind.FLAT_MONTHLY.value: cost / offer.principal / (days / DAYS_PER_YEAR * 12),
        RateKind.DAILY.value: cost / offer.principal / days,
    }


def _rate_findings(offer: Offer, rates: dict[str, Decimal], tolerance: Decimal) -> list[Finding]:
    ad = offer.advertised
    out: list[Finding] = []
    if ad.rate_kind not in ANNUALISED_KINDS:
        out.append(
            Finding(
                "rate_not_annualised",
                f"the offer shows {'no rate' if ad.rate is None else 'a ' + ad.rate_kind.value + ' rate'}; "
                "lenders must show the annualised rate on the principal actually used",
                _pct(ad.rate),
                _pct(rates[RateKind.APR.value]),
                PBOC,
            )
        )
    if ad.rate is not None and ad.rate_kind is not RateKind.NONE:
        actual = rates[ad.rate_kind.value]
        # Daily and monthly figures are small: scale the annual tolerance to their unit.
        scale = {RateKind.DAILY: DAYS_PER_YEAR, RateKind.FLAT_MONTHLY: Decimal(12)}.get(ad.rate_kind, Decimal(1))
        if abs(actual - ad.rate) > tolerance / scale:
            word = "understates" if actual > ad.rate else "overstates"
            out.append(
                Finding(
                    "rate_mismatch",
                    f"the advertised {ad.rate_kind.value} rate {word} the schedule's",
                    _pct(ad.rate),
                    _pct(actual),
                    f"{PBOC}; tolerance 12 CFR 1026.22(a)",
                )
            )
    return out


def _term_findings(offer: Offer, advanced_rate: RateResult) -> list[Finding]:
    ad = offer.advertised
    out: list[Finding] = []
    count = len(offer.schedule)
    if ad.instalment_count is not None and ad.instalment_count != count:
        out.append(
            Finding("instalment_count", "the number of instalments differs", str(ad.instalment_count), str(count), PBOC)
        )
    free = ad.interest_free_periods
    charged = [n + 1 for n, inst in enumerate(offer.schedule[:free]) if inst.interest + inst.fee > 0]
    if charged:
        out.append(
            Finding(
                "interest_free_charged",
                f"instalments advertised as interest-free carry interest or fees: {charged[:12]}",
                f"{free} interest-free",
                f"{len(charged)} charged",
                PBOC,
            )
        )
    if free > 0 and offer.upfront_fee > 0:
        out.append(
            Finding(
                "interest_free_upfront_fee",
                "an 'interest-free' offer charges a fee up front, which is a cost of the loan",
                "0",
                str(offer.upfront_fee),
                PBOC,
            )
        )
    if free > 0 and free < count and advanced_rate.apr > 0 and ad.instalment_count in (None, free):
        out.append(
            Finding(
                "interest_free_term",
                f"{free} interest-free instalments advertised, but the loan runs {count} instalments with cost",
                str(free),
                str(count),
                PBOC,
            )
        )
    if offer.upfront_fee > ad.upfront_fee:
        out.append(
            Finding(
                "upfront_fee",
                "the up-front fee is higher than advertised",
                str(ad.upfront_fee),
                str(offer.upfront_fee),
                PBOC,
            )
        )
    over = [n + 1 for n, inst in enumerate(offer.schedule) if inst.fee > ad.fee_per_period]
    if over:
        top = max(inst.fee for inst in offer.schedule)
        out.append(
            Finding(
                "fee_per_period",
                f"instalment fees exceed the advertised per-period fee in instalments {over[:12]}",
                str(ad.fee_per_period),
                str(top),
                PBOC,
            )
        )
    repaid = sum((inst.principal for inst in offer.schedule), ZERO)
    if repaid != offer.principal:
        out.append(
            Finding(
                "schedule_principal",
                "the schedule's principal portions do not add up to the principal",
                str(offer.principal),
                str(repaid),
                "offer consistency",
            )
        )
    return out


def legal_lines(apr: Decimal, contract_date: date, lpr: LprTable) -> list[LegalLine]:
    """The 24 %, 36 % and 4 × LPR lines (CN-SPC15-01, CN-SPC20-01) against the APR."""
    cap = lpr.protection_line(contract_date)
    # Compare at 10 decimals: a schedule priced exactly at a line is at it, not above it.
    apr = apr.quantize(Decimal("1e-10"))
    return [
        LegalLine(
            "24%",
            Decimal("0.24"),
            apr > Decimal("0.24"),
            "above: not enforced if unpaid (2015 rule); market 'comprehensive cost' line",
            "法释〔2015〕18号 Art. 26 (CN-SPC15-01)",
        ),
        LegalLine(
            "36%",
            Decimal("0.36"),
            apr > Decimal("0.36"),
            "above: void, must be refunded",
            "法释〔2015〕18号 Art. 26 (CN-SPC15-01)",
        ),
        LegalLine(
            "4xLPR",
            cap,
            cap is not None and apr > cap,
            "above: not supported by courts for private lending (licensed lenders: see 法释〔2020〕27号)"
            if cap is not None
            else "no LPR before 2019-08-20: not applicable",
            "法释〔2020〕17号 Art. 25 (CN-SPC20-01)",
        ),
    ]


def check_offer(offer: Offer, lpr: LprTable) -> OfferReport:
    """Compare the advertised terms with the actual schedule and the legal lines; report every mismatch."""
    advanced = amount_advanced(offer.principal, offer.upfront_fee)
    streams = [Stream(inst.total, 1, inst.due_date) for inst in offer.schedule]
    rate = appendix_j_rate(advanced, offer.disbursement_date, offer.frequency, streams)
    rates = actual_rates(offer, rate)
    tolerance = TOLERANCE_REGULAR if is_regular(offer) else TOLERANCE_IRREGULAR
    findings = _term_findings(offer, rate) + _rate_findings(offer, rates, tolerance)
    return OfferReport(
        offer_id=offer.offer_id,
        rate=rate,
        actual_rates=rates,
        findings=findings,
        lines=legal_lines(rate.apr, offer.contract_date, lpr),
        lpr_table_last_change=lpr.last_change.isoformat(),
    )
