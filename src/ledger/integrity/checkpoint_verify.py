"""``ledger verify --checkpoint``: is the stored history consistent with a signed tree head?

The check trusts nothing in the database but the events table itself: the tree is
recomputed from the events' chain hashes (not read from the stored tree), the checkpoint's
signature is checked with a key given from outside, and an RFC 9162 consistency proof from
the checkpoint's size to the table's size is built from the recomputed tree and verified
against the checkpoint's root. A superuser who rewrote events and recomputed every chain
hash still fails here: the rewritten leaves give another root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import CheckpointRejected, VerifierKey, verify_checkpoint
from ledger.store.database import Database

_FETCH = 10_000


@dataclass(frozen=True)
class CheckpointCheck:
    """The outcome of checking the events table against one checkpoint.

    ``reason`` is None when consistent, else one of ``malformed``, ``unknown-key``,
    ``bad-signature``, ``wrong-origin`` (the checkpoint itself), ``events-removed`` (the
    table holds fewer events than the checkpoint covers) or ``history-rewritten`` (the
    first events no longer hash to the checkpoint's root).
    """

    reason: str | None
    detail: str
    checkpoint_size: int | None = None
    tree_size: int | None = None
    root_hash: bytes | None = None

    @property
    def ok(self) -> bool:
        """True when the table extends the checkpoint's history unchanged."""
        return self.reason is None

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "ok": self.ok,
            "reason": self.reason,
            "detail": self.detail,
            "checkpoint_size": self.checkpoint_size,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex() if self.root_hash else None,
        }


def check_checkpoint(database: Database, text: str, verifier: VerifierKey) -> CheckpointCheck:
    """Check the signature of checkpoint ``text``, then the table's history against it."""
    try:
        head = verify_checkpoint(text, verifier)
    except CheckpointRejected as rejected:
        return CheckpointCheck(rejected.reason, str(rejected))
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
        size = int(row[0]) if row else 0
        if size < head.size:
            return CheckpointCheck(
                "events-removed",
                f"the table holds {size} events but the checkpoint signed {head.size}: "
                f"{head.size - size} were removed",
                head.size,
                size,
            )
        ranges = merkle.consistency_ranges(head.size, size) if head.size else []
        needed = merkle.nodes_needed(ranges)
        kept: dict[merkle.Node, bytes] = {}
        builder = merkle.TreeBuilder()
        old_root = merkle.EMPTY_ROOT
        with conn.cursor(name="ledger_checkpoint_check", binary=True) as cur:
            cur.itersize = _FETCH
            cur.execute("SELECT hash FROM ledger_events ORDER BY notification_id LIMIT %s", (size,))
            for (chain_hash,) in cur:
                for level, index, digest in builder.append(merkle.leaf_hash(bytes(chain_hash))):
                    if (level, index) in needed:
                        kept[(level, index)] = digest
                if builder.size == head.size:
                    old_root = builder.root()
    root = builder.root()
    proof = merkle.assemble(ranges, kept) if head.size < size else []
    if old_root != head.root_hash or not (
        head.size == 0 or merkle.verify_consistency(head.size, size, head.root_hash, root, proof)
    ):
        return CheckpointCheck(
            "history-rewritten",
            f"the first {head.size} events no longer hash to the checkpoint's root: "
            "history was rewritten",
            head.size,
            size,
            root,
        )
    return CheckpointCheck(
        None,
        f"consistent with the checkpoint of {head.size} events signed {head.time.isoformat()}",
        head.size,
        size,
        root,
    )
