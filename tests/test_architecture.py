"""Layering rules that import-linter cannot express, checked on the source with ``ast``.

- Pure modules (``model.py``, ``*_model.py`` and those in :data:`EXTRA_PURE`) import only the standard
  library, NumPy and other pure modules, and never read the clock.
- No capability imports another capability's ``store`` (tables): capabilities call services.
"""

from __future__ import annotations

import ast
import fnmatch
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "lendguard"

# Pure modules not named *model.py (rule packs, calculators, scorers). Patterns match module names.
EXTRA_PURE: tuple[str, ...] = (
    "lendguard.platform.credentials",
    "lendguard.collections.policy",
    "lendguard.collections.policy.*",
    "lendguard.collections.screening.normalise",
    "lendguard.collections.screening.batch",
    "lendguard.collections.screening.matcher",
    "lendguard.collections.screening.detectors",
    "lendguard.collections.screening.lexicon",
    "lendguard.collections.screening.statistical",
    "lendguard.disclosure.periods",
    "lendguard.disclosure.calculator",
    "lendguard.disclosure.schedules",
    "lendguard.disclosure.batch",
    "lendguard.disclosure.lpr",
    "lendguard.disclosure.offer_check",
)
ALLOWED_THIRD_PARTY_IN_PURE = {"numpy"}
CLOCK_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def is_pure(name: str) -> bool:
    leaf = name.rsplit(".", 1)[-1]
    return leaf == "model" or leaf.endswith("_model") or any(fnmatch.fnmatch(name, p) for p in EXTRA_PURE)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


PURE = sorted(name for name in all_modules() if is_pure(name))


def test_there_are_pure_modules_to_check() -> None:
    assert "lendguard.platform.model" in PURE


@pytest.mark.parametrize("name", PURE)
def test_pure_module_imports_only_the_standard_library_and_pure_modules(name: str) -> None:
    modules = all_modules()
    bad = []
    for line, target in imports_of(modules[name]):
        top = target.split(".")[0]
        if top == "__future__" or top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY_IN_PURE:
            continue
        if top == "lendguard":
            if target in modules and not is_pure(target):
                bad.append((line, target))
            continue
        if target.rsplit(".", 1)[0] in modules or target in modules:
            continue
        bad.append((line, target))
    assert not bad, f"{name} is pure but imports {bad}"


@pytest.mark.parametrize("name", PURE)
def test_pure_module_never_reads_the_clock(name: str) -> None:
    tree = ast.parse(all_modules()[name].read_text(encoding="utf-8"))
    reads = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in CLOCK_READS
    ]
    assert not reads, f"{name} reads the clock at lines {reads}; take the time as an argument"


CAPABILITIES = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_no_capability_imports_another_capabilitys_tables() -> None:
    offences = []
    for name, path in all_modules().items():
        own = name.split(".")[1] if name.count(".") >= 1 else ""
        for line, target in imports_of(path):
            parts = target.split(".")
            if (
                len(parts) >= 3
                and parts[0] == "lendguard"
                and parts[2] == "store"
                and parts[1] not in (own, "platform")
            ):
                offences.append(f"{name}:{line} imports {target}")
    assert not offences, "\n".join(offences)
