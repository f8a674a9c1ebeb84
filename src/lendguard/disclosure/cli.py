"""Commands of loan disclosure: ``lendguard apr`` and ``lendguard disclosure check|scan``."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from lendguard.platform.cli import console


def _fail(message: str) -> typer.Exit:
    # Escape: messages carry field paths like ``schedule[3]`` that Rich would read as markup; no wrapping,
    # so "file line N" stays on one line for scripts that grep it.
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _decimal(name: str, raw: str | None, default: str | None = None) -> Decimal:
    text = raw if raw is not None else default
    if text is None:
        raise _fail(f"--{name} is required")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _fail(f"--{name}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise _fail(f"--{name}: must be zero or more, got {text!r}")
    return value


def _date(name: str, raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _fail(f"--{name}: {raw!r} is not an ISO date (YYYY-MM-DD)") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot read ({exc.strerror})") from None


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def register(root: typer.Typer) -> None:
    disclosure = typer.Typer(help="Loan disclosure: offer checks and portfolio scans.", no_args_is_help=True)
    root.add_typer(disclosure, name="disclosure")

    @root.command()
    def apr(
        principal: str = typer.Option(None, help="Loan principal (the contract amount)."),
        payment: str = typer.Option(None, help="Each regular payment, fees excluded."),
        count: int = typer.Option(None, help="Number of payments."),
        frequency: str = typer.Option(
            "monthly", help="weekly, every_2_weeks, every_4_weeks, semimonthly, monthly, every_2_months or quarterly."
        ),
        upfront_fee: str = typer.Option("0", help="Fees paid up front or withheld (reduce the amount advanced)."),
        fee_per_period: str = typer.Option("0", help="Service/insurance/membership fee paid with each payment."),
        start_date: str = typer.Option(None, help="Date the money is advanced (with --first-payment-date)."),
        first_payment_date: str = typer.Option(None, help="First payment date; an odd first period counts."),
        flows: Path = typer.Option(None, help="CSV of signed flows: date,amount (XIRR) or period,amount."),
    ) -> None:
        """Print the annualised rate (IRR-based APR) of a schedule as JSON."""
        from lendguard.disclosure.calculator import RateError
        from lendguard.disclosure.inputs import InputError, rate_of_flows
        from lendguard.disclosure.periods import parse_frequency
        from lendguard.disclosure.schedules import regular_rate

        try:
            freq = parse_frequency(frequency)
        except ValueError as exc:
            raise _fail(f"--frequency: {exc}") from None
        try:
            if flows is not None:
                if principal is not None or payment is not None or count is not None:
                    raise _fail("--flows cannot be combined with --principal/--payment/--count")
                result = rate_of_flows(_read(flows), str(flows), freq)
            else:
                if count is None:
                    raise _fail("--count is required (or give --flows FILE)")
                result = regular_rate(
                    _decimal("principal", principal),
                    _decimal("payment", payment),
                    count,
                    freq,
                    upfront_fee=_decimal("upfront-fee", upfront_fee),
                    fee_per_period=_decimal("fee-per-period", fee_per_period),
                    start_date=_date("start-date", start_date),
                    first_payment_date=_date("first-payment-date", first_payment_date),
                )
        except (InputError, RateError) as exc:
            raise _fail(str(exc)) from None
        _print_json(result.as_dict())

    @disclosure.command("check")
    def check(offer: Path = typer.Argument(..., help="Offer JSON file (format in docs/disclosure.md).")) -> None:
        """Compare an offer's advertised terms with its schedule and the legal lines; exit 1 on any finding."""
        from lendguard.disclosure.calculator import RateError
        from lendguard.disclosure.lpr_data import packaged_lpr_table
        from lendguard.disclosure.offer_check import check_offer
        from lendguard.disclosure.offer_model import OfferError, offer_from_dict

        try:
            document = json.loads(_read(offer))
        except json.JSONDecodeError as exc:
            raise _fail(f"{offer} line {exc.lineno}: invalid JSON ({exc.msg})") from None
        try:
            report = check_offer(offer_from_dict(document), packaged_lpr_table())
        except (OfferError, RateError) as exc:
            raise _fail(f"{offer}: {exc}") from None
        _print_json(report.as_dict())
        if not report.ok:
            raise typer.Exit(1)

    @disclosure.command("scan")
    def scan(
        out: Path = typer.Option(..., help="Where to write the JSON report."),
        csv_file: Path = typer.Option(None, "--csv", help="CSV of schedules (one row per instalment)."),
        institution: str = typer.Option(None, help="Institution code whose loan book to scan (without --csv)."),
    ) -> None:
        """Report the loans whose APR is above 24 %, 36 % or 4 × LPR (database or CSV)."""
        from rich.progress import Progress

        from lendguard.disclosure.inputs import InputError, read_schedules
        from lendguard.disclosure.lpr_data import packaged_lpr_table
        from lendguard.disclosure.portfolio_model import scan_schedules, summarise

        if csv_file is not None:
            try:
                schedules = read_schedules(_read(csv_file), str(csv_file))
            except InputError as exc:
                raise _fail(str(exc)) from None
            with Progress(console=console, transient=True) as bar:
                bar.add_task(f"solving {len(schedules)} schedules", total=None)
                report = summarise(scan_schedules(schedules, packaged_lpr_table()))
        else:
            from lendguard.disclosure.wiring import service
            from lendguard.platform.cli import open_container

            if institution is None:
                raise _fail("give --institution CODE to scan the database, or --csv FILE")
            container = open_container()
            found = container.tenancy.institution_by_code(institution)
            if found is None:
                raise _fail(f"--institution: no institution with code {institution!r}")
            svc = service(container)
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("reading loans", total=None)
                rows = svc.scan_institution(int(found["id"]), lambda n: bar.advance(task, n))
            report = summarise(rows)
            svc.record_scan(int(found["id"]), "system:cli", report)
        try:
            out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"{out}: cannot write ({exc.strerror})") from None
        above = report["above"]
        console.print(f"{report['loans']} loans scanned; above the lines: {above}; report written to {out}")
