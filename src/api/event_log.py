"""Pages of the recorded events, read straight from the events table in position order."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import orjson
import psycopg
from psycopg import sql
from psycopg.types.numeric import Int8

EVENTS_TABLE = "ledger_events"
LAST_POSITION = 2**63 - 1
_COLUMNS = (
    "notification_id, recorded_at, originator_id, originator_version, topic, state, prev_hash, hash"
)

EventRow = tuple[int, Any, UUID, int, str, bytes, bytes, bytes]


@dataclass(frozen=True)
class EventQuery:
    """Which events a page holds.

    Attributes:
        after: only positions greater than this (the cursor of the next page).
        from_position: only positions at or above this.
        to_position: only positions at or below this.
        aggregate_id: only the events of this aggregate.
        topic: only events of this type (``module:Class``).
        limit: at most this many events.
    """

    after: int = 0
    from_position: int | None = None
    to_position: int | None = None
    aggregate_id: UUID | None = None
    topic: str | None = None
    limit: int = 100

    @property
    def lowest(self) -> int:
        """The lowest position the page may hold."""
        return max(self.after + 1, self.from_position or 1)

    @property
    def highest(self) -> int:
        """The highest position the page may hold."""
        return self.to_position if self.to_position is not None else LAST_POSITION

    def as_params(self) -> dict[str, str]:
        """The query as URL parameters (defaults left out)."""
        params = {
            "aggregate_id": str(self.aggregate_id) if self.aggregate_id else None,
            "topic": self.topic,
            "from_position": self.from_position,
            "to_position": self.to_position,
            "after": self.after or None,
            "limit": self.limit,
        }
        return {key: str(value) for key, value in params.items() if value is not None}


@functools.cache
def page_statement(*, by_aggregate: bool, by_topic: bool) -> bytes:
    """The SELECT of one page: one fixed statement per combination of filters.

    Fixed statements (rather than ``x IS NULL OR ...``) keep each one's plan right when
    prepared: the position index for plain pages, the aggregate's key for its history.
    """
    conditions = [sql.SQL("notification_id BETWEEN %(lowest)s AND %(highest)s")]
    if by_aggregate:
        conditions.append(sql.SQL("originator_id = %(aggregate_id)s"))
    if by_topic:
        conditions.append(sql.SQL("topic = %(topic)s"))
    statement = sql.SQL(
        "SELECT {columns} FROM {table} WHERE {conditions} ORDER BY notification_id LIMIT %(rows)s"
    ).format(
        columns=sql.SQL(_COLUMNS),
        table=sql.Identifier(EVENTS_TABLE),
        conditions=sql.SQL(" AND ").join(conditions),
    )
    return statement.as_string().encode()


def read_rows(conn: psycopg.Connection[Any], query: EventQuery, *, rows: int) -> list[EventRow]:
    """Up to ``rows`` events matching ``query``, in position order."""
    statement = page_statement(
        by_aggregate=query.aggregate_id is not None, by_topic=query.topic is not None
    )
    params = {
        # Always bigint, so that one prepared statement serves every page.
        "lowest": Int8(query.lowest),
        "highest": Int8(query.highest),
        "aggregate_id": query.aggregate_id,
        "topic": query.topic,
        "rows": Int8(rows),
    }
    with conn.cursor(binary=True) as cur:
        cur.execute(statement, params, prepare=True)
        return cur.fetchall()


def _item(row: EventRow) -> dict[str, Any]:
    position, recorded_at, aggregate_id, version, topic, state, prev_hash, hash_value = row
    return {
        "position": position,
        "recorded_at": recorded_at,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "type": topic,
        "payload": orjson.loads(state),
        "prev_hash": bytes(prev_hash).hex(),
        "hash": bytes(hash_value).hex(),
    }


def read_page(
    conn: psycopg.Connection[Any], query: EventQuery, *, path: str
) -> tuple[bytes, str | None]:
    """One page as JSON (``items`` and the ``next`` page's URL), and that URL.

    One row more than the limit is read to know whether a next page exists, so ``next``
    is null exactly on the last page.
    """
    rows = read_rows(conn, query, rows=query.limit + 1)
    following = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        after = replace(query, after=rows[-1][0], from_position=None)
        following = f"{path}?{urlencode(after.as_params())}"
    body = orjson.dumps(
        {"items": [_item(row) for row in rows], "next": following}, option=orjson.OPT_UTC_Z
    )
    return body, following
