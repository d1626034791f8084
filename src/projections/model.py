"""What every read model is: a pure fold over events plus a thin writer of its tables, and
the statements those writers share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from eventsourcing.utils import get_topic
from psycopg import Cursor, sql

Changes = TypeVar("Changes")


@dataclass(frozen=True, slots=True)
class PositionedEvent:
    """A domain event with where and when the ledger recorded it."""

    position: int
    recorded_at: datetime
    event: Any


class ReadModel(ABC, Generic[Changes]):
    """A read model: ``fold`` turns a page of events into changes, ``write`` stores them.

    ``fold`` is pure (no I/O, no clock): the same events always give the same changes, so a
    model rebuilt from position 0 equals the one kept up to date event by event. ``write``
    applies changes to the model's tables, whose names it receives (live tables, or the
    fresh copies a rebuild fills).
    """

    name: ClassVar[str]
    """The model's name in ``ledger projections`` and in the positions table."""

    tables: ClassVar[tuple[str, ...]]
    """The tables the model owns (created by migrations)."""

    append_only: ClassVar[frozenset[str]] = frozenset()
    """Tables the writer only ever inserts into (no ``ON CONFLICT``, no updates): a rebuild
    loads them without any index and builds their indexes once, at the end."""

    topics: ClassVar[frozenset[str]]
    """The event topics the model folds; other events only advance its position."""

    @abstractmethod
    def fold(self, events: Sequence[PositionedEvent]) -> Changes:
        """The changes the given events make (pure)."""

    @abstractmethod
    def write(self, cursor: Cursor[Any], changes: Changes, tables: Mapping[str, str]) -> None:
        """Apply ``changes`` to the tables named by ``tables`` (model name -> actual name)."""


def event_topics(aggregate: type[Any], *events: type[Any]) -> frozenset[str]:
    """The topics ``events`` of ``aggregate`` are stored under.

    An event recorded by one of the aggregate's ``@event`` methods is stored as the
    aggregate's own subclass of it (``Aggregate.<Event>``); the event creating the aggregate,
    which it has no subclass of, under its own topic.
    """
    return frozenset(get_topic(getattr(aggregate, event.__name__, event)) for event in events)


# Writing -------------------------------------------------------------------------------------
# What every writer does with its tables, in one place: the statements differ only by the
# table (live, or a rebuild's copy) and its columns.

Row = Sequence[Any]


def insert_rows(
    cursor: Cursor[Any],
    table: str,
    *,
    columns: Sequence[str],
    rows: Sequence[Row],
    conflict: str | sql.Composable = "",
) -> None:
    """Insert ``rows`` (a value per column, in order) into ``table``, if there are any.

    ``conflict`` is the ``ON CONFLICT`` clause, if a row may be there already; without one
    such a row is an error.
    """
    if rows:
        cursor.executemany(
            sql.SQL("INSERT INTO {} ({}) VALUES ({}) {}").format(
                sql.Identifier(table),
                _names(columns),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)),
                sql.SQL(conflict) if isinstance(conflict, str) else conflict,
            ),
            rows,
        )


def replacing(columns: Sequence[str]) -> sql.Composed:
    """The conflict clause of ``insert_rows`` that replaces the row with the same first
    column (its key) by the new one."""
    return sql.SQL("ON CONFLICT ({}) DO UPDATE SET {}").format(
        sql.Identifier(columns[0]),
        sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns[1:]
        ),
    )


def update_rows(cursor: Cursor[Any], table: str, *, statement: str, rows: Sequence[Row]) -> None:
    """Run ``statement`` (``{}`` standing for ``table``) once per row, in order, if any."""
    if rows:
        cursor.executemany(sql.SQL(statement).format(sql.Identifier(table)), rows)


def copy_rows(
    cursor: Cursor[Any],
    table: str,
    *,
    columns: Sequence[str],
    rows: Sequence[Row],
    types: Sequence[str] = (),
) -> None:
    """Copy ``rows`` into ``table`` (the fastest way in for many rows), if there are any.

    With ``types`` (a PostgreSQL type per column) the rows go in binary: times and ids as
    they are held, without text formatting.
    """
    if not rows:
        return
    binary = sql.SQL(" (FORMAT BINARY)" if types else "")
    statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(table), _names(columns), binary
    )
    with cursor.copy(statement) as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def add_counts(
    cursor: Cursor[Any],
    table: str,
    *,
    keys: Mapping[str, str],
    counts: Sequence[str],
    rows: Sequence[Row],
) -> None:
    """Add to ``table``'s counts, creating the rows not there yet.

    ``keys`` are the key columns with their PostgreSQL types, ``counts`` the ``bigint``
    columns added to; each row holds the key's values, then a delta per count. One statement
    for all the rows, the columns going in as arrays.
    """
    if not rows:
        return
    types = [*keys.values(), *("bigint" for _ in counts)]
    cursor.execute(
        sql.SQL(
            "INSERT INTO {} AS t ({}) SELECT * FROM unnest({}) ON CONFLICT ({}) DO UPDATE SET {}"
        ).format(
            sql.Identifier(table),
            _names([*keys, *counts]),
            sql.SQL(", ").join(sql.SQL(f"%b::{t}[]") for t in types),
            _names(list(keys)),
            sql.SQL(", ").join(
                sql.SQL("{0} = t.{0} + EXCLUDED.{0}").format(sql.Identifier(c)) for c in counts
            ),
        ),
        [list(column) for column in zip(*rows, strict=True)],
    )


# Reading -------------------------------------------------------------------------------------

RowT = TypeVar("RowT")


def fetch_rows(
    cursor: Cursor[Any], row: Callable[..., RowT], query: str, params: Mapping[str, Any]
) -> list[RowT]:
    """The rows ``query`` reads, each made into a ``row`` of its columns in order."""
    return [row(*values) for values in cursor.execute(query, params).fetchall()]


def _names(columns: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, columns))
