"""DriverStatement returns exactly what Connection.execute returns, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from lendguard.platform.db import make_engine
from lendguard.platform.driver_statement import DriverStatement

_metadata = sa.MetaData()
_things = sa.Table(
    "driver_select_things",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("flag", sa.Boolean),
    sa.Column("doc", sa.JSON),
    sa.Column("amount", sa.Numeric(10, 2)),
)
_OF_OWNER = sa.select(_things).where(_things.c.owner == sa.bindparam("owner")).order_by(_things.c.id)


@pytest.fixture
def things(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            _things.insert(),
            [
                {"owner": "a", "at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "flag": True, "doc": {"x": [1]}},
                {"owner": "a", "at": None, "flag": False, "doc": None, "amount": Decimal("1.50")},
                {"owner": "b", "at": None, "flag": None, "doc": None},
            ],
        )
    yield engine
    engine.dispose()


def test_rows_equal_what_core_returns_with_every_type_processed(things: Engine) -> None:
    select = DriverStatement(_OF_OWNER)
    with things.connect() as conn:
        for owner in ("a", "b", "nobody"):
            core = [dict(r) for r in conn.execute(_OF_OWNER, {"owner": owner}).mappings()]
            assert select.rows(conn, {"owner": owner}) == core
    with things.connect() as conn:
        first = select.rows(conn, {"owner": "a"})[0]
    assert first["flag"] is True and first["doc"] == {"x": [1]}
    assert first["at"].replace(tzinfo=UTC) == datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_a_statement_that_returns_no_rows_gives_none_on_every_execution(things: Engine) -> None:
    # The first execution's description (here: none) is kept for the next ones.
    rename = DriverStatement(sa.text("UPDATE driver_select_things SET owner = :new WHERE owner = :old"))
    with things.connect() as conn, conn.begin():
        assert rename.execute(conn, {"old": "a", "new": "z"}) == ([], [])
        assert rename.execute(conn, {"old": "z", "new": "y"}) == ([], [])
        assert DriverStatement(_OF_OWNER).rows(conn, {"owner": "y"}) != []


def test_rows_see_the_callers_uncommitted_writes_in_its_transaction(things: Engine) -> None:
    with things.connect() as conn, conn.begin() as transaction:
        conn.execute(_things.insert(), {"owner": "c"})
        assert len(DriverStatement(_OF_OWNER).rows(conn, {"owner": "c"})) == 1
        transaction.rollback()
    with things.connect() as conn:
        assert DriverStatement(_OF_OWNER).rows(conn, {"owner": "c"}) == []


def test_a_textual_statement_gives_its_first_value_or_none(things: Engine) -> None:
    count = DriverStatement(sa.text("SELECT COUNT(*) FROM driver_select_things WHERE owner = :owner"))
    first = DriverStatement(sa.text("SELECT id FROM driver_select_things WHERE owner = :owner ORDER BY id"))
    with things.connect() as conn:
        assert count.first_value(conn, {"owner": "a", "unused": 1}) == 2
        assert first.first_value(conn, {"owner": "nobody"}) is None


def test_first_values_gives_each_parameter_sets_first_value_in_order(things: Engine) -> None:
    count = DriverStatement(sa.text("SELECT COUNT(*) FROM driver_select_things WHERE owner = :owner"))
    with things.connect() as conn:
        assert count.first_values(conn, [{"owner": "a"}, {"owner": "nobody"}, {"owner": "b"}]) == [2, 0, 1]
        assert count.first_values(conn, []) == []


def test_first_values_raise_the_drivers_error_of_the_first_failing_statement(things: Engine) -> None:
    insert = DriverStatement(sa.text("INSERT INTO driver_select_things (id, owner) VALUES (:id, 'z') RETURNING id"))
    with things.connect() as conn, conn.begin() as transaction:
        assert insert.first_values(conn, [{"id": 100}, {"id": 101}]) == [100, 101]
        with pytest.raises(conn.dialect.loaded_dbapi.IntegrityError):
            insert.first_values(conn, [{"id": 102}, {"id": 1}, {"id": 103}])  # id 1 is taken
        transaction.rollback()
    with things.connect() as conn:
        assert DriverStatement(_OF_OWNER).rows(conn, {"owner": "z"}) == []


def test_first_values_then_also_gives_the_first_row_of_each_following_statement(things: Engine) -> None:
    """On PostgreSQL the following statements go in the same pipeline; on SQLite one after another."""
    count = DriverStatement(sa.text("SELECT COUNT(*) FROM driver_select_things WHERE owner = :owner"))
    with things.connect() as conn:
        m = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        then = [
            (f"SELECT owner, id FROM driver_select_things WHERE owner = {m} ORDER BY id", ("b",)),
            (f"SELECT id FROM driver_select_things WHERE owner = {m}", ("nobody",)),
        ]
        values, rows = count.first_values_then(conn, [{"owner": "a"}, {"owner": "b"}], then)
        assert values == [2, 1]
        assert [None if row is None else tuple(row) for row in rows] == [("b", 3), None]
        assert count.first_values_then(conn, [{"owner": "a"}], []) == ([2], [])
