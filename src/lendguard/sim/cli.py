"""Commands of the synthetic world: demo, sim generate, sim load."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.table import Table

from lendguard.platform.cli import console, open_container, serve_app


def register(root: typer.Typer) -> None:
    @root.command()
    def demo(
        borrowers: int = typer.Option(2000, min=100, help="Size of the synthetic world."),
        seed: int = typer.Option(7, help="Seed of the synthetic world."),
        host: str = typer.Option(None, help="Interface to bind (default: LENDGUARD_SERVER__HOST)."),
        port: int = typer.Option(None, help="Port (default: LENDGUARD_SERVER__PORT)."),
        no_serve: bool = typer.Option(False, "--no-serve", help="Build the world and print logins, but do not serve."),
    ) -> None:
        """Build a synthetic world into the database, start the server and print the URL and logins."""
        from lendguard.sim.load import DEMO_PASSWORD, load_world
        from lendguard.sim.world import generate_world

        container = open_container()
        if container.tenancy.institutions():
            console.print(
                "[yellow]The database already holds data; reusing it (delete .lendguard/ to start over).[/yellow]"
            )
            logins = None
        else:
            with tempfile.TemporaryDirectory() as tmp:
                generate_world(borrowers=borrowers, seed=seed, out=Path(tmp), progress=True)
                logins = load_world(container, Path(tmp), progress=True)
        host = host or container.settings.server.host
        port = port or container.settings.server.port
        console.print(f"\n[bold green]lendguard is ready at http://{host}:{port}/[/bold green]  (API docs: /docs)")
        if logins:
            table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
            table.add_column("role")
            table.add_column("username")
            table.add_column("institution")
            for login in logins:
                table.add_row(login.role, login.username, login.institution)
            console.print(table)
        if not no_serve:
            serve_app(container, host, port)

    sim = typer.Typer(help="Synthetic world: generate CSV files and load them.", no_args_is_help=True)
    root.add_typer(sim, name="sim")

    @sim.command("generate")
    def sim_generate(
        borrowers: int = typer.Option(..., "--borrowers", min=100, max=1_000_000, help="Number of borrowers."),
        seed: int = typer.Option(..., "--seed", help="Seed; the same seed and size give byte-identical files."),
        out: Path = typer.Option(..., "--out", help="Directory to write (must be empty unless --force)."),
        force: bool = typer.Option(False, "--force", help="Replace the contents of a non-empty directory."),
    ) -> None:
        """Write a synthetic world as CSV files (see docs/data-formats.md)."""
        import shutil
        import time

        from lendguard.sim.world import generate_world

        if out.exists() and not out.is_dir():
            console.print(f"[red]{out}: exists and is not a directory[/red]")
            raise typer.Exit(2)
        if out.is_dir() and any(out.iterdir()) and not force:
            console.print(f"[red]{out}: directory is not empty (use --force to replace it)[/red]")
            raise typer.Exit(2)
        out.parent.mkdir(parents=True, exist_ok=True)
        # Build next to the target and move it into place, so a failed run leaves nothing half-written.
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
            staging = Path(tmp) / "world"
            summary = generate_world(borrowers=borrowers, seed=seed, out=staging, progress=True)
            if out.exists():
                shutil.rmtree(out)
            staging.rename(out)
        elapsed = time.perf_counter() - started
        console.print(
            f"wrote {len(summary.rows)} files to {out} in {elapsed:.1f} s: {borrowers:,} borrowers, "
            f"{summary.rows.get('complaints', 0):,} complaints, {summary.agent_rings} agent rings "
            f"({summary.agent_members:,} borrowers)"
        )

    @sim.command("load")
    def sim_load(
        world_dir: Path = typer.Argument(..., help="A directory written by `lendguard sim generate`."),
    ) -> None:
        """Load a synthetic world into the configured database (migrations are applied first)."""
        from lendguard.sim.load import DEMO_PASSWORD, WorldFormatError, load_world

        container = open_container()
        try:
            logins = load_world(container, world_dir, progress=True)
        except WorldFormatError as exc:
            console.print(f"[red]cannot load the world: {exc}[/red]")
            raise typer.Exit(2) from exc
        console.print(f"loaded {world_dir}; {len(logins)} demo users (password: {DEMO_PASSWORD})")
