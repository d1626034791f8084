"""``/v1/events``: a read-only browser of the recorded events, paged by position."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import EventReaderKey, ReadsDep
from api.event_log import LAST_POSITION, EventQuery, read_page
from api.problems import problem_responses

router = APIRouter(prefix="/v1", tags=["events"])
MAX_PAGE = 500


class RecordedEvent(BaseModel):
    """One event as the ledger recorded it."""

    position: int = Field(description="Its place in the ledger's one global order.")
    recorded_at: datetime = Field(description="When the ledger recorded it (UTC).")
    aggregate_id: UUID = Field(description="The aggregate it belongs to.")
    aggregate_version: int = Field(description="Its version within that aggregate.")
    type: str = Field(description="Its topic, `module:Class`.")
    payload: dict[str, Any] = Field(description="Its stored state, as stored (JSON).")
    prev_hash: str = Field(description="Hash of the event before it (hex).")
    hash: str = Field(description="Its own hash in the chain (hex).")


class EventPage(BaseModel):
    """A page of events in position order."""

    items: list[RecordedEvent]
    next: str | None = Field(description="URL of the next page; null on the last page.")


@router.get(
    "/events",
    response_model=EventPage,
    responses=problem_responses(401, 403, 422),
)
def list_events(
    request: Request,
    key: EventReaderKey,
    reads: ReadsDep,
    aggregate_id: Annotated[UUID | None, Query(description="Only this aggregate's events.")] = None,
    topic: Annotated[
        str | None,
        Query(
            max_length=300,
            description="Only events of this type, e.g. `ledger.domain.product:ProductRegistered`.",
        ),
    ] = None,
    after: Annotated[
        int, Query(ge=0, le=LAST_POSITION - 1, description="Only positions after this one.")
    ] = 0,
    from_position: Annotated[
        int | None,
        Query(ge=1, le=LAST_POSITION, description="Only positions at or above this one."),
    ] = None,
    to_position: Annotated[
        int | None,
        Query(ge=1, le=LAST_POSITION, description="Only positions at or below this one."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 100,
) -> Response:
    """Browse the recorded events in position order, one page at a time."""
    query = EventQuery(
        after=after,
        from_position=from_position,
        to_position=to_position,
        aggregate_id=aggregate_id,
        topic=topic,
        limit=limit,
    )
    with reads.connection() as conn:
        body, following = read_page(conn, query, path=request.url.path)
    headers = {"Link": f'<{following}>; rel="next"'} if following else None
    return Response(body, media_type="application/json", headers=headers)
