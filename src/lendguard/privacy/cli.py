"""Commands: ``audit verify``, ``keys rotate``, ``privacy check-app``, ``privacy public-key``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.progress import Progress

from lendguard.platform.cli import console, open_container
from lendguard.platform.db import reading


def register(root: typer.Typer) -> None:
    audit = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)
    keys = typer.Typer(help="Field-encryption keys.", no_args_is_help=True)
    privacy = typer.Typer(help="Personal-information governance.", no_args_is_help=True)
    root.add_typer(audit, name="audit")
    root.add_typer(keys, name="keys")
    root.add_typer(privacy, name="privacy")

    @audit.command("verify")
    def audit_verify(
        institution: str = typer.Option(None, help="Institution code (default: every institution)."),
        workers: int = typer.Option(2, min=1, help="Processes walking a long chain (>= 200,000 entries) in parallel."),
    ) -> None:
        """Verify every audit chain and its signed checkpoints; exit 1 naming the first broken entry."""
        from lendguard.platform.audit_verify import verify

        container = open_container()
        institution_id = None
        if institution is not None:
            found = container.tenancy.institution_by_code(institution)
            if found is None:
                console.print(f"[red]no institution with code {institution!r}[/red]")
                raise typer.Exit(2)
            institution_id = int(found["id"])
        with reading(container.engine) as conn:
            report = verify(conn, container.settings.security.signing_seed.reveal(), institution_id, workers)
        summary = f"{report.entries} entries, {report.checkpoints} checkpoints, {report.institutions} institutions"
        if report.ok:
            typer.echo(f"audit log intact: {summary}")
            return
        for broken in report.breaks:
            typer.echo(f"BROKEN: {broken}")
        typer.echo(f"audit log NOT intact ({summary}); first broken entry: {report.breaks[0]}")
        raise typer.Exit(1)

    @keys.command("rotate")
    def keys_rotate(
        old_master_key_env: str = typer.Option(
            None,
            help="Name of an environment variable holding the old master key "
            "(default: LENDGUARD_SECURITY__PREVIOUS_MASTER_KEY from the settings).",
        ),
        batch: int = typer.Option(500, min=1, help="Keys re-wrapped per transaction."),
    ) -> None:
        """Re-wrap every subject's data key under the current master key (online; see docs/privacy.md)."""
        from lendguard.privacy.crypto import KeyRing
        from lendguard.privacy.keys import rotate

        container = open_container()
        security = container.settings.security
        old = security.previous_master_key.reveal() if security.previous_master_key is not None else None
        if old_master_key_env:
            old = os.environ.get(old_master_key_env)
            if not old:
                console.print(f"[red]environment variable {old_master_key_env} is not set[/red]")
                raise typer.Exit(2)
        if not old:
            console.print("[red]no old master key: set LENDGUARD_SECURITY__PREVIOUS_MASTER_KEY[/red]")
            raise typer.Exit(2)
        ring = KeyRing(security.master_key.reveal(), security.index_key.reveal(), old)
        if ring.old_kek_id == ring.kek_id:
            console.print("[red]the old and the new master key are the same[/red]")
            raise typer.Exit(2)
        with Progress(console=console) as progress:
            task = progress.add_task("re-wrapping data keys", total=None)
            result = rotate(
                container.engine, ring, container.audit, container.clock, batch, lambda n: progress.advance(task, n)
            )
        typer.echo(f"re-wrapped {result.rewrapped} data keys; {result.remaining_old} left under the old key")
        if result.unknown:
            typer.echo(f"keys under other master keys (not opened): {result.unknown}")
            raise typer.Exit(1)

    @privacy.command("check-app")
    def check_app(manifest: Path = typer.Argument(..., help="The app's collection manifest (JSON).")) -> None:
        """Compare a lending app's declared collection with the necessary-information catalogue."""
        from lendguard.privacy.appcheck import ManifestError, check_manifest, load_manifest

        try:
            data = load_manifest(manifest)
        except ManifestError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        findings = check_manifest(data)
        for f in findings:
            typer.echo(f"OVER-COLLECTION {f.category}: {f.message} [{f.rule}]")
        if findings:
            typer.echo(f"{data.get('app', manifest.name)}: {len(findings)} finding(s)")
            raise typer.Exit(1)
        typer.echo(f"{data.get('app', manifest.name)}: collection within the necessary catalogue")

    @privacy.command("public-key")
    def public_key(institution: str = typer.Argument(..., help="Institution code.")) -> None:
        """Print the institution's Ed25519 public key (verifies consent receipts and audit checkpoints)."""
        from lendguard.privacy.wiring import service

        container = open_container()
        found = container.tenancy.institution_by_code(institution)
        if found is None:
            console.print(f"[red]no institution with code {institution!r}[/red]")
            raise typer.Exit(2)
        typer.echo(json.dumps({"institution": institution, "ed25519": service(container).public_key(found["id"])}))
