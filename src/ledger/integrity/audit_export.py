"""Audit exports: a range of events as JSON Lines, with the checkpoint and proofs covering them.

The first line is the checkpoint (``"kind": "checkpoint"``): the C2SP signed note, its
tree size, root hash and verifier key. Every further line is one event
(``"kind": "event"``) in position order with its stored fields, its chain links and its
RFC 9162 inclusion path in that checkpoint's tree, so that an auditor holding the public
key can check the export without the database: recompute each event's chain hash from its
fields (docs/integrity.md), check the links between consecutive events, and check each leaf
``SHA-256(0x00 || hash)`` against the signed root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg

from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import (
    StoredCheckpoint,
    extend_tree,
    latest_checkpoint,
    node_lookup,
    sign_checkpoint,
)
from ledger.store.chain import PG_EPOCH_UNIX_US
from ledger.store.database import Database

PAGE = 1_000
"""Events read, and proved, per statement."""


class ExportNotPossible(Exception):
    """Raised when the range is empty, unknown, or not yet covered by a checkpoint.

    Attributes:
        uncovered: True when only a newer checkpoint is missing.
    """

    def __init__(self, detail: str, *, uncovered: bool = False) -> None:
        super().__init__(detail)
        self.uncovered = uncovered


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds."""

    events: int
    first_position: int
    last_position: int
    tree_size: int
    root_hash: str

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return dict(vars(self))


def last_leaf_in(conn: psycopg.Connection[Any], first: int, last: int) -> tuple[int, int] | None:
    """The highest leaf index and position of the tree's leaves in ``[first, last]``."""
    row = conn.execute(
        "SELECT leaf_index, position FROM ledger_merkle_leaves WHERE position BETWEEN %s AND %s"
        " ORDER BY position DESC LIMIT 1",
        (first, last),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def export_checkpoint(
    database: Database,
    conn: psycopg.Connection[Any],
    *,
    first: int,
    last: int,
    signing_key: Callable[[], SigningKey | None],
) -> StoredCheckpoint | None:
    """The checkpoint an export of ``[first, last]`` is proved against.

    The latest checkpoint when it covers the range's recorded events; else one signed now
    when ``signing_key()`` gives a key (it is asked only then); else the latest all the same
    (the export then names the events it does not cover); None when none was ever signed.
    """
    extend_tree(database)  # so that every recorded event of the range is a leaf
    found = latest_checkpoint(conn)
    newest = last_leaf_in(conn, first, last)
    if found is not None and (newest is None or newest[0] < found.tree_size):
        return found
    key = signing_key()
    return sign_checkpoint(database, key) if key is not None else found


def export_lines(
    conn: psycopg.Connection[Any], *, first: int, last: int, checkpoint: StoredCheckpoint
) -> Iterator[bytes]:
    """The export's lines (each ending in a newline): the checkpoint, then the events.

    Raises:
        ExportNotPossible: when no event lies in the range or the checkpoint does not
            cover its last event.
    """
    for line, _position in _export(conn, first=first, last=last, checkpoint=checkpoint):
        yield line


def _export(
    conn: psycopg.Connection[Any], *, first: int, last: int, checkpoint: StoredCheckpoint
) -> Iterator[tuple[bytes, int | None]]:
    """The lines with the position of the event each holds (None for the checkpoint).

    Raises:
        ExportNotPossible: when no event lies in the range or the checkpoint does not
            cover its last event.
    """
    newest = last_leaf_in(conn, first, last)
    if newest is None:
        raise ExportNotPossible(f"no event recorded between positions {first} and {last}")
    if newest[0] >= checkpoint.tree_size:
        raise ExportNotPossible(
            f"the latest checkpoint covers {checkpoint.tree_size} events, not event {newest[1]}",
            uncovered=True,
        )
    yield _line({"kind": "checkpoint", **checkpoint.as_json()}), None
    lookup = node_lookup(conn)
    after = first - 1
    while True:
        rows = conn.execute(_PAGE_SQL, (after, last, PAGE)).fetchall()
        if not rows:
            return
        needed = merkle.nodes_needed(
            r for row in rows for r in merkle.inclusion_ranges(row[0], checkpoint.tree_size)
        )
        hashes = lookup(needed)
        for row in rows:
            ranges = merkle.inclusion_ranges(row[0], checkpoint.tree_size)
            yield _line(_event(row, merkle.assemble(ranges, hashes))), row[1]
        after = rows[-1][1]


_PAGE_SQL = (
    "SELECT l.leaf_index, e.notification_id, e.recorded_at,"
    " (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.topic, e.originator_id,"
    " e.originator_version, e.state, e.prev_hash, e.hash"
    " FROM ledger_events e JOIN ledger_merkle_leaves l ON l.position = e.notification_id"
    " WHERE e.notification_id > %s AND e.notification_id <= %s"
    " ORDER BY e.notification_id LIMIT %s"
)


def _event(row: tuple[Any, ...], path: list[bytes]) -> dict[str, Any]:
    leaf_index, position, recorded_at, unix_us, topic, oid, version, state, prev, chain = row
    text = bytes(state).decode()
    return {
        "kind": "event",
        "position": position,
        "recorded_at": recorded_at.isoformat(),
        "recorded_at_us": int(unix_us) - PG_EPOCH_UNIX_US,
        "type": topic,
        "aggregate_id": str(oid),
        "aggregate_version": version,
        "state": text,
        "payload": orjson.loads(text),
        "prev_hash": bytes(prev).hex(),
        "hash": bytes(chain).hex(),
        "leaf_index": leaf_index,
        "inclusion_path": [digest.hex() for digest in path],
    }


def _line(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document) + b"\n"


def write_export(
    conn: psycopg.Connection[Any],
    write: Callable[[bytes], Any],
    *,
    first: int,
    last: int,
    checkpoint: StoredCheckpoint,
) -> ExportSummary:
    """Write the export of ``[first, last]`` line by line with ``write``."""
    events, first_seen, last_seen = 0, 0, 0
    for line, position in _export(conn, first=first, last=last, checkpoint=checkpoint):
        write(line)
        if position is not None:
            first_seen = first_seen or position
            last_seen = position
            events += 1
    return ExportSummary(
        events, first_seen, last_seen, checkpoint.tree_size, checkpoint.root_hash.hex()
    )


_AT_SQL = (
    "SELECT l.leaf_index, e.notification_id, e.recorded_at,"
    " (extract(epoch FROM e.recorded_at) * 1000000)::bigint, e.topic, e.originator_id,"
    " e.originator_version, e.state, e.prev_hash, e.hash"
    " FROM ledger_events e JOIN ledger_merkle_leaves l ON l.position = e.notification_id"
    " WHERE e.notification_id = ANY(%s) ORDER BY e.notification_id"
)


def event_records(
    conn: psycopg.Connection[Any], positions: Iterable[int], *, checkpoint: StoredCheckpoint
) -> list[dict[str, Any]]:
    """The export's event records of the events at ``positions``, ascending, with their
    inclusion paths in the checkpoint's tree (the tree must already hold them as leaves).

    Raises:
        ExportNotPossible: when a position names no event, or the checkpoint does not cover
            one.
    """
    wanted = sorted(set(positions))
    lookup = node_lookup(conn)
    records: list[dict[str, Any]] = []
    for start in range(0, len(wanted), PAGE):
        page = wanted[start : start + PAGE]
        rows = conn.execute(_AT_SQL, (page,)).fetchall()
        missing = sorted(set(page) - {row[1] for row in rows})
        if missing:
            raise ExportNotPossible(f"no event recorded at position {missing[0]}")
        if rows[-1][0] >= checkpoint.tree_size:
            raise ExportNotPossible(
                f"the checkpoint covers {checkpoint.tree_size} events, not event {rows[-1][1]}",
                uncovered=True,
            )
        ranges = [merkle.inclusion_ranges(row[0], checkpoint.tree_size) for row in rows]
        hashes = lookup(merkle.nodes_needed(r for path in ranges for r in path))
        records.extend(
            _event(row, merkle.assemble(path, hashes))
            for row, path in zip(rows, ranges, strict=True)
        )
    return records
