"""``lendguard privacy check-app``: a lending app's declared collection against the necessary catalogue.

Manifest (JSON)::

    {"app": "QuickLoan", "app_type": "online_lending",
     "collects": [{"category": "address_book", "purposes": ["collection"], "required": true,
                   "separate_consent": false}, ...],
     "permissions": ["android.permission.READ_CONTACTS", ...]}

Each finding names the rule it breaks (ids of docs/privacy.md and the rules reference).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lendguard.privacy.model import CATEGORIES, Category, Purpose, is_sensitive


class ManifestError(ValueError):
    """The manifest cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Finding:
    """One over-collection or unlawful condition, with the rule it breaks."""

    category: str
    rule: str
    message: str


def catalogue() -> dict[str, Any]:
    """The necessary-information catalogue shipped in ``privacy/data``."""
    text = resources.files("lendguard.privacy").joinpath("data/necessary_catalogue.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_manifest(path: Path) -> dict[str, Any]:
    """Read and validate a manifest; :class:`ManifestError` names the file and the bad field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: no such file") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: the manifest must be a JSON object")
    app_type = data.get("app_type", "online_lending")
    if app_type not in catalogue()["app_types"]:
        raise ManifestError(f"{path}: field 'app_type': unknown app type {app_type!r}")
    collects = data.get("collects", [])
    if not isinstance(collects, list):
        raise ManifestError(f"{path}: field 'collects' must be a list")
    for i, item in enumerate(collects):
        where = f"{path}: field 'collects[{i}]"
        if not isinstance(item, dict) or "category" not in item:
            raise ManifestError(f"{where}': an object with a 'category' is required")
        if item["category"] not in {c.value for c in Category}:
            raise ManifestError(f"{where}.category': unknown category {item['category']!r}")
        for purpose in item.get("purposes", []):
            if purpose not in {p.value for p in Purpose}:
                raise ManifestError(f"{where}.purposes': unknown purpose {purpose!r}")
    permissions = data.get("permissions", [])
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise ManifestError(f"{path}: field 'permissions' must be a list of strings")
    return data


def check_manifest(manifest: dict[str, Any]) -> list[Finding]:
    """Every over-collection in ``manifest`` with the rule it breaks (empty: compliant)."""
    cat = catalogue()
    app = cat["app_types"][manifest.get("app_type", "online_lending")]
    necessary = set(app["necessary"])
    findings: list[Finding] = []
    declared: dict[str, dict[str, Any]] = {item["category"]: item for item in manifest.get("collects", [])}
    for name, item in declared.items():
        label = f"{name} ({CATEGORIES[Category(name)].zh})"
        purposes = set(item.get("purposes", []))
        if name not in necessary:
            if item.get("required", False):
                findings.append(
                    Finding(
                        name,
                        "CN-CAC21-01 / PIPL art. 16",
                        f"{label} is not necessary for {app['zh']} but the basic service is refused without it",
                    )
                )
            if not item.get("separate_consent", False):
                findings.append(
                    Finding(
                        name,
                        "CN-CAC21-01 / PIPL art. 14",
                        f"{label} is outside the necessary catalogue and is collected without its own consent",
                    )
                )
        if (
            is_sensitive(Category(name))
            and not item.get("separate_consent", False)
            and name not in findings_for(findings, name)
        ):
            findings.append(
                Finding(
                    name, "PIPL arts. 28-29", f"{label} is sensitive personal information and needs separate consent"
                )
            )
        if name in cat["never_for_collection"] and Purpose.COLLECTION.value in purposes:
            findings.append(Finding(name, "CN-CAC21-02 / CN-TC260-19", cat["never_for_collection"][name]))
        if name in cat["manual_entry_only"] and item.get("source", "manual_entry") != "manual_entry":
            findings.append(Finding(name, "CN-TC260-19", cat["manual_entry_only"][name]))
        if Purpose.MARKETING.value in purposes and item.get("required", False):
            findings.append(Finding(name, "PIPL art. 16", f"{label}: marketing use may not be a condition of service"))
    for permission in manifest.get("permissions", []):
        implied = cat["permissions"].get(permission)
        if implied is None:
            continue
        if implied not in declared:
            findings.append(
                Finding(
                    implied,
                    "PIPL art. 17 / CN-CAC21-01",
                    f"permission {permission} collects {implied} ({CATEGORIES[Category(implied)].zh}) "
                    "but the app does not declare it",
                )
            )
            if implied not in necessary:
                findings.append(
                    Finding(
                        implied,
                        "CN-CAC21-01",
                        f"permission {permission} reaches {implied}, which is outside the necessary catalogue",
                    )
                )
    return findings


def findings_for(findings: list[Finding], category: str) -> set[str]:
    """Categories already reported for a missing separate consent (avoid a duplicate finding)."""
    return {f.category for f in findings if f.category == category and "own consent" in f.message}
