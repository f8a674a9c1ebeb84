"""The screening commands mounted on a bare Typer root, for CLI tests of this capability."""

from __future__ import annotations

import typer

from lendguard.collections.screening.cli import register


def screening_cli() -> typer.Typer:
    """A root with only the ``screen`` commands registered (no settings or database needed)."""
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    register(root)
    return root
