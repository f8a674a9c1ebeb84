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
