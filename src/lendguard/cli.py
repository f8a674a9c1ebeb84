"""The ``lendguard`` command. Each capability registers its own commands from its ``cli`` module."""

from __future__ import annotations

import importlib

import typer

from lendguard import __version__

# Modules that define ``register(root: typer.Typer)``; each capability adds its own line.
CLI_MODULES: tuple[str, ...] = (
    "lendguard.platform.cli",
    "lendguard.sim.cli",
    "lendguard.collections.screening.cli",
    "lendguard.disclosure.cli",
    "lendguard.intel.cli",
    "lendguard.collections.cli",
    "lendguard.privacy.cli",
    "lendguard.gateway.cli",
)


def build_cli() -> typer.Typer:
    """Assemble the root command from every capability's commands."""
    root = typer.Typer(
        name="lendguard",
        help="Lawful collection, personal-data governance, credit-data gateway and fraud intelligence.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )

    @root.callback()
    def _root(
        version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
    ) -> None:
        """lendguard: run `lendguard demo` to see it work."""
        if version:
            typer.echo(__version__)
            raise typer.Exit()

    for module_name in CLI_MODULES:
        importlib.import_module(module_name).register(root)
    return root


def main() -> None:
    """Console-script entry point."""
    build_cli()()
