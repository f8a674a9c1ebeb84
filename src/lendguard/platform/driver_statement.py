"""A Core statement compiled once per dialect and run straight on the driver connection.

For the few statements on a hot path (the gateway's consent check and score history run on every
query, its charge on every answered one): through ``Connection.execute`` a small indexed statement
costs several times its execution in SQLAlchemy's per-statement work (execution context, events,
parameter and result set-up). Here the statement is compiled once per dialect and executed on the
DBAPI cursor of the caller's connection — in the caller's transaction, if one was begun — and each
column of a SELECT passes through the result processor SQLAlchemy would apply, so the rows are
exactly what ``execute(...).mappings()`` returns. Parameters must be plain values that need no bind
processing (ints, strings, datetimes the driver adapts). Driver errors are raised as the driver's
own exceptions (``conn.dialect.loaded_dbapi``), not wrapped by SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select, TextClause

Processors = tuple[Callable[[Any], Any] | None, ...]


@dataclass
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order for positional paramstyles
    names: tuple[str, ...]  # the parameters, for named paramstyles
    # Set on the first execution, from the cursor's description (some processors depend on the
    # driver's type codes): per column its result processor, then the column names (None: no rows).
    processors: Processors | None = None
    columns: list[str] | None = None
    described: bool = False


class DriverStatement:
    """``statement`` (named ``bindparam`` parameters only) run on the driver connection; see the module."""

    def __init__(self, statement: Select[Any] | TextClause) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        return self._by_dialect.get(dialect.name) or self._compile(dialect)

    @staticmethod
    def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        if compiled.positions is None:
            return {name: params[name] for name in compiled.names}
        return [params[name] for name in compiled.positions]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        found = _Compiled(compiled.string, positions, tuple(compiled.params))
        self._by_dialect[dialect.name] = found  # idempotent: a race compiles twice, harmlessly
        return found

    def _describe(self, dialect: Dialect, compiled: _Compiled, description: Any) -> None:
        """Keep the first execution's column names and result processors. The description is read
        only then: psycopg builds a column object per column on every access (for the 14 columns of
        the consent ledger, some 60 µs of each consent check), and a compiled statement's columns
        never change."""
        if description is not None:
            compiled.processors = self._processors(dialect, description)
            compiled.columns = [d[0] for d in description]
        compiled.described = True  # last: a concurrent first execution sees all of it or describes again

    def _processors(self, dialect: Dialect, description: Any) -> Processors:
        if not isinstance(self.statement, Select):
            return ()  # textual SQL: SQLAlchemy applies no result processing either
        return tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self.statement.selected_columns, description, strict=True)
        )

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows (values processed as SQLAlchemy would), in the caller's transaction."""
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, self._bind(compiled, params))
            if not compiled.described:
                self._describe(conn.dialect, compiled, cursor.description)
            fetched = cursor.fetchall() if compiled.columns is not None else []
        finally:
            cursor.close()
        names = compiled.columns or []
        processors = compiled.processors or ()
        if not any(processors):
            return names, fetched
        return names, [
            tuple(
                value if process is None or value is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
            for row in fetched
        ]

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The statement's rows as dicts keyed by column name."""
        names, fetched = self.execute(conn, params)
        return [dict(zip(names, row, strict=True)) for row in fetched]

    def first_value(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (None when there is no row)."""
        fetched = self.execute(conn, params)[1]
        return fetched[0][0] if fetched else None

    def first_values(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> list[Any]:
        """:meth:`first_value` of each parameter set, executed in order — in one round trip when the
        driver pipelines (psycopg's pipeline mode): a batch's statements then cost one wait for the
        server, and one hand-back of the GIL, instead of one each. Results of a textual statement
        only (no result processing). The first failing statement raises and the rest do not run."""
        return self.first_values_then(conn, params, ())[0]

    def first_values_then(
        self, conn: Connection, params: Sequence[Mapping[str, Any]], then: Sequence[tuple[str, Sequence[Any]]]
    ) -> tuple[list[Any], list[tuple[Any, ...] | None]]:
        """:meth:`first_values`, then each ``(sql, positional parameters)`` of ``then`` (the driver's own
        SQL and markers) in the same round trip when the driver pipelines: the first values, and the
        first row (None: no row) of each ``then`` statement, unprocessed."""
        compiled = self._compiled(conn.dialect)
        driver = conn.connection.driver_connection
        pipeline = getattr(driver, "pipeline", None)
        if pipeline is None or isinstance(self.statement, Select) or len(params) + len(then) < 2:
            values = [self.first_value(conn, p) for p in params]
            return values, [_first_row(driver, sql, args) for sql, args in then]
        cursors = []
        try:
            with pipeline():
                for p in params:
                    cursors.append(driver.cursor())  # type: ignore[union-attr]
                    cursors[-1].execute(compiled.sql, self._bind(compiled, p))
                for sql, args in then:
                    cursors.append(driver.cursor())  # type: ignore[union-attr]
                    cursors[-1].execute(sql, args)
            rows = [cursor.fetchone() for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()
        return [row[0] if row else None for row in rows[: len(params)]], rows[len(params) :]


def _first_row(driver: Any, sql: str, args: Sequence[Any]) -> tuple[Any, ...] | None:
    cursor = driver.cursor()
    try:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else tuple(row)
