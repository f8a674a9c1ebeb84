"""The ``lendguard policy`` commands: decide scenarios, describe packs, screen dialer lists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from lendguard.collections.checks import InputError, check_all, load_json, make_pack
from lendguard.collections.screener_hook import load_text_screener

err = Console(stderr=True, soft_wrap=True)  # error lines name files; never hard-wrap them
PACK_HELP = "Rule pack: cn or us-regf."


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _overrides(path: str | None) -> dict[str, dict[str, object]] | None:
    if path is None:
        return None
    data = load_json(_read(path), path)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"{path}: expected an object mapping rule ids to parameter objects")
    return data


def _fail(exc: InputError) -> typer.Exit:
    err.print(f"[red]error:[/red] {exc}", highlight=False)
    return typer.Exit(2)


def register(root: typer.Typer) -> None:
    policy = typer.Typer(help="Contact-policy engine: decide contacts before they happen.", no_args_is_help=True)
    root.add_typer(policy, name="policy")
    register_screen_list(policy)

    @policy.command("check")
    def check(
        file: str = typer.Argument(..., help="JSON file with one scenario or an array of them ('-' for stdin)."),
        pack: str = typer.Option(..., "--pack", help=PACK_HELP),
        overrides: str = typer.Option(None, "--overrides", help="JSON file of an institution's tightenings."),
    ) -> None:
        """Decide contact scenarios; prints a JSON array of decisions (see docs/policy.md)."""
        try:
            chosen = make_pack(pack, _overrides(overrides))
            decisions = check_all(load_json(_read(file), file), chosen, load_text_screener(), file)
        except InputError as exc:
            raise _fail(exc) from None
        typer.echo(json.dumps(decisions, ensure_ascii=False, indent=2))

    @policy.command("rules")
    def rules(
        pack: str = typer.Option(..., "--pack", help=PACK_HELP),
        overrides: str = typer.Option(None, "--overrides", help="JSON file of an institution's tightenings."),
    ) -> None:
        """List a pack's rules with their legal sources, parameters and whether each is on (JSON)."""
        try:
            chosen = make_pack(pack, _overrides(overrides))
        except InputError as exc:
            raise _fail(exc) from None
        typer.echo(json.dumps(chosen.describe(), ensure_ascii=False, indent=2))


def register_screen_list(policy: typer.Typer) -> None:
    """Add ``policy screen-list`` (kept apart so the DuckDB import happens only when it runs)."""

    @policy.command("screen-list")
    def screen_list_cmd(
        pack: str = typer.Option(..., "--pack", help=PACK_HELP),
        plan: Path = typer.Option(..., "--plan", help="CSV of planned contacts (see docs/policy.md)."),
        history: Path = typer.Option(..., "--history", help="CSV of past attempts (collection_attempts.csv works)."),
        out: Path = typer.Option(..., "--out", help="CSV of decisions to write."),
        threads: int = typer.Option(None, "--threads", help="DuckDB threads (default: all cores)."),
    ) -> None:
        """Decide a day's dialer list against history in one vectorised DuckDB pass; writes decisions.csv."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from lendguard.collections.screen_list import screen_list

        try:
            chosen = make_pack(pack)
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err) as bar:
                task = bar.add_task("screening", total=None)
                count = screen_list(
                    chosen, plan, history, out, threads=threads, progress=lambda s: bar.update(task, description=s)
                )
        except InputError as exc:
            raise _fail(exc) from None
        err.print(f"{count} decisions written to {out}")
