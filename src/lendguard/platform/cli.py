"""Kernel commands: serve, db, users."""

from __future__ import annotations

import secrets

import typer
from rich.console import Console

from lendguard.platform.bootstrap import Container, bootstrap
from lendguard.platform.migrate import current_heads, is_up_to_date, script_heads, upgrade
from lendguard.platform.model import Role
from lendguard.platform.settings import Settings

console = Console(stderr=True, soft_wrap=True)  # error lines name files; never hard-wrap them


def load_settings() -> Settings:
    """Settings from the environment, with a readable error instead of a traceback."""
    try:
        return Settings()
    except ValueError as exc:
        console.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def open_container(migrate: bool = True) -> Container:
    """Bootstrap from the environment; apply migrations first unless told not to."""
    container = bootstrap(load_settings())
    if migrate:
        upgrade(container.engine)
    return container


def serve_app(container: Container, host: str, port: int) -> None:
    import uvicorn

    from lendguard.platform.app import create_app

    uvicorn.run(create_app(container), host=host, port=port, log_level="info")


def register(root: typer.Typer) -> None:
    db = typer.Typer(help="Database schema: apply and inspect migrations.", no_args_is_help=True)
    users = typer.Typer(help="Users of an institution.", no_args_is_help=True)
    root.add_typer(db, name="db")
    root.add_typer(users, name="users")

    @root.command()
    def serve(
        host: str = typer.Option(None, help="Interface to bind (default: LENDGUARD_SERVER__HOST)."),
        port: int = typer.Option(None, help="Port (default: LENDGUARD_SERVER__PORT)."),
    ) -> None:
        """Run the HTTP API and pages against the configured database (migrations are applied first)."""
        container = open_container()
        serve_app(container, host or container.settings.server.host, port or container.settings.server.port)

    @db.command("upgrade")
    def db_upgrade() -> None:
        """Apply every pending migration (all capabilities)."""
        container = open_container(migrate=False)
        upgrade(container.engine)
        console.print(f"database at {', '.join(sorted(current_heads(container.engine)))}")

    @db.command("status")
    def db_status() -> None:
        """Show the database's revisions against the code's; exit 1 when migrations are pending."""
        container = open_container(migrate=False)
        console.print(f"database: {', '.join(sorted(current_heads(container.engine))) or '(empty)'}")
        console.print(f"code:     {', '.join(sorted(script_heads(container.engine)))}")
        if not is_up_to_date(container.engine):
            console.print("[yellow]migrations pending: run `lendguard db upgrade`[/yellow]")
            raise typer.Exit(1)

    @users.command("create")
    def users_create(
        institution: str = typer.Argument(..., help="Institution code."),
        username: str = typer.Argument(...),
        role: list[Role] = typer.Option(..., "--role", help="A role; repeat for several."),
        password: str = typer.Option(None, help="Password (default: a random one, printed once)."),
    ) -> None:
        """Create a user in an institution."""
        container = open_container()
        found = container.tenancy.institution_by_code(institution)
        if found is None:
            console.print(f"[red]no institution with code {institution!r}[/red]")
            raise typer.Exit(2)
        password = password or secrets.token_urlsafe(12)
        container.tenancy.create_user(found["id"], username, password, set(role))
        typer.echo(f"created {username} in {institution}; password: {password}")
