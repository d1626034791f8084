"""Recall evidence: the bundle a regulator verifies offline (auditor and regulator keys)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep, allow
from api.errors import ExportNotCovered, ResourceNotFound, problem_responses
from api.keys import ApiKey, Role
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.evidence.bundle import Bundle, EvidenceNotPossible, RecallSource, build_bundle
from ledger.store.database import Database
from projections import recall_impact
from projections.recall_impact import RecallNotFound

router = APIRouter(prefix="/v1", tags=["recalls"])
EvidenceReaderKey = Annotated[ApiKey, Depends(allow(Role.AUDITOR, Role.REGULATOR))]
ZIP = "application/zip"


class UnknownRecall(LookupError):
    """Raised when no recall has the id asked for."""


def recall_read_model() -> RecallSource:
    """The recall impact read model: the recall, its impact list and the events under it."""
    return recall_impact


def recall_bundle(database: Database, recall_id: str, signer: SigningKey | None) -> Bundle:
    """The evidence bundle of a recall (by its id or number).

    Raises:
        UnknownRecall: when the ledger holds no such recall.
        EvidenceNotPossible: when no checkpoint covers its events and none can be signed.
    """
    try:
        bundle = build_bundle(database, recall_impact, recall_id, signer)
    except RecallNotFound:
        bundle = None
    if bundle is None:
        raise UnknownRecall(f"no recall {recall_id}")
    return bundle


@router.get(
    "/recalls/{recall_id}/evidence",
    responses={
        200: {"content": {ZIP: {}}, "description": "The evidence bundle, a zip."},
        **problem_responses(401, 403, 404, 409),
    },
)
async def recall_evidence(
    request: Request, key: EvidenceReaderKey, services: ServicesDep, recall_id: str
) -> Response:
    """The recall's evidence bundle: impact list, report, events, proofs, checkpoint, verifier."""
    signer: SigningKey | None = getattr(request.app.state, "checkpoint_key", None)
    try:
        bundle = await run_in_threadpool(recall_bundle, services.database, recall_id, signer)
    except UnknownRecall as exc:
        raise ResourceNotFound(str(exc), kind="recall", key=recall_id) from None
    except EvidenceNotPossible as exc:
        raise ExportNotCovered(str(exc)) from None
    name = re.sub(r"[^A-Za-z0-9._-]", "_", recall_id)
    disposition = f'attachment; filename="recall-{name}-evidence.zip"'
    return Response(bundle.data, media_type=ZIP, headers={"Content-Disposition": disposition})
