"""``/v1/health``: whether the API is up and its database reachable."""

from __future__ import annotations

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ReadsDep

router = APIRouter(prefix="/v1", tags=["health"])
_PROBE_TIMEOUT_SECONDS = 2.0


class DatabaseHealth(BaseModel):
    """The database as the API sees it."""

    reachable: bool = Field(description="Whether a query just succeeded.")
    latest_position: int | None = Field(
        description="Position of the latest recorded event (0 when the ledger is empty; "
        "null when the database is unreachable)."
    )


class Health(BaseModel):
    """The API's health report."""

    status: str = Field(description="`ok`, or `unavailable` when the database is not.")
    database: DatabaseHealth


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable."}},
)
def health(reads: ReadsDep) -> Health | JSONResponse:
    """Report whether the API can reach its database, and the latest position."""
    try:
        with reads.connection(timeout=_PROBE_TIMEOUT_SECONDS) as conn:
            row = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
    except psycopg.Error:  # PoolTimeout included
        report = Health(
            status="unavailable", database=DatabaseHealth(reachable=False, latest_position=None)
        )
        return JSONResponse(report.model_dump(), status_code=503)
    latest = int(row[0]) if row and row[0] is not None else 0
    return Health(status="ok", database=DatabaseHealth(reachable=True, latest_position=latest))
