"""What the routers share: decimals as text, write answers and their documented problems."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, TypeVar
from urllib.parse import quote
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from fastapi import Response
from pydantic import BeforeValidator, WithJsonSchema

from api.errors import ResourceNotFound, problem_responses
from ledger.application.commands import CommandOutcome
from ledger.application.ledger import Ledger

REPLAYED_HEADER = "Idempotent-Replayed"
DECIMAL_TEXT = r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$"
_DECIMAL = re.compile(DECIMAL_TEXT)
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A replay: the first answer to this Idempotency-Key, unchanged."},
    **problem_responses(400, 401, 403, 409, 413, 422),
}
READ_PROBLEMS = problem_responses(401, 403, 404, 422, 503)
AggregateT = TypeVar("AggregateT", bound=Aggregate)


def _decimal_text(value: Any) -> Any:
    # Floats would lose digits on the way in, so decimals travel as strings.
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise ValueError('a decimal number written as a string, e.g. "2.5"')
    return value


DecimalText = Annotated[
    Decimal,
    BeforeValidator(_decimal_text),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_TEXT, "examples": ["2.0"]}),
]


def answer(
    result: CommandOutcome, response: Response, *, location: str | None = None
) -> dict[str, Any]:
    """A write's body: its outcome and positions; a replay is 200 with ``Idempotent-Replayed``."""
    if result.replayed:
        response.status_code = 200
        response.headers[REPLAYED_HEADER] = "true"
    if location is not None:
        # Header values are Latin-1: a code with other letters travels percent-encoded.
        response.headers["Location"] = quote(location, safe="/")
    return {**result.outcome, "positions": list(result.positions)}


def aggregate(
    ledger: Ledger, aggregate_id: UUID, kind: type[AggregateT], *, name: str, key: str
) -> AggregateT:
    """The aggregate of ``kind`` under ``aggregate_id``; 404 if there is none."""
    found: Aggregate | None
    try:
        found = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        found = None
    if not isinstance(found, kind):
        raise ResourceNotFound(f"no {name} {key} is registered", kind=name, key=key)
    return found
