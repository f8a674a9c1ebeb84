"""A Core SELECT compiled once per dialect and run straight on the driver connection.

For the few reads on a hot path (the gateway's consent check and score history run on every query):
through ``Connection.execute`` a small indexed SELECT costs several times its execution in
SQLAlchemy's per-statement work (execution context, events, parameter and result set-up). Here the
statement is compiled once per dialect, executed on the DBAPI cursor of the caller's connection — in
the caller's transaction, if one was begun — and each column passes through the same result
processor SQLAlchemy would apply, so the rows are exactly what ``execute(...).mappings()`` returns.
Parameters must be plain values that need no bind processing (ints and strings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select


@dataclass
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order for positional paramstyles
    names: tuple[str, ...]
    # per column, set on the first execution: some depend on the driver's type code in the description
    processors: tuple[Callable[[Any], Any] | None, ...] | None = None


class DriverSelect:
    """``statement`` (named ``bindparam`` parameters only) run on the driver connection; see the module."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        found = _Compiled(compiled.string, positions, tuple(self.statement.selected_columns.keys()))
        self._by_dialect[dialect.name] = found  # idempotent: a race compiles twice, harmlessly
        return found

    def _processors(self, dialect: Dialect, description: Any) -> tuple[Callable[[Any], Any] | None, ...]:
        columns = list(self.statement.selected_columns)
        return tuple(
            col.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for col, described in zip(columns, description, strict=True)
        )

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The statement's rows as dicts keyed by column name, in the caller's transaction."""
        compiled = self._by_dialect.get(conn.dialect.name) or self._compile(conn.dialect)
        bound = dict(params) if compiled.positions is None else [params[name] for name in compiled.positions]
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, bound)
            fetched = cursor.fetchall()
            if compiled.processors is None:
                compiled.processors = self._processors(conn.dialect, cursor.description)
        finally:
            cursor.close()
        names, processors = compiled.names, compiled.processors
        if not any(processors):
            return [dict(zip(names, row, strict=True)) for row in fetched]
        return [
            {
                name: value if process is None or value is None else process(value)
                for name, process, value in zip(names, processors, row, strict=True)
            }
            for row in fetched
        ]
