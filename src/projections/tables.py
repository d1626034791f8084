"""The tables a rebuild or a replay fills: empty copies of a model's tables, the indexes
they are loaded without, and the switch of a rebuilt copy for the live table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

REBUILD_SUFFIX = "__rebuild"
"""Ends the names of a rebuild's copy of a table and of the copy's indexes."""

_INDEXES = (
    "SELECT ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid), c.conname,"
    " pg_get_constraintdef(c.oid)"
    " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
    " LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid"
    " WHERE i.indrelid = to_regclass(quote_ident(%s)) ORDER BY ic.relname"
)
_BUILD_MEMORY = "SET maintenance_work_mem = '256MB'"

Statement = sql.SQL | sql.Composed


def named(template: str, *names: str) -> sql.Composed:
    """The statement ``template`` with its ``{}`` standing for ``names``, quoted."""
    return sql.SQL(template).format(*map(sql.Identifier, names))


def create_like(conn: psycopg.Connection[Any], copy: sql.Identifier, table: sql.Identifier) -> None:
    """Create ``copy``, empty, with ``table``'s columns, defaults, constraints and indexes."""
    conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(copy, table))


def defer_indexes(
    conn: psycopg.Connection[Any], table: str, *, keep_unique: bool
) -> list[Statement]:
    """Drop the fresh ``table``'s indexes that loading does not need; return what rebuilds
    them. Unique ones stay where the writer relies on them (``ON CONFLICT``)."""
    rows = conn.execute(_INDEXES, (table,)).fetchall()
    rebuild: list[Statement] = []
    for index, unique, definition, constraint, constraint_definition in rows:
        if unique and keep_unique:
            continue
        if constraint is not None:
            conn.execute(named("ALTER TABLE {} DROP CONSTRAINT {}", table, constraint))
            rebuild.append(
                named("ALTER TABLE {} ADD CONSTRAINT {} ", table, constraint)
                + sql.SQL(constraint_definition)
            )
        else:
            conn.execute(named("DROP INDEX {}", index))
            rebuild.append(sql.SQL(definition))
    return rebuild


def build_indexes(conn: psycopg.Connection[Any], deferred: Sequence[Statement]) -> None:
    """Build the indexes ``defer_indexes`` dropped, now that the table is loaded."""
    # One sorted build per index is far cheaper than keeping it up to date row by row.
    conn.execute(_BUILD_MEMORY)
    for statement in deferred:
        conn.execute(statement)
    conn.execute("RESET maintenance_work_mem")


def swap(conn: psycopg.Connection[Any], table: str, copy: str) -> None:
    """Put the rebuilt ``copy`` in ``table``'s place, its indexes under the live names."""
    conn.execute(named("DROP TABLE {}", table))
    conn.execute(named("ALTER TABLE {} RENAME TO {}", copy, table))
    indexes = conn.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        " AND tablename = %s AND indexname LIKE %s",
        (table, f"%{REBUILD_SUFFIX}%"),
    ).fetchall()
    for (index,) in indexes:
        conn.execute(named("ALTER INDEX {} RENAME TO {}", index, index.replace(REBUILD_SUFFIX, "")))
