"""One prepared INSERT per table, for rows a use case writes and never reads back as objects.

The ORM's unit of work costs several times the CPU of the one INSERT it emits, and
a case, its audit events and its deliveries are written on every change. So those
rows go in through `PreparedInsert(Model)`, which fills the Python-side defaults
the model declares (`mapped_column(default=...)`) as the ORM would, so no caller
restates them. A column left out that has no default is NULL (SQL NULL also for
JSON columns, as with the ORM). `returning_id` also gives the new row's id: by
RETURNING on PostgreSQL, from the cursor's last row id on SQLite, as SQLAlchemy
picks for the dialect. Reading it costs a few microseconds, so a plain call skips it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import ColumnDefault, CursorResult, Table, insert
from sqlalchemy.orm import DeclarativeBase, Session


class PreparedInsert:
    """Insert rows of one mapped class with its table's defaults (and their ids, when asked)."""

    def __init__(self, model: type[DeclarativeBase]) -> None:
        table = cast(Table, model.__table__)
        if len(table.primary_key.columns) != 1:
            raise TypeError(f"{table.name}: a prepared insert returns one id; the key has several columns")
        self.table = table
        self._statement = insert(table)
        self._columns = frozenset(table.c.keys())
        self._scalars: dict[str, Any] = {}
        self._callables: list[tuple[str, Callable[[Any], Any]]] = []
        for column in table.c:
            default = column.default
            if not isinstance(default, ColumnDefault):
                continue  # none, or a sequence: the database's to fill
            if default.is_scalar:
                self._scalars[column.key] = default.arg
            elif default.is_callable and not _reads_context(default.arg):
                self._callables.append((column.key, default.arg))
            # SQL expressions and callables that read the execution context are left
            # out here; SQLAlchemy evaluates them as it runs the INSERT.

    def __call__(self, session: Session, /, **values: Any) -> None:
        """Add one row to the session's transaction."""
        session.execute(self._statement, self._row(values))

    def returning_id(self, session: Session, /, **values: Any) -> int:
        """Add one row to the session's transaction and return its id."""
        result = cast(CursorResult[Any], session.execute(self._statement, self._row(values)))
        primary_key = result.inserted_primary_key
        assert primary_key is not None  # a single-row INSERT always has one
        return cast(int, primary_key[0])

    def _row(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return the values (a call's own keyword dict) with the defaults of the columns they leave out."""
        if not self._columns.issuperset(values):
            unknown = ", ".join(sorted(values.keys() - self._columns))
            raise TypeError(f"{self.table.name} has no column {unknown}")
        if self._scalars:
            values = {**self._scalars, **values}
        for name, make in self._callables:
            if name not in values:
                values[name] = make(None)
        return values


def _reads_context(fn: Callable[[Any], Any]) -> bool:
    """Say whether a default callable takes SQLAlchemy's execution context.

    SQLAlchemy wraps a default without a required positional argument in one that
    takes the context and drops it, and the wrapper's signature is the original's.
    """
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is inspect.Parameter.empty for p in parameters)
