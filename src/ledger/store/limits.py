"""Bounded waits on the database: no statement and no wait for a connection runs forever.

When the database is slow (a long lock, an overloaded server) a command must fail quickly
and say so, so that the HTTP layer can answer 503 with Retry-After instead of holding the
client. The library retries every operational error ten times, which is right after a
restart (a dead connection is replaced) but wrong for a timeout: ten timeouts in a row
would hold the client for ten times the limit. So timeouts leave the library as
``DatabaseBusy``, which it does not retry.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from psycopg import errors, sql
from psycopg.rows import DictRow
from psycopg_pool import PoolTimeout

from ledger.store.errors import DatabaseBusy


def statement_timeout_option(milliseconds: int) -> str:
    """The libpq ``options`` fragment that limits every statement of a session (0: none)."""
    return f"-c statement_timeout={max(0, milliseconds)}"


def bound_waits(datastore: PostgresDatastore, *, statement_ms: int, pool_seconds: float) -> None:
    """Limit the library's statements to ``statement_ms`` and its pool waits to ``pool_seconds``.

    A statement cancelled by the limit, or a wait for a free connection that
    runs out, raises ``DatabaseBusy`` instead of the library's retried operational error.
    """
    pool = datastore.pool
    pool.timeout = pool_seconds
    configure: Callable[[psycopg.Connection[Any]], None] | None = pool._configure
    limit = sql.SQL("SET statement_timeout = {}").format(sql.Literal(max(0, statement_ms)))

    # Connections the pool opened before this call (the application may already have
    # used it) get the limit when first handed out; new ones when they are opened.
    limited: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()

    def configure_with_limit(conn: psycopg.Connection[Any]) -> None:
        if configure is not None:
            configure(conn)  # the library's: autocommit and its idle-transaction limit
        conn.execute(limit)
        limited.add(conn)

    pool._configure = configure_with_limit
    library_connection = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[psycopg.Connection[DictRow]]:
        try:
            with library_connection() as conn:
                try:
                    if conn not in limited:
                        conn.execute(limit)
                        limited.add(conn)
                    yield conn
                except errors.QueryCanceled as exc:
                    raise DatabaseBusy(
                        f"a statement ran longer than {statement_ms} ms and was cancelled"
                    ) from exc
        except OperationalError as exc:
            if isinstance(exc.__cause__, PoolTimeout):
                raise DatabaseBusy(
                    f"no database connection became free within {pool_seconds:g} s"
                ) from exc
            raise

    datastore.get_connection = get_connection  # type: ignore[method-assign]
