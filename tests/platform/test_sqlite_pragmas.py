"""The embedded SQLite default's connection settings (WAL, checkpoint interval, durability, keys)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from lendguard.platform.db import SQLITE_WAL_AUTOCHECKPOINT_PAGES, make_engine


def test_every_sqlite_connection_gets_wal_and_the_longer_checkpoint_interval(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lendguard.db'}")
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            settings = {
                name: driver.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "wal_autocheckpoint", "synchronous", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert settings == {
        "journal_mode": "wal",
        "wal_autocheckpoint": SQLITE_WAL_AUTOCHECKPOINT_PAGES,
        "synchronous": 1,  # NORMAL: in WAL mode a commit does not wait for fsync, a checkpoint does
        "foreign_keys": 1,
    }


def test_commits_leave_more_than_sqlites_default_1000_pages_in_the_log(tmp_path: Path) -> None:
    """Behaviour, not just the setting: with SQLite's default, a commit past 1,000 logged pages
    checkpoints and the next writer starts the log over, so it never holds much more than that."""
    database = tmp_path / "lendguard.db"
    engine = make_engine(f"sqlite:///{database}")
    table = sa.Table(
        "blobs", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("b", sa.LargeBinary)
    )
    try:
        table.create(engine)
        page = 4096
        for _ in range(30):  # ~60 pages per commit, 1,800 in all
            with engine.begin() as conn:
                conn.execute(table.insert(), [{"b": bytes(page)} for _ in range(60)])
        wal = Path(f"{database}-wal").stat().st_size
    finally:
        engine.dispose()
    assert 1_500 * page < wal < SQLITE_WAL_AUTOCHECKPOINT_PAGES * (page + 24)
