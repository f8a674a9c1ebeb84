"""The docs keep up with the code: every setting and every CLI command is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel

from lendguard.cli import build_cli
from lendguard.platform.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def setting_names(model: type[BaseModel], prefix: str = "LENDGUARD_") -> list[str]:
    names = []
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += setting_names(annotation, f"{prefix}{field_name.upper()}__")
        else:
            names.append(f"{prefix}{field_name.upper()}")
    return names


def command_paths(command: Any, prefix: str = "lendguard") -> list[str]:
    paths = []
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            paths.append(f"{prefix} {name}")
            paths += command_paths(sub, f"{prefix} {name}")
    return paths


@pytest.mark.parametrize("name", setting_names(Settings))
def test_every_setting_is_documented_in_configuration_md(name: str) -> None:
    assert name in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_every_setting_has_a_description() -> None:
    def missing(model: type[BaseModel]) -> list[str]:
        out = []
        for field_name, info in model.model_fields.items():
            if not info.description:
                out.append(f"{model.__name__}.{field_name}")
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                out += missing(info.annotation)
        return out

    assert missing(Settings) == []


COMMANDS = command_paths(typer.main.get_command(build_cli()))


@pytest.mark.parametrize("path", COMMANDS)
def test_every_cli_command_is_documented_in_cli_md(path: str) -> None:
    assert f"`{path}" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", COMMANDS)
def test_every_cli_command_has_help_text(path: str) -> None:
    command: Any = typer.main.get_command(build_cli())
    for part in path.split()[1:]:
        command = command.commands[part]  # type: ignore[attr-defined]
    assert command.help or command.short_help, f"{path} has no help text"
