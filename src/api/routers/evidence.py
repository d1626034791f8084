"""Recall evidence: the bundle a regulator verifies offline (auditor and regulator keys)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep, allow
from api.keys import ApiKey, Role
from api.problems import ExportNotCovered, ResourceNotFound, problem_responses
from ledger.domain.recall.errors import UnknownRecall
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.evidence.bundle import EvidenceNotPossible
from projections.recall_impact.evidence import recall_bundle

router = APIRouter(prefix="/v1", tags=["recalls"])
EvidenceReaderKey = Annotated[ApiKey, Depends(allow(Role.AUDITOR, Role.REGULATOR))]
ZIP = "application/zip"


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
    except UnknownRecall:
        raise ResourceNotFound(f"no recall {recall_id}", kind="recall", key=recall_id) from None
    except EvidenceNotPossible as exc:
        raise ExportNotCovered(str(exc)) from None
    name = re.sub(r"[^A-Za-z0-9._-]", "_", recall_id)
    disposition = f'attachment; filename="recall-{name}-evidence.zip"'
    return Response(bundle.data, media_type=ZIP, headers={"Content-Disposition": disposition})
