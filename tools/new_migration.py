"""Write an Alembic revision for a capability from the tables declared in code.

Usage: python tools/new_migration.py CAPABILITY REVISION "message" [--after REV] [--tables a,b] [--depends-on REV]

Without --after, the revision starts the capability's branch (``branch_labels=(CAPABILITY,)``,
depending on platform_0001). It diffs the metadata against a database upgraded to the current heads, so it
writes just what changed (--tables narrows it to some tables). Review the file before committing.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext

from lendguard.platform.db import make_engine
from lendguard.platform.migrate import PACKAGE_DIR, target_metadata, upgrade, version_locations

TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down}
Create Date: {date}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("capability", help="capability folder, e.g. privacy or collections/screening")
    parser.add_argument("revision")
    parser.add_argument("message")
    parser.add_argument("--after", default=None, help="the revision this one follows (same branch)")
    parser.add_argument("--tables", default=None, help="comma list: render only these tables (new branch)")
    parser.add_argument("--depends-on", default=None)
    args = parser.parse_args()

    metadata = target_metadata()
    wanted = set(args.tables.split(",")) if args.tables else None

    def include(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        return wanted is None or kind != "table" or name in wanted

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/gen.db")
        if version_locations():
            upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include})
            script = produce_migrations(context, metadata)
    up = render_python_code(script.upgrade_ops, render_as_batch=not new_branch_of(args))
    down = render_python_code(script.downgrade_ops, render_as_batch=not new_branch_of(args))
    new_branch = args.after is None
    branch = args.capability.rsplit("/", 1)[-1]  # "collections/screening" -> branch "screening"
    text = TEMPLATE.format(
        message=args.message,
        revision=args.revision,
        down=args.after,
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        labels=(branch,) if new_branch else None,
        depends=args.depends_on or ("platform_0001" if new_branch and branch != "platform" else None),
        upgrade=_strip_comments(up),
        downgrade=_strip_comments(down),
    )
    folder = PACKAGE_DIR / args.capability / "migrations"
    folder.mkdir(exist_ok=True)
    path = Path(folder / f"{args.revision}.py")
    path.write_text(text)
    print(path)


def new_branch_of(args: argparse.Namespace) -> bool:
    return args.after is None


def _strip_comments(code: str) -> str:
    lines = [line for line in code.splitlines() if "### " not in line]
    return "\n".join(lines) if any(line.strip() for line in lines) else "    pass"


if __name__ == "__main__":
    main()
