"""A recall's evidence bundle, built from this read model: the recall, its impact list and
the events it rests on."""

from __future__ import annotations

from ledger.domain.recall.errors import UnknownRecall
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.evidence.bundle import Bundle, build_bundle
from ledger.store.database import Database
from projections.recall_impact import queries


def recall_bundle(database: Database, recall: str, signer: SigningKey | None) -> Bundle:
    """The evidence bundle of a recall (by its id or number).

    Raises:
        UnknownRecall: when the ledger holds no such recall.
        EvidenceNotPossible: when no checkpoint covers its events and none can be signed.
    """
    bundle = build_bundle(database, queries, recall, signer)
    if bundle is None:
        raise UnknownRecall(recall)
    return bundle
