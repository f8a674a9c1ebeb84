"""`lendguard apr` and `lendguard disclosure check|scan --csv`: JSON out, exit 2 naming bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from click.testing import Result
from typer.testing import CliRunner

from lendguard.disclosure.cli import register

DATA = Path(__file__).parent / "data"


Run = Callable[..., Result]


def cli_root() -> typer.Typer:
    """A root command holding only the disclosure commands (no other capability needed)."""
    root = typer.Typer()
    register(root)
    return root


@pytest.fixture
def run() -> Run:
    root = cli_root()
    runner = CliRunner()
    return lambda *args: runner.invoke(root, list(args))


def test_apr_of_the_mis_sold_loan(run: Run) -> None:
    result = run("apr", "--principal", "29000", "--payment", "1524", "--count", "24", "--frequency", "monthly")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["apr_pct"] == "23.36"
    assert set(data) >= {"periodic_rate", "apr", "effective_annual_rate", "total_interest_and_fees"}
    assert data["total_interest_and_fees"] == "7576.00"


def test_apr_with_fees_and_odd_first_period(run: Run) -> None:
    base = ["apr", "--principal", "5000", "--payment", "230", "--count", "24"]
    plain = json.loads(run(*base).output)
    fees = json.loads(run(*base, "--upfront-fee", "100", "--fee-per-period", "5").output)
    odd = run(*base, "--start-date", "1978-01-10", "--first-payment-date", "1978-02-10")
    assert float(fees["apr"]) > float(plain["apr"])
    assert fees["amount_advanced"] == "4900.00"
    assert json.loads(odd.output)["apr_pct"] == "9.69"  # Appendix J (c)(1)(i)


def test_apr_from_flow_files(run: Run, tmp_path: Path) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text("date,amount\n2025-01-01,-1000\n2026-01-01,1100\n", encoding="utf-8")
    assert json.loads(run("apr", "--flows", str(dated)).output)["apr_pct"] == "10.00"
    periods = tmp_path / "periods.csv"
    periods.write_text("period,amount\n0,-29000\n" + "".join(f"{k},1524\n" for k in range(1, 25)), encoding="utf-8")
    result = run("apr", "--flows", str(periods), "--frequency", "monthly")
    assert json.loads(result.output)["apr_pct"] == "23.36"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--principal", "abc", "--payment", "1", "--count", "2"], "--principal"),
        (["--principal", "100", "--payment", "10", "--count", "12", "--frequency", "hourly"], "--frequency"),
        (["--principal", "100", "--payment", "10"], "--count"),
        (
            [
                "--principal",
                "100",
                "--payment",
                "10",
                "--count",
                "2",
                "--start-date",
                "2026-02-30",
                "--first-payment-date",
                "2026-03-01",
            ],
            "--start-date",
        ),
        (["--principal", "100", "--payment", "10", "--count", "2", "--upfront-fee", "100"], "up-front fee"),
    ],
)
def test_bad_apr_input_exits_2_naming_the_field(run: Run, args: list[str], message: str) -> None:
    result = run("apr", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_bad_flow_file_names_the_line(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,amount\n2025-01-01,-1000\n2025-02-01,ten\n", encoding="utf-8")
    result = run("apr", "--flows", str(bad))
    assert result.exit_code == 2
    assert "line 3" in result.output and "amount" in result.output
    same_sign = tmp_path / "same.csv"
    same_sign.write_text("date,amount\n2025-01-01,1000\n2025-02-01,10\n", encoding="utf-8")
    result = run("apr", "--flows", str(same_sign))
    assert result.exit_code == 2 and "never change sign" in result.output


def test_check_exits_1_with_findings_and_2_on_bad_file(run: Run, tmp_path: Path) -> None:
    result = run("disclosure", "check", str(DATA / "mis_sold_offer.json"))
    assert result.exit_code == 1
    assert json.loads(result.output)["lines_crossed"] == ["4xLPR"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"contract_date": "2026-01-01",\n "principal": }', encoding="utf-8")
    result = run("disclosure", "check", str(broken))
    assert result.exit_code == 2 and "line 2" in result.output
    missing = tmp_path / "missing.json"
    missing.write_text('{"contract_date": "2026-01-01", "principal": "100", "advertised": {}}', encoding="utf-8")
    result = run("disclosure", "check", str(missing))
    assert result.exit_code == 2 and "schedule" in result.output


def test_scan_csv_reports_loans_above_each_line(run: Run, tmp_path: Path) -> None:
    rows = ["loan_ref,start_date,principal,upfront_fee,frequency,due_date,amount"]
    months = [f"2026-{m:02d}-15" for m in range(2, 13)] + ["2027-01-15"]
    rows += [f"L-cheap,2026-01-15,1200,0,monthly,{d},101" for d in months]  # about 1.8 %
    rows += [f"L-mid,2026-01-15,1200,0,monthly,{d},125" for d in months]  # about 42 %: above all three
    rows += [f"L-fee,2026-01-15,1200,100,monthly,{d},100" for d in months]  # 0 % nominal, the fee makes ~16 %
    source = tmp_path / "loans.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "report.json"
    result = run("disclosure", "scan", "--csv", str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["loans"] == 3
    by_ref = {row["loan_ref"]: row for row in report["loans_above"]}
    assert set(by_ref) == {"L-mid", "L-fee"}
    assert by_ref["L-mid"]["lines"] == ["24%", "36%", "4xLPR"]
    assert by_ref["L-fee"]["lines"] == ["4xLPR"]  # above 4 × 3.00 % = 12 %, under 24 %
    assert report["above"] == {"24%": 1, "36%": 1, "4xLPR": 2}


def test_scan_csv_bad_row_names_line_and_field(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "loans.csv"
    source.write_text(
        "loan_ref,start_date,principal,upfront_fee,frequency,due_date,amount\nA,2026-01-01,100,0,monthly,2026-02-01,x\n",
        encoding="utf-8",
    )
    result = run("disclosure", "scan", "--csv", str(source), "--out", str(tmp_path / "r.json"))
    assert result.exit_code == 2 and "line 2" in result.output and "amount" in result.output


def test_error_messages_keep_field_paths_with_brackets(run: Run, tmp_path: Path) -> None:
    doc = json.loads((DATA / "mis_sold_offer.json").read_text(encoding="utf-8"))
    doc["schedule"][3]["due_date"] = "2026-13-01"
    offer = tmp_path / "offer.json"
    offer.write_text(json.dumps(doc), encoding="utf-8")
    result = run("disclosure", "check", str(offer))
    assert result.exit_code == 2
    assert "schedule[3].due_date" in result.output
