"""The ``lendguard policy`` commands: decide scenarios, describe packs, screen dialer lists."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from lendguard.collections.checks import InputError, check_all, load_json, make_pack
from lendguard.collections.screener_hook import load_text_screener

err = Console(stderr=True)
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
