"""No module outside ``lendguard.privacy`` touches the personal-data tables or the privacy store."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lendguard"
GUARDED_MODULES = {"lendguard.privacy.store", "lendguard.privacy.crypto", "lendguard.privacy.writes"}
GUARDED_TABLES = ("privacy_subjects", "privacy_fields", "privacy_contacts", "privacy_consents", "privacy_requests")


def outside_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "privacy" not in p.relative_to(PACKAGE).parts[:1]]


def test_no_module_outside_privacy_imports_its_store() -> None:
    offences = []
    for path in outside_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            offences += [f"{path}:{node.lineno} {n}" for n in names if n in GUARDED_MODULES]
    assert not offences, offences


def test_no_module_outside_privacy_names_its_tables() -> None:
    # Raw SQL would bypass the import check; the table names must not appear in other code.
    offences = []
    for path in outside_modules():
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        offences += [f"{path}: {t}" for t in GUARDED_TABLES if t in text]
    assert not offences, offences


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    offender = tmp_path / "bad.py"
    offender.write_text("from lendguard.privacy.store import fields\n")
    tree = ast.parse(offender.read_text())
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module in GUARDED_MODULES]
    assert found
