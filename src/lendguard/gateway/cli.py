"""Commands of the credit-data gateway: ``lendguard gateway eval``, ``detect`` and ``statement``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True, soft_wrap=True)  # error lines name files; never hard-wrap them


def evaluate_world(world: Path, engine: str = "duckdb", timezone: str = "Asia/Shanghai") -> dict[str, Any]:
    """Run the detection job on a world's CSV files and score it against ``truth/resellers.csv``."""
    from lendguard.analytics.backend import DuckDBBackend, SparkBackend
    from lendguard.gateway import abuse, world_files
    from lendguard.gateway.abuse_model import evaluate, flagged, precision_recall

    inputs = world_files.job_inputs(world)
    actual = world_files.truth(world)
    tables = (
        abuse.query_table(inputs["queries"], timezone),
        abuse.application_table(inputs["applications"]),
        abuse.contract_table(inputs["contracts"]),
    )
    backend = SparkBackend() if engine == "spark" else DuckDBBackend()
    try:
        stats = abuse.run(*tables, backend=backend)
    finally:
        backend.close()
    alerts = evaluate(stats)
    predicted = flagged(alerts)
    precision, recall = precision_recall(predicted, actual)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "clients": len(stats),
        "resellers": sorted(actual),
        "flagged": sorted(predicted),
        "alerts": [
            {"client": a.client_ref, "rule": a.rule, "score": round(a.score, 3), "evidence": a.evidence} for a in alerts
        ],
    }


def _bureau_principal(code: str) -> tuple[Any, Any]:
    """The container and a system principal (compliance) of the bureau ``code``; exit 2 when unknown."""
    from lendguard.gateway.wiring import service
    from lendguard.platform.cli import open_container
    from lendguard.platform.model import Principal, Role

    container = open_container()
    found = container.tenancy.institution_by_code(code)
    if found is None or found["kind"] != "credit_bureau":
        console.print(f"[red]no credit bureau with code {code!r}[/red]")
        raise typer.Exit(2)
    principal = Principal(0, int(found["id"]), "cli", frozenset({Role.COMPLIANCE, Role.ANALYST}))
    return service(container), principal


def register(root: typer.Typer) -> None:
    gateway = typer.Typer(help="Credit-data gateway: resale detection and client statements.", no_args_is_help=True)
    root.add_typer(gateway, name="gateway")

    @gateway.command("eval")
    def eval_command(
        world: Path = typer.Option(..., "--world", help="A synthetic world (output of `lendguard sim generate`)."),
        as_json: bool = typer.Option(False, "--json", help='Print only {"precision": .., "recall": ..} as JSON.'),
        engine: str = typer.Option("duckdb", "--engine", help="Analytics engine: duckdb or spark."),
    ) -> None:
        """Find the world's resellers from its query log; print precision and recall against its truth."""
        from lendguard.gateway.world_files import WorldFileError

        if engine not in ("duckdb", "spark"):
            console.print(f"[red]unknown engine {engine!r}[/red]: choose duckdb or spark")
            raise typer.Exit(2)
        try:
            with console.status("detecting resellers"):
                result = evaluate_world(world, engine)
        except WorldFileError as exc:
            console.print(f"[red]bad world:[/red] {exc}")
            raise typer.Exit(2) from exc
        if as_json:
            typer.echo(json.dumps({"precision": result["precision"], "recall": result["recall"]}))
            return
        table = Table(title=f"{len(result['alerts'])} alerts on {result['clients']} clients")
        for column in ("client", "rule", "score", "evidence"):
            table.add_column(column)
        for a in result["alerts"]:
            table.add_row(a["client"], a["rule"], str(a["score"]), json.dumps(a["evidence"], ensure_ascii=False))
        Console().print(table)
        typer.echo(f"flagged:   {', '.join(result['flagged']) or '-'}")
        typer.echo(f"resellers: {', '.join(result['resellers']) or '-'}")
        typer.echo(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}")

    @gateway.command("detect")
    def detect_command(
        bureau: str = typer.Option(..., "--bureau", help="Institution code of the credit bureau."),
        as_json: bool = typer.Option(False, "--json", help="Print the alerts as JSON."),
    ) -> None:
        """Run abuse and resale detection over the bureau's query log in the database; store the alerts."""
        svc, principal = _bureau_principal(bureau)
        with console.status("detecting abuse"):
            alerts = svc.run_detection(principal)
        if as_json:
            typer.echo(json.dumps(alerts, ensure_ascii=False, default=str))
            return
        table = Table(title=f"{len(alerts)} alerts")
        for column in ("client", "rule", "score", "flagged", "evidence"):
            table.add_column(column)
        for a in alerts:
            table.add_row(
                a["client_ref"],
                a["rule"],
                f"{a['score']:.2f}",
                "yes" if a["flagged"] else "",
                json.dumps(a["evidence"], ensure_ascii=False),
            )
        Console().print(table)

    @gateway.command("statement")
    def statement_command(
        client: str = typer.Argument(..., help="Client id (e.g. GC01)."),
        bureau: str = typer.Option(..., "--bureau", help="Institution code of the credit bureau."),
        csv_out: bool = typer.Option(False, "--csv", help="Print the CSV export instead of the JSON summary."),
    ) -> None:
        """Print a client's statement: usage, charges by tier, balance history, refusals by reason."""
        svc, principal = _bureau_principal(bureau)
        match = [c for c in svc.clients(principal) if c["ref"] == client]
        if not match:
            console.print(f"[red]no client {client!r} at {bureau}[/red]")
            raise typer.Exit(2)
        if csv_out:
            typer.echo(svc.statement_csv(principal, match[0]["id"]), nl=False)
        else:
            typer.echo(json.dumps(svc.statement(principal, match[0]["id"]), ensure_ascii=False, default=str, indent=2))
