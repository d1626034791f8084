"""Recall evidence bundles: one zip holding a recall's impact list and everything needed to
check it offline.

The zip holds ``manifest.json`` (every other file with its SHA-256), ``recall.json``,
``impact.json`` and ``impact.csv``, ``report.html``, ``events.jsonl`` (the audit-export
records of every event the impact list rests on, without per-event inclusion paths),
``inclusion_proof.json`` (one batch inclusion proof of all of them), ``checkpoint.txt`` (a
signed checkpoint covering them), ``public_key.txt`` (its verifier key) and
``verify_bundle.py`` (the verifier with the impact fold, standard library only). Entries
carry a fixed timestamp, so the same ledger gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg

from ledger.integrity import merkle
from ledger.integrity.audit_export import event_records, last_leaf_in
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import (
    StoredCheckpoint,
    extend_tree,
    latest_checkpoint,
    node_lookup,
    sign_checkpoint,
)
from ledger.integrity.evidence import report, verifier
from ledger.store.database import Database

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Every entry's timestamp: the zip format's earliest, so that bytes depend on data only."""
FOLD_MODULE = Path(__file__).resolve().parent / "impact_fold.py"
"""The impact fold that the bundled verifier recomputes the impact list with."""


class EvidenceNotPossible(Exception):
    """Raised when no checkpoint covers the recall's events and none can be signed."""


class RecallSource(Protocol):
    """Where a recall's summary, impact list and the events it rests on are read."""

    def recall_summary(self, cursor: Any, recall: str, /) -> dict[str, Any] | None:
        """The recall as ``recall.json`` states it (None, or an exception, when unknown)."""

    def impact_list(self, cursor: Any, recall: str, /) -> dict[str, Any]:
        """The impact list, as the fold computes it."""

    def impact_positions(self, cursor: Any, recall: str, /) -> list[int]:
        """The positions of every event the impact list rests on, ascending."""


@dataclass(frozen=True)
class Bundle:
    """A written bundle: its zip bytes and what it holds."""

    data: bytes
    recall_id: str
    events: int
    consignees: int
    tree_size: int

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` form (without the bytes)."""
        return {"recall_id": self.recall_id, "events": self.events,
                "consignees": self.consignees, "tree_size": self.tree_size,
                "bytes": len(self.data),
                "sha256": hashlib.sha256(self.data).hexdigest()}  # fmt: skip


def verifier_script(fold_source: str) -> str:
    """``verify_bundle.py``: the verifier's source, then the fold's source as its text.

    The fold runs as a module of its own (see ``verifier._impact_fold``), so that names in
    the two files cannot clash.
    """
    source = Path(verifier.__file__).read_text()
    guard = 'if __name__ == "__main__":'
    head, found, tail = source.rpartition(guard)
    if not found:
        raise RuntimeError("the verifier's source has no main guard")
    return (
        "#!/usr/bin/env python3\n"
        + head
        + f"RECALL_IMPACT_FOLD_SOURCE = {_literal(fold_source)}\n\n\n"
        + guard
        + tail
    )


def _literal(source: str) -> str:
    """``source`` as a Python string literal that reads as the code it holds."""
    plain = all(char.isprintable() or char in "\n\t" for char in source)
    if not plain or "'''" in source or source.endswith(("\\", "'")):
        return repr(source)
    return f"r'''{source}'''"


def covering_checkpoint(
    database: Database, conn: psycopg.Connection[Any], newest: int, signer: SigningKey | None
) -> StoredCheckpoint:
    """The latest checkpoint if it covers the event at ``newest``, else one signed now.

    Raises:
        EvidenceNotPossible: when none covers it and no key is configured.
    """
    extend_tree(database)  # so that every recorded event is a leaf with a proof
    found = latest_checkpoint(conn)
    leaf = last_leaf_in(conn, newest, newest)
    if found is not None and leaf is not None and leaf[0] < found.tree_size:
        return found
    if signer is None:
        raise EvidenceNotPossible(
            "no signed checkpoint covers the recall's events and no checkpoint key is "
            "configured: run 'ledger checkpoint' or set LEDGER_CHECKPOINT_KEY_FILE"
        )
    signed = sign_checkpoint(database, signer)
    if signed is None:
        raise EvidenceNotPossible("the ledger holds no events to sign")
    return signed


def build_bundle(
    database: Database,
    source: RecallSource,
    recall_id: str,
    signer: SigningKey | None,
    *,
    fold_source: str | None = None,
) -> Bundle | None:
    """The evidence bundle of recall ``recall_id`` (None when the recall is unknown).

    Raises:
        EvidenceNotPossible: when no checkpoint covers its events and none can be signed.
    """
    with database.connect(autocommit=True) as conn, conn.cursor() as cursor:
        recall = source.recall_summary(cursor, recall_id)
        if recall is None:
            return None
        impact = source.impact_list(cursor, recall_id)
        positions = source.impact_positions(cursor, recall_id)
    with database.connect(autocommit=True) as conn:
        checkpoint = covering_checkpoint(database, conn, max(positions, default=1), signer)
        records = event_records(conn, positions, checkpoint=checkpoint)
        proof = inclusion_proof(conn, [r["leaf_index"] for r in records], checkpoint.tree_size)
    if fold_source is None:
        fold_source = FOLD_MODULE.read_text()
    files = bundle_files(recall, impact, records, proof, checkpoint, fold_source)
    return Bundle(
        zip_bytes(files),
        recall_id,
        len(records),
        len(impact.get("consignees") or []),
        checkpoint.tree_size,
    )


def inclusion_proof(
    conn: psycopg.Connection[Any], leaf_indexes: Sequence[int], tree_size: int
) -> dict[str, Any]:
    """``inclusion_proof.json``: one proof that the leaves at ``leaf_indexes`` (ascending)
    are in the stored tree of ``tree_size`` leaves, the roots of the largest subtrees of
    RFC 9162's tree holding none of them, each given with the leaves it covers."""
    ranges = merkle.batch_inclusion_ranges(leaf_indexes, tree_size) if leaf_indexes else []
    hashes = merkle.assemble(ranges, node_lookup(conn)(merkle.nodes_needed(ranges)))
    return {
        "tree_size": tree_size,
        "nodes": [
            {"start": start, "end": end, "hash": digest.hex()}
            for (start, end), digest in zip(ranges, hashes, strict=True)
        ],
    }


def event_line(record: Mapping[str, Any]) -> bytes:
    """The record as a line of ``events.jsonl``: compact JSON of what the verifier checks and
    the fold reads (not ``kind``, always ``event``; not ``recorded_at``, which
    ``recorded_at_us`` states exactly; no inclusion path), the payload last and written as
    the stored state's own text (the same JSON value), so that the verifier parses the
    state once; a state spanning lines is written re-encoded."""
    fields = {key: value for key, value in record.items() if key not in _NOT_IN_LINE}
    head = json.dumps(fields, separators=(",", ":"))
    state: str = record["state"]
    if "\n" in state or "\r" in state:
        payload = json.dumps(record["payload"], separators=(",", ":"))
    else:
        payload = state
    return f'{head[:-1]},"payload":{payload}}}\n'.encode()


_NOT_IN_LINE = frozenset({"kind", "recorded_at", "payload", "inclusion_path"})


def _json(document: Any) -> bytes:
    # Dates and decimals a read model may return are written as their text, as the fold's
    # own output has them.
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return text.encode() + b"\n"


def bundle_files(
    recall: Mapping[str, Any],
    impact: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    proof: Mapping[str, Any],
    checkpoint: StoredCheckpoint,
    fold_source: str,
) -> dict[str, bytes]:
    """Every file of the bundle by name, ``manifest.json`` first."""
    # As the files state them, keys in the order the fold gives them (the CSV's columns).
    recall, impact = (json.loads(json.dumps(doc, default=str)) for doc in (recall, impact))
    files = {
        "recall.json": _json(recall),
        "impact.json": _json(impact),
        "impact.csv": verifier.impact_csv(impact).encode(),
        "report.html": report.render(recall, impact, records, checkpoint).encode(),
        "events.jsonl": b"".join(event_line(record) for record in records),
        "inclusion_proof.json": _json(proof),
        "checkpoint.txt": checkpoint.note.encode(),
        "public_key.txt": checkpoint.verifier_key.encode() + b"\n",
        "verify_bundle.py": verifier_script(fold_source).encode(),
    }
    manifest = {
        "recall_id": recall.get("id"),
        "tree_size": checkpoint.tree_size,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    return {"manifest.json": _json(manifest), **files}


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """The zip of ``files`` in their order, every entry with the same fixed timestamp."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = (0o755 if name.endswith(".py") else 0o644) << 16
            archive.writestr(entry, data)
    return out.getvalue()
