"""The stored Merkle tree over the chain, signed checkpoints, and proofs read from them.

Leaf ``i`` is the ``i``-th event in position order, its hash ``SHA-256(0x00 || hash)``
where ``hash`` is the event's 32-byte chain hash (docs/integrity.md). The tree is grown
off the write path, by whoever signs checkpoints or asks for a proof beyond it, one
transaction per batch of leaves, under a lock of its own; appends never wait for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import SigningKey, TreeHead
from ledger.store.database import Database

EXTEND_BATCH = 50_000
"""Leaves added per transaction while growing the tree."""
_CHECKPOINT_COLUMNS = (
    "id, tree_size, root_hash, last_position, origin, key_id, verifier_key, note, created_at"
)


class ProofNotPossible(Exception):
    """Raised when a proof is asked for sizes or positions the tree cannot answer.

    Attributes:
        unknown: True when the position names no event (rather than a bad size).
    """

    def __init__(self, detail: str, *, unknown: bool = False) -> None:
        super().__init__(detail)
        self.unknown = unknown


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed tree head as stored: its note is the C2SP checkpoint text."""

    id: int
    tree_size: int
    root_hash: bytes
    last_position: int | None
    origin: str
    key_id: bytes
    verifier_key: str
    note: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The checkpoint for JSON answers (hashes in hex)."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "last_position": self.last_position,
            "origin": self.origin,
            "key_id": self.key_id.hex(),
            "verifier_key": self.verifier_key,
            "created_at": self.created_at.isoformat(),
            "checkpoint": self.note,
        }


def _lock_id(database: Database) -> int:
    digest = hashlib.sha256(f"{database.schema}.ledger_merkle".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def node_lookup(conn: psycopg.Connection[Any]) -> merkle.NodeLookup:
    """Reads perfect subtrees from the stored tree, all asked ones in one statement."""

    def lookup(needed: set[merkle.Node]) -> Mapping[merkle.Node, bytes]:
        levels = [level for level, _ in needed]
        indexes = [index for _, index in needed]
        rows = conn.execute(
            "SELECT 0::smallint, leaf_index, hash FROM ledger_merkle_leaves"
            " WHERE leaf_index = ANY(%(leaves)s)"
            " UNION ALL SELECT n.level, n.node_index, n.hash FROM ledger_merkle_nodes n"
            " JOIN unnest(%(levels)s::smallint[], %(indexes)s::bigint[]) AS w(level, node_index)"
            " USING (level, node_index)",
            {
                "leaves": [index for level, index in needed if level == 0],
                "levels": levels,
                "indexes": indexes,
            },
            prepare=True,
        ).fetchall()
        found = {(int(level), int(index)): bytes(digest) for level, index, digest in rows}
        missing = needed - found.keys()
        if missing:
            raise ProofNotPossible(f"the stored tree lacks nodes {sorted(missing)[:3]}")
        return found

    return lookup


def stored_size(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """The stored tree's size and the position of its last leaf (0 when empty)."""
    row = conn.execute(
        "SELECT leaf_index, position FROM ledger_merkle_leaves ORDER BY leaf_index DESC LIMIT 1"
    ).fetchone()
    return (int(row[0]) + 1, int(row[1])) if row else (0, 0)


def extend_tree(database: Database, *, batch: int = EXTEND_BATCH) -> int:
    """Add the events appended since the stored tree was last grown; return its size.

    The hashing runs in the server (``ledger_merkle_extend``, migration 0014): the caller
    sends one statement per batch, so a process that also serves appends spends next to
    nothing of its own time on the tree.
    """
    while True:
        with database.connect() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(database),))
            before, _ = stored_size(conn)
            row = conn.execute("SELECT ledger_merkle_extend(%s)", (batch,)).fetchone()
            conn.commit()
        assert row is not None
        size = int(row[0])
        if size - before < batch:
            return size


def sign_checkpoint(
    database: Database, key: SigningKey, *, only_if_grown: bool = False
) -> StoredCheckpoint | None:
    """Grow the tree to the chain's head, sign its head with ``key`` and store it.

    With ``only_if_grown``, nothing is signed (None is returned) when the latest checkpoint
    by this key already covers every event.
    """
    extend_tree(database)
    with database.connect() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(database),))
        size, last_position = stored_size(conn)
        latest = latest_checkpoint(conn)
        if (
            only_if_grown
            and latest
            and (latest.tree_size, latest.key_id) == (size, key.verifier.key_id)
        ):
            return None
        root = merkle.root_at(size, node_lookup(conn)) if size else merkle.EMPTY_ROOT
        head = TreeHead(key.name, size, root, datetime.now(UTC))
        note = key.sign(head)
        row = conn.execute(
            "INSERT INTO ledger_checkpoints (tree_size, root_hash, last_position, origin, key_id,"
            " verifier_key, note, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            f" RETURNING {_CHECKPOINT_COLUMNS}",
            (
                size,
                root,
                last_position or None,
                key.name,
                key.verifier.key_id,
                key.verifier.text(),
                note,
                head.time,
            ),
        ).fetchone()
        conn.commit()
    assert row is not None
    return _checkpoint(row)


def _checkpoint(row: tuple[Any, ...]) -> StoredCheckpoint:
    id_, size, root, last, origin, kid, verifier, note, created = row
    return StoredCheckpoint(
        int(id_), int(size), bytes(root), last, origin, bytes(kid), verifier, note, created
    )


def latest_checkpoint(conn: psycopg.Connection[Any]) -> StoredCheckpoint | None:
    """The newest stored checkpoint, if any."""
    row = conn.execute(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM ledger_checkpoints ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return _checkpoint(row) if row else None


@dataclass(frozen=True)
class InclusionProof:
    """An RFC 9162 audit path for one event's leaf in a tree of ``tree_size`` leaves."""

    position: int
    leaf_index: int
    tree_size: int
    entry: bytes
    leaf_hash: bytes
    root_hash: bytes
    path: list[bytes]

    def as_json(self) -> dict[str, Any]:
        """The proof for JSON answers (hashes in hex)."""
        return {
            "position": self.position,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "entry": self.entry.hex(),
            "leaf_hash": self.leaf_hash.hex(),
            "root_hash": self.root_hash.hex(),
            "inclusion_path": [digest.hex() for digest in self.path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """An RFC 9162 consistency proof between two sizes of the tree."""

    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]

    def as_json(self) -> dict[str, Any]:
        """The proof for JSON answers (hashes in hex)."""
        return {
            "from": self.first,
            "to": self.second,
            "from_root_hash": self.first_root.hex(),
            "to_root_hash": self.second_root.hex(),
            "consistency_path": [digest.hex() for digest in self.path],
        }


def _covered_size(database: Database, conn: psycopg.Connection[Any], wanted: int) -> int:
    size, _ = stored_size(conn)
    if wanted > size:
        size = extend_tree(database)
    if wanted > size:
        raise ProofNotPossible(f"the ledger holds {size} events, fewer than {wanted}")
    return size


def inclusion_proof(
    database: Database, conn: psycopg.Connection[Any], *, position: int, tree_size: int | None
) -> InclusionProof:
    """The audit path of the event at ``position`` in the tree of ``tree_size`` leaves
    (default: the latest checkpoint's size, or the whole chain when none is signed)."""
    row = conn.execute(
        "SELECT l.leaf_index, l.hash, e.hash FROM ledger_merkle_leaves l"
        " JOIN ledger_events e ON e.notification_id = l.position WHERE l.position = %s",
        (position,),
        prepare=True,
    ).fetchone()
    if row is None:
        extend_tree(database)
        row = conn.execute(
            "SELECT l.leaf_index, l.hash, e.hash FROM ledger_merkle_leaves l"
            " JOIN ledger_events e ON e.notification_id = l.position WHERE l.position = %s",
            (position,),
        ).fetchone()
    if row is None:
        raise ProofNotPossible(f"no event at position {position}", unknown=True)
    leaf_index, leaf, entry = int(row[0]), bytes(row[1]), bytes(row[2])
    size = tree_size if tree_size is not None else _default_size(database, conn)
    _covered_size(database, conn, size)
    if leaf_index >= size:
        raise ProofNotPossible(f"event {position} is leaf {leaf_index}, not in a tree of {size}")
    # The path's subtrees and the root's, read with one statement.
    ranges = merkle.inclusion_ranges(leaf_index, size)
    edge = merkle.cover(0, size)
    hashes = node_lookup(conn)(merkle.nodes_needed(ranges) | set(edge))
    path = merkle.assemble(ranges, hashes)
    root = merkle.root_of([hashes[node] for node in edge])
    return InclusionProof(position, leaf_index, size, entry, leaf, root, path)


def _default_size(database: Database, conn: psycopg.Connection[Any]) -> int:
    latest = latest_checkpoint(conn)
    return latest.tree_size if latest else extend_tree(database)


def consistency_proof(
    database: Database, conn: psycopg.Connection[Any], *, first: int, second: int | None
) -> ConsistencyProof:
    """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``."""
    second = second if second is not None else _default_size(database, conn)
    if not 0 < first <= second:
        raise ProofNotPossible(f"no consistency proof from {first} to {second} (0 < from <= to)")
    _covered_size(database, conn, second)
    lookup = node_lookup(conn)
    path = merkle.consistency_proof(first, second, lookup)
    return ConsistencyProof(
        first, second, merkle.root_at(first, lookup), merkle.root_at(second, lookup), path
    )
