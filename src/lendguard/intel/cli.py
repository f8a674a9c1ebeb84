"""Commands of the intelligence capability: ``lendguard intel detect`` and ``lendguard intel eval``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import typer
from rich.console import Console

from lendguard.analytics.backend import EngineName
from lendguard.intel.config_model import DetectionConfig
from lendguard.intel.ingest import InputError

console = Console(stderr=True, soft_wrap=True)  # error lines name files; never hard-wrap them


def _settings_defaults() -> tuple[EngineName, float, str]:
    from lendguard.platform.cli import load_settings

    intel = load_settings().intel
    return intel.engine, intel.threshold, intel.spark_master


def register(root: typer.Typer) -> None:
    intel = typer.Typer(help="Anti-collection-agency ring detection.", no_args_is_help=True)
    root.add_typer(intel, name="intel")

    @intel.command("detect")
    def detect(
        input: Path = typer.Option(
            ..., "--input", help="Folder with borrowers.csv, complaints.csv and the optional files."
        ),
        out: Path = typer.Option(..., "--out", help="Where to write the JSON result (written atomically)."),
        engine: str = typer.Option(None, "--engine", help="duckdb or spark (default: LENDGUARD_INTEL__ENGINE)."),
        threshold: float = typer.Option(
            None, "--threshold", min=0.0, max=1.0, help="Ring score threshold (default: LENDGUARD_INTEL__THRESHOLD)."
        ),
    ) -> None:
        """Find agent rings in CSV files and write rings, borrowers and evidence as JSON."""
        from lendguard.intel.runner import detect_directory, to_json, write_atomic

        default_engine, default_threshold, master = _settings_defaults()
        chosen = engine or default_engine
        if chosen not in ("duckdb", "spark"):
            console.print(f"[red]unknown engine {chosen!r}[/red]: choose duckdb or spark")
            raise typer.Exit(2)
        config = DetectionConfig(threshold=default_threshold if threshold is None else threshold)
        try:
            with console.status("detecting rings") as status:
                doc, _ = detect_directory(
                    input,
                    engine=cast(EngineName, chosen),
                    config=config,
                    spark_master=master,
                    progress=lambda m: status.update(m),
                )
        except InputError as exc:
            console.print(f"[red]bad input:[/red] {exc}")
            raise typer.Exit(2) from exc
        write_atomic(out, to_json(doc))
        console.print(f"{len(doc['rings'])} rings, {len(doc['borrowers'])} borrowers at or above {config.threshold}")

    @intel.command("eval")
    def evaluate(
        world: Path = typer.Option(..., "--world", help="A synthetic world (output of `lendguard sim generate`)."),
        engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark."),
        threshold: float = typer.Option(
            None, "--threshold", min=0.0, max=1.0, help="Ring score threshold (default: LENDGUARD_INTEL__THRESHOLD)."
        ),
    ) -> None:
        """Score detection against the world's truth: precision, recall, purity and an ablation (JSON)."""
        from lendguard.intel.runner import evaluate_world

        _, default_threshold, _ = _settings_defaults()
        if engine not in ("duckdb", "spark"):
            console.print(f"[red]unknown engine {engine!r}[/red]: choose duckdb or spark")
            raise typer.Exit(2)
        config = DetectionConfig(threshold=default_threshold if threshold is None else threshold)
        try:
            with console.status("evaluating") as status:
                result = evaluate_world(
                    world, engine=cast(EngineName, engine), config=config, progress=lambda m: status.update(m)
                )
        except InputError as exc:
            console.print(f"[red]bad input:[/red] {exc}")
            raise typer.Exit(2) from exc
        typer.echo(json.dumps(result, indent=2))
