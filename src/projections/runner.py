"""The projection runner: folds pages of events into read models, tracking in the same txn."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from ledger.store.database import Database
from projections.model import PositionedEvent, ReadModel
from projections.tables import (
    REBUILD_SUFFIX,
    Statement,
    build_indexes,
    create_like,
    defer_indexes,
    named,
    swap,
)

Decode = Callable[[StoredEvent], Any]
_log = logging.getLogger("ledger.projections")

_ENSURE = "INSERT INTO ledger_projection_positions (projection) VALUES (%s) ON CONFLICT DO NOTHING"
_LOCK_POSITION = "SELECT position FROM ledger_projection_positions WHERE projection = %s FOR UPDATE"
_SET_POSITION = (
    "UPDATE ledger_projection_positions SET position = %s, updated_at = clock_timestamp()"
    " WHERE projection = %s"
)
_PAGE = (
    "SELECT notification_id, recorded_at, originator_id, originator_version, topic, state"
    " FROM ledger_events WHERE notification_id > %s AND notification_id <= %s"
    " ORDER BY notification_id LIMIT %s"
)
_NO_END = 2**63 - 1
_RECORDED_BY = "SELECT coalesce(max(notification_id), 0) FROM ledger_events WHERE recorded_at <= %s"
_REPLAY_TABLE = (
    "CREATE TABLE ledger_replay (model text PRIMARY KEY, position bigint NOT NULL,"
    " to_position bigint, as_of timestamptz, head bigint NOT NULL,"
    " replayed_at timestamptz NOT NULL DEFAULT clock_timestamp())"
)
_REPLAYED = (
    "INSERT INTO ledger_replay (model, position, to_position, as_of, head)"
    " VALUES (%s, %s, %s, %s, %s)"
)
_HEAD = "SELECT coalesce(max(notification_id), 0) FROM ledger_events"


@dataclass(frozen=True)
class _Target:
    """Where events are folded: a connection, the read model, and the tables its writer
    writes, by the model's name for each (the live ones, a rebuild's fresh copies …)."""

    conn: psycopg.Connection[Any]
    model: ReadModel[Any]
    tables: Mapping[str, str]

    @classmethod
    def live(cls, conn: psycopg.Connection[Any], model: ReadModel[Any]) -> _Target:
        """The model's own tables (in the schema first on the connection's search path)."""
        return cls(conn, model, {table: table for table in model.tables})


@dataclass(frozen=True)
class Replay:
    """Read models folded up to a past point into a schema of their own."""

    schema: str
    models: tuple[str, ...]
    position: int
    """The last position folded (the point asked for, or the head if it was beyond)."""
    head: int
    """The ledger's head when the replay ran."""


@dataclass(frozen=True)
class ProjectionStatus:
    """How far a read model has folded the stream."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        """Events recorded but not yet folded."""
        return max(0, self.head - self.position)


class Projections:
    """Keeps a set of read models up to date from the ledger's events.

    Every page is one transaction: the position row is locked, the page read and folded,
    the rows written and the position moved, so a model's tables always match its
    position, and two runners (a server and a CLI rebuild) never fold the same page twice.
    """

    def __init__(
        self,
        database: Database,
        decode: Decode,
        models: Sequence[ReadModel[Any]],
        *,
        page_size: int = 1000,
        rebuild_page_size: int = 5000,
    ) -> None:
        self.database = database
        self.decode = decode
        self.models = {model.name: model for model in models}
        self.page_size = page_size
        self.rebuild_page_size = max(page_size, rebuild_page_size)
        self._wake = threading.Event()
        self._ensured = False

    def model(self, name: str) -> ReadModel[Any]:
        """The read model called ``name``; ``KeyError`` names the known ones."""
        try:
            return self.models[name]
        except KeyError:
            known = ", ".join(sorted(self.models))
            raise KeyError(f"no read model called {name!r} (known: {known})") from None

    def catch_up(
        self,
        names: Iterable[str] | None = None,
        *,
        connection: psycopg.Connection[Any] | None = None,
    ) -> dict[str, int]:
        """Fold every event recorded so far into the models; return their positions.

        ``connection`` (autocommit, on the ledger's schema) saves opening one per call."""
        if connection is not None:
            return self._catch_up(connection, names)
        with self.database.connect(autocommit=True) as conn:
            return self._catch_up(conn, names)

    def _catch_up(
        self,
        conn: psycopg.Connection[Any],
        names: Iterable[str] | None = None,
        stop: threading.Event | None = None,
    ) -> dict[str, int]:
        positions = {}
        self._ensure_rows(conn)
        for name in names or list(self.models):
            model = self.model(name)
            while (folded := self._fold_page(_Target.live(conn, model))) is not None:
                positions[name] = folded
                if stop is not None and stop.is_set():
                    return positions  # shutting down: the next start goes on from here
            if name not in positions:
                positions[name] = self._position(conn, name)
        return positions

    def run(self, stop: threading.Event, *, interval: float = 0.2) -> None:
        """Follow new events until ``stop`` is set (a thread's target).

        One connection is kept for the follower's life (opening one per wake cost more
        than folding a one-event page); it is replaced after a connection error.
        """
        conn: psycopg.Connection[Any] | None = None
        while not stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = self.database.connect(autocommit=True)
                self._catch_up(conn, stop=stop)
            except psycopg.OperationalError:
                _closed(conn)  # the database went away; reconnect next time
                conn = None
                time.sleep(interval)
            except Exception:
                # A page that cannot be folded must not stop the follower for good: it is
                # logged and retried, and the model's lag shows in `projections status`.
                _log.exception("folding events into the read models failed; retrying")
                _closed(conn)
                conn = None
                time.sleep(min(5.0, interval * 10))
            self._wake.wait(interval)
            self._wake.clear()
        _closed(conn)

    def wake(self, _position: int | None = None) -> None:
        """Tell a running follower that new events were saved."""
        self._wake.set()

    def status(self) -> list[ProjectionStatus]:
        """Each model's position and the stream's head."""
        with self.database.connect(autocommit=True) as conn:
            self._ensure_rows(conn)
            head = int(_scalar(conn, _HEAD))
            return [
                ProjectionStatus(name, self._position(conn, name), head) for name in self.models
            ]

    def wait_for(self, name: str, position: int, *, timeout: float = 5.0) -> bool:
        """Wait until ``name`` has folded ``position``; False if it did not within timeout."""
        deadline = time.monotonic() + timeout
        with self.database.connect(autocommit=True) as conn:
            while True:
                if self._position(conn, name) >= position:
                    return True
                if time.monotonic() >= deadline:
                    return False
                self._wake.set()
                time.sleep(0.005)

    def rebuild(self, name: str, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild ``name`` from position 0 into fresh tables, then switch atomically.

        Queries keep reading the old tables until the switch. Returns the position reached.
        """
        model = self.model(name)
        fresh = {table: table + REBUILD_SUFFIX for table in model.tables}
        with self.database.connect(autocommit=True) as conn:
            self._ensure_rows(conn)
            for table, copy in fresh.items():
                conn.execute(named("DROP TABLE IF EXISTS {}", copy))
                create_like(conn, sql.Identifier(copy), sql.Identifier(table))
            head = int(_scalar(conn, _HEAD))
            # The bulk, without blocking the live model.
            target = _Target(conn, model, fresh)
            position = self._load(target, until=head, progress=progress)
            with conn.transaction():  # the switch: stop the follower, catch up, swap
                _scalar(conn, _LOCK_POSITION, (name,))
                while (folded := self._fold_into(target, position)) is not None:
                    position = folded
                for table, copy in fresh.items():
                    swap(conn, table, copy)
                conn.execute(_SET_POSITION, (position, name))
        return position

    def replay(
        self,
        names: Sequence[str],
        *,
        schema: str,
        to_position: int | None = None,
        as_of: datetime | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> Replay:
        """Fold the events up to a point into the read models' tables in a new ``schema``.

        The point is a position (``to_position``), or every event the ledger had recorded
        at ``as_of`` ("as we knew it then"); the replay's tables answer every query of the
        live ones as they would have answered then. The live models are not touched.
        """
        if (to_position is None) == (as_of is None):
            raise ValueError("replay needs exactly one of a position and a time")
        models = [self.model(name) for name in names]
        with self.database.connect(autocommit=True) as conn:
            head = int(_scalar(conn, _HEAD))
            if as_of is not None:
                until = int(_scalar(conn, _RECORDED_BY, (as_of,)))
            else:
                assert to_position is not None
                until = min(to_position, head)
            conn.execute(named("CREATE SCHEMA {}", schema))
            try:
                # The replay's tables come first; the events are read from the ledger's.
                conn.execute(named("SET search_path TO {}, {}", schema, self.database.schema))
                conn.execute(_REPLAY_TABLE)
                for model in models:
                    for table in model.tables:
                        source = sql.Identifier(self.database.schema, table)
                        create_like(conn, sql.Identifier(schema, table), source)
                    step = (
                        (lambda at, end, n=model.name: progress(n, at, end)) if progress else None
                    )
                    position = self._load(_Target.live(conn, model), until=until, progress=step)
                    conn.execute(_REPLAYED, (model.name, position, to_position, as_of, head))
            except BaseException:
                conn.execute(named("DROP SCHEMA IF EXISTS {} CASCADE", schema))
                raise
        return Replay(schema=schema, models=tuple(names), position=until, head=head)

    def _load(
        self, target: _Target, *, until: int, progress: Callable[[int, int], None] | None
    ) -> int:
        """Fold positions ``1..until`` into freshly created, empty tables; return the last
        position folded. Indexes the writer does not need are built once, at the end."""
        conn, model = target.conn, target.model
        deferred: list[Statement] = []
        for table, actual in target.tables.items():
            deferred += defer_indexes(conn, actual, keep_unique=table not in model.append_only)
        position = 0
        while position < until:
            with conn.transaction():
                folded = self._fold_into(target, position, self.rebuild_page_size, until=until)
                position = folded or until
            if progress:
                progress(position, until)
        build_indexes(conn, deferred)
        return position

    def _fold_page(self, target: _Target) -> int | None:
        conn = target.conn
        with conn.transaction():
            position = int(_scalar(conn, _LOCK_POSITION, (target.model.name,)))
            folded = self._fold_into(target, position)
            if folded is not None:
                conn.execute(_SET_POSITION, (folded, target.model.name))
            return folded

    def _fold_into(
        self, target: _Target, after: int, page_size: int | None = None, *, until: int = _NO_END
    ) -> int | None:
        # Binary results: the states arrive as raw bytes instead of hex text to decode.
        page = (after, until, page_size or self.page_size)
        rows = target.conn.execute(_PAGE, page, binary=True).fetchall()
        if not rows:
            return None
        model = target.model
        events = self._decoded(rows, model.topics)
        if events:
            with target.conn.cursor() as cur:
                model.write(cur, model.fold(events), target.tables)
        return int(rows[-1][0])

    def _decoded(self, rows: Sequence[Any], topics: frozenset[str]) -> list[PositionedEvent]:
        """The domain events of a page's rows whose topics are among ``topics``."""
        decode = self.decode
        return [
            PositionedEvent(
                position, recorded_at, decode(StoredEvent(oid, version, topic, bytes(state)))
            )
            for position, recorded_at, oid, version, topic, state in rows
            if topic in topics
        ]

    def _ensure_rows(self, conn: psycopg.Connection[Any]) -> None:
        if not self._ensured:
            with conn.transaction():
                for name in self.models:
                    conn.execute(_ENSURE, (name,))
            self._ensured = True

    @staticmethod
    def _position(conn: psycopg.Connection[Any], name: str) -> int:
        row = conn.execute(
            "SELECT position FROM ledger_projection_positions WHERE projection = %s", (name,)
        ).fetchone()
        return int(row[0]) if row else 0


def _closed(conn: psycopg.Connection[Any] | None) -> None:
    if conn is not None:
        conn.close()


def _scalar(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    return row[0] if row else 0
