"""The frame every benchmark runs in.

A benchmark gets a ``Bench``: the server, the settings its ledgers are built with, and
where to report progress. It works in a scratch schema, migrated for it and dropped
afterwards, times its side and a raw-PostgreSQL baseline in the same run, and returns a
``Report``: its figures (with the server's version), printed as one JSON object with
``--json``, else one line.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from api.bootstrap import build_ledger
from ledger.application.ledger import Ledger
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.migrations import migrate

Progress = Callable[[int], None]
"""Told how many more events a benchmark has written."""


def unwatched(_events: int) -> None:
    """Progress that nobody watches."""


@dataclass(frozen=True)
class Report:
    """What a benchmark command prints.

    Attributes:
        figures: every figure by name, printed as one JSON object with ``--json``.
        line: the same figures in one line of text.
    """

    figures: dict[str, Any]
    line: str


@dataclass(frozen=True)
class Bench:
    """Where a benchmark runs.

    Attributes:
        database: the server (and the schema of the command); benchmarks work beside it.
        settings: what the ledger, the API and the migrations are built from.
        progress: told of the events written while a benchmark fills its ledger.
    """

    database: Database
    settings: Settings
    progress: Progress = unwatched

    @contextmanager
    def scratch(self) -> Iterator[Database]:
        """A freshly migrated schema for one benchmark, dropped afterwards."""
        schema = f"bench_{secrets.token_hex(4)}"
        with self.database.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        scratch = Database(url=self.database.url, schema=schema, embedded=self.database.embedded)
        try:
            migrate(scratch, self.settings.migrations_dir)
            yield scratch
        finally:
            with self.database.connect(autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    @contextmanager
    def ledger(self, scratch: Database) -> Iterator[Ledger]:
        """The ledger on ``scratch``, built as ``ledger serve`` builds it; closed afterwards."""
        ledger = build_ledger(self.settings, scratch)
        try:
            yield ledger
        finally:
            ledger.close()

    def server_version(self) -> str:
        """Which PostgreSQL the benchmark ran on, for its report."""
        with self.database.connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        kind = "embedded" if self.database.embedded else "external"
        return f"{kind} PostgreSQL {row[0] if row else '?'}"


@dataclass
class RunTimes:
    """Commit latencies of one run; their sum is the run's time."""

    commit_ms: list[float] = field(default_factory=list)

    def add(self, started: float) -> None:
        """Record a commit that began at ``started`` (``time.perf_counter``) and ended now."""
        self.commit_ms.append(ms_since(started))

    @property
    def seconds(self) -> float:
        """Total time spent in commits."""
        return sum(self.commit_ms) / 1000


def ms_since(began: float) -> float:
    """Milliseconds since ``began``, a ``time.perf_counter()`` reading."""
    return (time.perf_counter() - began) * 1000


def timed_ms(call: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    """How long one call of ``call`` with these arguments took, in milliseconds."""
    began = time.perf_counter()
    call(*args, **kwargs)
    return ms_since(began)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile ``pct`` of ``values``."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def percentiles(name: str, values: list[float], *pcts: int, digits: int = 3) -> dict[str, float]:
    """The figures ``{name}_p{pct}_ms`` (``p{pct}_ms`` without a name) of ``values``, in
    milliseconds rounded to ``digits``."""
    prefix = f"{name}_" if name else ""
    return {f"{prefix}p{pct}_ms": round(percentile(values, pct), digits) for pct in pcts}


def plain_read_rate(database: Database) -> float:
    """Rows per second of a plain ordered read of the events table, no hashing: the floor
    of anything that reads the whole history."""
    began = time.perf_counter()
    count = 0
    with database.connect() as conn, conn.cursor(name="plain_read", binary=True) as cur:
        cur.execute("SELECT * FROM ledger_events ORDER BY notification_id")
        while batch := cur.fetchmany(5000):
            count += len(batch)
    return count / (time.perf_counter() - began)


def insert_events(
    database: Database, events: int, *, rows: str, chunk: int, progress: Progress
) -> None:
    """Append ``events`` events straight into the events table, ``chunk`` per statement and
    commit (the chain trigger hashes each), for benchmarks that need a long ledger rather
    than realistic commands.

    ``rows`` is a SELECT of ``(originator_id, originator_version, topic, state)`` that may
    use ``%(first)s`` and ``%(last)s`` (the chunk's event numbers, from 1) and
    ``%(count)s`` (its size).
    """
    insert = "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
    with database.connect() as conn:
        for offset in range(0, events, chunk):
            count = min(chunk, events - offset)
            conn.execute(
                insert + rows, {"first": offset + 1, "last": offset + count, "count": count}
            )
            conn.commit()
            progress(count)
