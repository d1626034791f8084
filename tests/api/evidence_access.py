"""Who may fetch a recall's evidence bundle, and a request each accepts.

Used by ``test_api_access``: ``EVIDENCE_ALLOWED`` joins its table and ``evidence_request``
builds the request after recording a recall of the world's lot (once) and signing a
checkpoint that covers it. Bundles name every consignee of a recall: auditors and
regulators only.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from audit_access import TEST_KEY

from api.bootstrap import build_ledger, build_projections
from api.keys import Role
from ledger.domain.errors import AlreadyRegistered
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.integrity.checkpoints import sign_checkpoint
from ledger.settings import Settings

EVIDENCE_ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("GET", "/v1/recalls/{recall_id}/evidence"): frozenset({Role.AUDITOR, Role.REGULATOR}),
}
RECALL = "RC-ACCESS-1"
LOT = "EV-ACCESS"


def evidence_request(world: Any, method: str, path: str) -> tuple[str, None] | None:
    """The URL of a request the route accepts, or None when the route is not this area's."""
    if (method, path) not in EVIDENCE_ALLOWED:
        return None
    ledger = build_ledger(Settings(pool_size=1), world.database)
    try:
        with contextlib.suppress(AlreadyRegistered):  # the recall of an earlier request
            # A lot of its own: a recall holds its lot, and other routes move the world's.
            ledger.lots.receive(
                lot=LotRef(world.gtin, LOT),
                supplier="SUP-W",
                purchase_order="PO-EV",
                location="WH-SH-01",
                accepted=5,
                occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
            ledger.recalls.initiate_recall(
                number=RECALL, level=RecallLevel.III, reason="label misprint",
                jurisdiction=Jurisdiction.CN, gtins=[world.gtin], lot_numbers=[LOT],
                initiator="SUP-W", occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
            )  # fmt: skip
        build_projections(world.database, ledger).catch_up()
    finally:
        ledger.close()
    sign_checkpoint(world.database, TEST_KEY)
    return f"/v1/recalls/{RECALL}/evidence", None
