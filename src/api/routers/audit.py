"""Auditors' routes: signed checkpoints, RFC 9162 proofs, audit exports, aggregates at a version.

Checkpoints and their public key are public statements, so every role reads them, and so
are consistency proofs (they show only that the log grew by appending). Inclusion proofs
and aggregate states name events of every party, so partners may not ask for them; the
audit export is for auditors and regulators.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Query, Request, Response
from psycopg import Connection
from starlette.concurrency import run_in_threadpool

from api.bootstrap import ReadPool
from api.deps import AnyKey, EventReaderKey, ReadsDep, ServicesDep, allow
from api.keys import ApiKey, Role
from api.problems import ExportNotCovered, InvalidRange, ResourceNotFound, problem_responses
from ledger.application.aggregate_state import aggregate_state
from ledger.integrity.audit_export import ExportNotPossible, export_checkpoint, export_lines
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import (
    ConsistencyProof,
    InclusionProof,
    ProofNotPossible,
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
)

router = APIRouter(prefix="/v1", tags=["audit"])
AuditorKey = Annotated[ApiKey, Depends(allow(Role.AUDITOR, Role.REGULATOR))]
MAX_EXPORT_EVENTS = 10_000
JSON_LINES = "application/jsonl"
_READ = problem_responses(401, 403, 404, 422)


def _signer(request: Request) -> SigningKey | None:
    signer: SigningKey | None = getattr(request.app.state, "checkpoint_key", None)
    return signer


@router.get("/checkpoints/latest", responses=_READ)
def latest(key: AnyKey, reads: ReadsDep) -> dict[str, Any]:
    """The newest signed tree head, with its C2SP checkpoint text."""
    with reads.connection() as conn:
        found = latest_checkpoint(conn)
    if found is None:
        raise ResourceNotFound("no checkpoint has been signed yet", kind="checkpoint")
    return found.as_json()


@router.get("/checkpoints/public-key", responses=_READ)
def public_key(request: Request, key: AnyKey, reads: ReadsDep) -> dict[str, Any]:
    """The verifier key (C2SP note key) that checks the ledger's checkpoints."""
    signer = _signer(request)
    if signer is not None:
        return {"origin": signer.name, "verifier_key": signer.verifier.text(),
                "key_id": signer.verifier.key_id.hex()}  # fmt: skip
    with reads.connection() as conn:
        found = latest_checkpoint(conn)
    if found is None:
        raise ResourceNotFound("no checkpoint key is configured or used", kind="checkpoint key")
    return {"origin": found.origin, "verifier_key": found.verifier_key,
            "key_id": found.key_id.hex()}  # fmt: skip


@router.get("/proofs/inclusion", responses=_READ)
def inclusion(
    key: EventReaderKey,
    services: ServicesDep,
    reads: ReadsDep,
    position: Annotated[int, Query(ge=1, description="The event's position.")],
    tree_size: Annotated[
        int | None,
        Query(ge=1, description="Leaves of the tree; default: the latest checkpoint's size."),
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 audit path of the event at `position` (its `leaf_index` in the tree)."""
    return _proof(
        reads, partial(inclusion_proof, services.database, position=position, tree_size=tree_size)
    )


@router.get("/proofs/consistency", responses=_READ)
def consistency(
    key: AnyKey,
    services: ServicesDep,
    reads: ReadsDep,
    first: Annotated[int, Query(alias="from", ge=1, description="The older tree size.")],
    second: Annotated[
        int | None, Query(alias="to", ge=1, description="The newer size; default: latest.")
    ] = None,
) -> dict[str, Any]:
    """The RFC 9162 proof that the tree of size `from` is a prefix of the one of size `to`."""
    return _proof(reads, partial(consistency_proof, services.database, first=first, second=second))


def _proof(
    reads: ReadPool, prove: Callable[[Connection[Any]], InclusionProof | ConsistencyProof]
) -> dict[str, Any]:
    """The proof ``prove`` makes on a reads connection, or the problem saying why there is none:
    404 for an event the ledger does not hold, else an invalid range."""
    with reads.connection() as conn:
        try:
            proof = prove(conn)
        except ProofNotPossible as exc:
            if exc.unknown:
                raise ResourceNotFound(str(exc), kind="event") from None
            raise InvalidRange(str(exc)) from None
    return proof.as_json()


@router.get(
    "/audit/export",
    responses={
        200: {"content": {JSON_LINES: {}}, "description": "The export, as JSON Lines."},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
async def audit_export(
    request: Request,
    key: AuditorKey,
    services: ServicesDep,
    reads: ReadsDep,
    from_position: Annotated[int, Query(ge=1, description="The first position.")],
    to_position: Annotated[int, Query(ge=1, description="The last position.")],
) -> Response:
    """Events with their chain links, the covering checkpoint and inclusion paths (JSON Lines)."""
    if to_position < from_position:
        raise InvalidRange("to_position is before from_position")
    body = await run_in_threadpool(
        _export, services.database, reads, _signer(request), from_position, to_position
    )
    disposition = f'attachment; filename="ledger-{from_position}-{to_position}.jsonl"'
    return Response(body, media_type=JSON_LINES, headers={"Content-Disposition": disposition})


def _export(database: Any, reads: Any, signer: SigningKey | None, first: int, last: int) -> bytes:
    with reads.connection() as conn:
        checkpoint = export_checkpoint(
            database, conn, first=first, last=last, signing_key=lambda: signer
        )
        if checkpoint is None:
            raise ExportNotCovered("no checkpoint has been signed yet")
        lines: list[bytes] = []
        try:
            for line in export_lines(conn, first=first, last=last, checkpoint=checkpoint):
                lines.append(line)
                if len(lines) > MAX_EXPORT_EVENTS + 1:
                    raise InvalidRange(
                        f"an export holds at most {MAX_EXPORT_EVENTS} events; use a smaller"
                        " range or `ledger audit export`",
                        max_events=MAX_EXPORT_EVENTS,
                    )
        except ExportNotPossible as exc:
            if exc.uncovered:
                raise ExportNotCovered(str(exc)) from None
            raise ResourceNotFound(str(exc), kind="events") from None
    return b"".join(lines)


@router.get("/aggregates/{aggregate_id}", responses=_READ)
def aggregate_at_version(
    key: EventReaderKey,
    services: ServicesDep,
    aggregate_id: UUID,
    version: Annotated[
        int | None, Query(ge=1, description="Replay its events up to this version.")
    ] = None,
) -> dict[str, Any]:
    """An aggregate's state as it was at `version` (default: now), replayed from its events."""
    try:
        found: Aggregate = services.ledger.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:
        raise ResourceNotFound(
            f"no aggregate {aggregate_id}", kind="aggregate", key=str(aggregate_id)
        ) from None
    if version is not None and found.version != version:
        raise ResourceNotFound(
            f"aggregate {aggregate_id} has no version {version}; its latest is {found.version}",
            kind="aggregate version",
            latest_version=found.version,
        )
    return aggregate_state(found)
