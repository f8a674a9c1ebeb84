"""``lendguard screen``: screen messages from a file or stdin, and ``lendguard screen eval DATASET``.

``screen`` is a group whose default command is ``messages``: ``lendguard screen FILE`` and
``lendguard screen eval DATASET`` both work (a first argument that is not a sub-command name is
handed to ``messages``; a file literally called ``eval`` can be given as ``./eval``).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from typer.core import TyperGroup

from lendguard.collections.screening.engine import load_screener
from lendguard.collections.screening.eval_model import Report
from lendguard.collections.screening.evaluate import (
    DatasetError,
    ExternalReport,
    count_rows,
    detect_format,
    evaluate_external,
    evaluate_own,
)
from lendguard.collections.screening.model import Party, ScreensText, lang_of, party_of
from lendguard.collections.screening.normalise import has_surrogate
from lendguard.collections.screening.statistical import WithInsultModel, load_insult_model
from lendguard.platform.settings import Settings

err = Console(stderr=True, soft_wrap=True)
DEFAULT_COMMAND = "messages"


class ScreenGroup(TyperGroup):
    """A group that runs ``messages`` when the first argument is not one of its sub-commands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its own click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


class InputError(ValueError):
    """A line of the input cannot be screened (message names the file and line)."""


def read_messages(stream: TextIO, name: str, default_party: str) -> Iterator[tuple[str, str, str]]:
    """``(id, text, party)`` for each non-empty line: plain text, or a JSON object with ``text``."""
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                item: Any = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}:{number}: invalid JSON ({exc.msg})") from None
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str):
                raise InputError(f"{name}:{number}: field 'text' is missing or not a string")
            party = item.get("party", default_party)
            try:
                party_of(str(party))
            except ValueError as exc:
                raise InputError(f"{name}:{number}: field 'party': {exc}") from None
            yield str(item.get("id", number)), text, str(party)
        else:
            yield str(number), line, default_party


def _statistical_default() -> bool:
    """``LENDGUARD_SCREENING__STATISTICAL`` (false when the settings cannot be read: the flag still works)."""
    try:
        return Settings().screening.statistical
    except ValueError:
        return False


def _screener(statistical: bool | None) -> ScreensText:
    """The cached rule screener, wrapped by the statistical layer when the flag (or, unset, the setting) asks."""
    screener = load_screener()
    enabled = _statistical_default() if statistical is None else statistical
    return WithInsultModel(screener, load_insult_model()) if enabled else screener


def json_line(out: dict[str, Any]) -> str:
    """``out`` as one JSON line, non-ASCII text as it is; with ASCII escapes when it holds a lone
    surrogate (JSON input can carry "\\ud800" in an id; it cannot be written as UTF-8, but its escape
    gives the caller back exactly the id it sent)."""
    line = json.dumps(out, ensure_ascii=False)
    return json.dumps(out) if has_surrogate(line) else line


STATISTICAL_HELP = (
    "Add the optional statistical insult layer (Chinese text; review findings with rule stat.insult). "
    "Default: LENDGUARD_SCREENING__STATISTICAL (off)."
)


def _print_report(report: Report) -> None:
    table = Table(title=f"Per category ({report.messages} messages)")
    for column in ("category", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "category" else "right")
    rows = [*report.per_category.items(), ("overall (micro)", report.overall)]
    for name, c in rows:
        table.add_row(name, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.tp), str(c.fp), str(c.fn))
    console = Console()
    console.print(table)
    confusion = Table(title="Verdict confusion (rows: gold, columns: predicted)")
    confusion.add_column("gold \\ predicted")
    for v in ("block", "review", "pass"):
        confusion.add_column(v, justify="right")
    for gold, row in report.confusion.items():
        confusion.add_row(gold, *(str(row[v]) for v in ("block", "review", "pass")))
    console.print(confusion)
    b = report.block
    console.print(
        f"block: precision {b.precision:.3f}  recall {b.recall:.3f}  F1 {b.f1:.3f}   "
        f"lawful messages blocked: {report.lawful_blocked_rate:.2%}"
    )


def _print_external(report: ExternalReport) -> None:
    console = Console()
    if report.name == "cold":
        console.print(f"COLD: {report.rows.get('1', 0)} offensive (label 1), {report.rows.get('0', 0)} safe (label 0)")
        console.print(f"insult recall on label 1: {report.rate('insult', '1'):.3f}")
        console.print(f"  attacks an individual (fine-grained 1): {report.rate('insult', 'fine1'):.3f}")
        console.print(f"  attacks a group (fine-grained 2): {report.rate('insult', 'fine2'):.3f}")
        console.print(f"insult false-positive rate on label 0: {report.rate('insult', '0'):.3f}")
        console.print(f"  anti-bias safe texts (fine-grained 3): {report.rate('insult', 'fine3'):.3f}")
        console.print(f"any block on label 0: {report.rate('block', '0'):.3f}")
    else:
        console.print(f"SWSR: {report.rows.get('0', 0)} ordinary comments (label 0), {report.rows.get('1', 0)} sexist")
        console.print(f"blocked ordinary comments (false positives): {report.rate('block', '0'):.3f}")
        console.print(f"insult on ordinary comments: {report.rate('insult', '0'):.3f}")
        console.print(f"insult on sexist comments (label 1): {report.rate('insult', '1'):.3f}")


def register(root: typer.Typer) -> None:
    screen = typer.Typer(
        cls=ScreenGroup,
        help="Screen collection messages (zh/en) for threats, insults, false authority, disclosure and more. "
        "`lendguard screen FILE` screens a file; `lendguard screen eval DATASET` evaluates.",
        no_args_is_help=True,
    )
    root.add_typer(screen, name="screen")

    @screen.command(DEFAULT_COMMAND)
    def messages(
        file: str = typer.Argument(
            ..., help="Input file, one message per line or JSON lines with 'text'; - for stdin."
        ),
        lang: str = typer.Option("auto", "--lang", help="Language of the messages: auto, zh or en."),
        party: Party = typer.Option(Party.DEBTOR, "--party", help="Default recipient of the messages."),
        statistical: bool | None = typer.Option(None, "--statistical/--no-statistical", help=STATISTICAL_HELP),
    ) -> None:
        """Screen each message; print one JSON line {id, verdict, findings} per message (the default command)."""
        try:
            lang_of(lang)
        except ValueError as exc:
            err.print(f"[red]--lang:[/red] {exc}")
            raise typer.Exit(2) from exc
        if file != "-" and not Path(file).is_file():
            err.print(f"[red]{file}: no such file[/red]")
            raise typer.Exit(2)
        screener = _screener(statistical)
        name = "<stdin>" if file == "-" else file
        with contextlib.ExitStack() as stack:
            stream = sys.stdin if file == "-" else stack.enter_context(Path(file).open(encoding="utf-8"))
            try:
                for message_id, text, recipient in read_messages(stream, name, party.value):
                    result = screener.screen(text, party=recipient, lang=lang)
                    findings = [f.as_dict() for f in result.findings]
                    out = {"id": message_id, "verdict": result.verdict, "findings": findings}
                    typer.echo(json_line(out))
            except (InputError, UnicodeDecodeError) as exc:
                err.print(f"[red]bad input:[/red] {exc}")
                raise typer.Exit(2) from exc

    @screen.command("eval")
    def evaluate(
        dataset: Path = typer.Argument(..., help="The labelled set (.jsonl), COLD test.csv or SWSR SexComment.csv."),
        split: str = typer.Option("test", "--split", help="Split of the labelled set: test, train or all."),
        statistical: bool | None = typer.Option(None, "--statistical/--no-statistical", help=STATISTICAL_HELP),
    ) -> None:
        """Print precision, recall and F1 per category and overall plus the block/review/pass confusion."""
        if not dataset.is_file():
            err.print(f"[red]{dataset}: no such file[/red]")
            raise typer.Exit(2)
        if split not in ("test", "train", "all"):
            err.print(f"[red]--split must be test, train or all, not {split!r}[/red]")
            raise typer.Exit(2)
        try:
            kind = detect_format(dataset)
            total = count_rows(dataset, kind, split)
            screener = _screener(statistical)
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task(f"screening {dataset.name}", total=total)

                def tick() -> None:
                    progress.advance(task)

                if kind == "own":
                    _print_report(evaluate_own(screener, dataset, split, tick))
                else:
                    _print_external(evaluate_external(screener, dataset, kind, tick))
        except DatasetError as exc:
            err.print(f"[red]bad data set:[/red] {exc}")
            raise typer.Exit(2) from exc
