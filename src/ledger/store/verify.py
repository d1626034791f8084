"""``ledger verify``: stream the events table and recompute its hash chain."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from ledger.store.chain import GENESIS_HASH, event_hash
from ledger.store.database import Database

EVENTS_TABLE = "ledger_events"
MAX_FINDINGS = 100
_FETCH_ROWS = 5000

# The stored fields in the canonical layout's own terms; the id comes as its 16 bytes and
# the recording time as integer microseconds since 2000-01-01 UTC.
_SELECT_CHAIN = sql.SQL(
    "SELECT notification_id, uuid_send(originator_id), originator_version,"
    " (extract(epoch FROM recorded_at) * 1000000)::bigint - 946684800000000,"
    " topic, state, prev_hash, hash"
    " FROM {table}{where} ORDER BY notification_id"
)

ChainRow = tuple[int, bytes, int, int, str, bytes, bytes | None, bytes | None]


@dataclass(frozen=True)
class Finding:
    """One break in the chain: the event's position and what is wrong with it.

    ``reason`` is one of ``changed`` (its content or hash was altered), ``missing`` (the
    event it follows is gone), ``inserted`` (it is not part of the chain), ``reordered``
    (it follows an event that now stands after it).
    """

    position: int
    reason: str
    detail: str


@dataclass
class VerifyReport:
    """The outcome of a chain verification."""

    events: int = 0
    findings: list[Finding] = field(default_factory=list)
    head_hash: bytes = GENESIS_HASH
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every event is intact and in its place."""
        return not self.findings

    @property
    def events_per_second(self) -> float:
        """Verification throughput."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` form of the report."""
        first = self.findings[0] if self.findings else None
        return {
            "ok": self.ok,
            "events": self.events,
            "first_bad_position": first.position if first else None,
            "reason": first.reason if first else None,
            "detail": first.detail if first else None,
            "findings": [vars(f) for f in self.findings],
            "head_hash": self.head_hash.hex(),
            "events_per_second": round(self.events_per_second, 1),
        }


@dataclass
class _BrokenLink:
    position: int
    expected_prev: bytes
    prev_hash: bytes
    hash: bytes
    content_ok: bool


class ChainVerifier:
    """Recomputes the chain over rows given in position order, collecting findings.

    ``locate`` answers where the event with a given hash now stands (or None), to tell a
    reordering from a deletion; it is asked only for broken links.
    """

    def __init__(self, locate: Callable[[bytes], int | None]) -> None:
        self._locate = locate
        self.report = VerifyReport()
        self._expected = GENESIS_HASH
        self._pending: _BrokenLink | None = None

    def feed(self, rows: Iterable[ChainRow]) -> None:
        """Check each row against the one before it."""
        for position, uid, version, recorded_us, topic, state, prev, stored in rows:
            prev = bytes(prev or b"")
            stored = bytes(stored or b"")
            content_ok = stored == event_hash(
                prev,
                position=position,
                originator_id=bytes(uid),
                originator_version=version,
                recorded_at_us=recorded_us,
                topic=topic,
                state=bytes(state),
            )
            self.report.events += 1
            self._check(position, prev, stored, content_ok)

    def finish(self) -> VerifyReport:
        """Resolve a break found at the last row and return the report."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            if not pending.content_ok and self._locate(pending.prev_hash) is None:
                self._add(pending.position, "inserted", "the last event does not extend the chain")
            else:
                self._add(*self._broken_link(pending))
        self.report.head_hash = self._expected
        return self.report

    def _check(self, position: int, prev: bytes, stored: bytes, content_ok: bool) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            if pending.prev_hash == stored:
                # Two neighbours swapped places: each links to the other.
                self._add(pending.position, "reordered", f"it follows event {position}")
                self._add(position, "reordered", f"event {pending.position} follows it")
                self._expected = pending.hash
                return
            if prev == pending.expected_prev:
                self._add(pending.position, "inserted", "the next event skips it in the chain")
                self._expected = pending.expected_prev
            else:
                self._add(*self._broken_link(pending))
        if prev != self._expected:
            self._pending = _BrokenLink(position, self._expected, prev, stored, content_ok)
        elif not content_ok:
            self._add(position, "changed", "its content no longer matches its hash")
        self._expected = stored

    def _broken_link(self, link: _BrokenLink) -> tuple[int, str, str]:
        followed = self._locate(link.prev_hash)
        if followed is not None and followed > link.position:
            return link.position, "reordered", f"it follows event {followed}, which stands after it"
        if link.content_ok:
            return link.position, "missing", "the event it follows is not in the table"
        return link.position, "changed", "its link to the previous event was altered"

    def _add(self, position: int, reason: str, detail: str) -> None:
        if len(self.report.findings) < MAX_FINDINGS:
            self.report.findings.append(Finding(position, reason, detail))


def chain_rows(
    database: Database, *, stop: int | None = None, fetch_rows: int = _FETCH_ROWS
) -> Iterator[ChainRow]:
    """Stream the chain's fields in position order through a server-side cursor."""
    where = sql.SQL(" WHERE notification_id <= %s" if stop is not None else "")
    query = _SELECT_CHAIN.format(table=sql.Identifier(EVENTS_TABLE), where=where)
    with database.connect() as conn, conn.cursor(name="ledger_verify", binary=True) as cur:
        cur.itersize = fetch_rows
        cur.execute(query, (stop,) if stop is not None else None)
        while batch := cur.fetchmany(fetch_rows):
            yield from batch


def verify_chain(database: Database, *, stop: int | None = None) -> VerifyReport:
    """Recompute the whole chain (or up to position ``stop``) and report every break."""
    with database.connect(autocommit=True) as lookup_conn:

        def locate(hash_value: bytes) -> int | None:
            row = lookup_conn.execute(
                sql.SQL("SELECT notification_id FROM {} WHERE hash = %s LIMIT 1").format(
                    sql.Identifier(EVENTS_TABLE)
                ),
                (hash_value,),
            ).fetchone()
            return int(row[0]) if row else None

        started = time.perf_counter()
        verifier = ChainVerifier(locate)
        verifier.feed(chain_rows(database, stop=stop))
        report = verifier.finish()
        report.seconds = time.perf_counter() - started
        return report
