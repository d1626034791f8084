"""The stock read model: units on hand per lot, location and status, with their history.

Every lot event says exactly which balances it moves (its quantities per location), so the
fold needs no state: it turns events into movement lines (``+``/``-`` per lot, location and
status), and balances are the sums of those lines. Units in transit are kept under status
``in_transit`` with the movement's reference as their location.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Cursor, sql

from ledger.domain.lot import events as ev
from ledger.domain.lot.aggregate import Lot
from ledger.domain.values import StockStatus
from projections.model import (
    PositionedEvent,
    ReadModel,
    add_counts,
    copy_rows,
    event_topics,
    insert_rows,
)

AVAILABLE = StockStatus.AVAILABLE.value
QUARANTINE = StockStatus.QUARANTINE.value
HOLD = StockStatus.HOLD.value
IN_TRANSIT = "in_transit"

_MOVEMENT_COLUMNS = (
    "position", "line", "lot_id", "location", "status", "delta", "movement", "reference",
    "occurred_at", "recorded_at",
)  # fmt: skip
_MOVEMENT_TYPES = (
    "int8", "int2", "uuid", "text", "text", "int8", "text", "text", "timestamptz", "timestamptz",
)  # fmt: skip
MovementLine = tuple[UUID, str, str, int, str | None]  # lot, location, status, delta, ref
_BALANCE_KEYS = {"lot_id": "uuid", "location": "text", "status": "text"}


@dataclass
class StockChanges:
    """Lots opened, movement lines (with their position and times) and balance deltas."""

    lots: dict[UUID, tuple[Any, ...]] = field(default_factory=dict)
    movements: list[tuple[Any, ...]] = field(default_factory=list)
    balances: dict[tuple[UUID, str, str], int] = field(default_factory=lambda: defaultdict(int))


def _received(e: Any) -> Iterator[MovementLine]:
    if e.accepted:
        yield e.originator_id, e.location, e.accepted_status.value, e.accepted, None
    if e.rejected:
        yield e.originator_id, e.location, QUARANTINE, e.rejected, None


def _put_away(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.from_location, e.status.value, -e.quantity, None
    yield e.originator_id, e.to_location, e.status.value, e.quantity, None


def _transfer_dispatched(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.from_location, AVAILABLE, -e.quantity, e.transfer
    yield e.originator_id, e.transfer, IN_TRANSIT, e.quantity, e.transfer


def _transfer_received(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.transfer, IN_TRANSIT, -e.quantity, e.transfer
    yield e.originator_id, e.location, e.status.value, e.quantity, e.transfer


def _transfer_discrepancy(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.transfer, IN_TRANSIT, -(e.dispatched - e.received), e.transfer


def _shipped(e: Any) -> Iterator[MovementLine]:
    for location, quantity in sorted(e.from_locations.items()):
        yield e.originator_id, location, AVAILABLE, -quantity, e.shipment
    yield e.originator_id, e.shipment, IN_TRANSIT, e.quantity, e.shipment


def _delivered(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.shipment, IN_TRANSIT, -e.quantity, e.shipment


def _returned(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.location, QUARANTINE, e.quantity, e.consignee


def _adjusted(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.location, e.status.value, e.change, None


def _between(
    e: Any, location: str, quantity: int, old: str, new: str, ref: str | None
) -> Iterator[MovementLine]:
    yield e.originator_id, location, old, -quantity, ref
    yield e.originator_id, location, new, quantity, ref


def _quarantined(e: Any) -> Iterator[MovementLine]:
    yield from _between(e, e.location, e.quantity, AVAILABLE, QUARANTINE, None)


def _released(e: Any) -> Iterator[MovementLine]:
    yield from _between(e, e.location, e.quantity, QUARANTINE, e.to_status.value, None)


def _held(e: Any) -> Iterator[MovementLine]:
    for location, quantity in sorted(e.quantities.items()):
        yield from _between(e, location, quantity, AVAILABLE, HOLD, e.hold)


def _hold_released(e: Any) -> Iterator[MovementLine]:
    for location, quantity in sorted(e.quantities.items()):
        yield from _between(e, location, quantity, HOLD, AVAILABLE, e.hold)


def _scrapped(e: Any) -> Iterator[MovementLine]:
    yield e.originator_id, e.location, e.status.value, -e.quantity, None


def _excursion(e: Any) -> Iterator[MovementLine]:
    # Units in transit are quarantined on arrival: that shows in the receipt's status.
    if e.location and e.quarantined:
        yield from _between(e, e.location, e.quarantined, AVAILABLE, QUARANTINE, None)


_LINES: dict[type[Any], Callable[[Any], Iterator[MovementLine]]] = {
    ev.LotReceived: _received,
    ev.StockPutAway: _put_away,
    ev.TransferDispatched: _transfer_dispatched,
    ev.TransferReceived: _transfer_received,
    ev.TransferDiscrepancyRecorded: _transfer_discrepancy,
    ev.ShipmentDispatched: _shipped,
    ev.ShipmentDelivered: _delivered,
    ev.ReturnReceived: _returned,
    ev.StockAdjusted: _adjusted,
    ev.StockQuarantined: _quarantined,
    ev.QuarantineReleased: _released,
    ev.StockHeld: _held,
    ev.HoldReleased: _hold_released,
    ev.StockScrapped: _scrapped,
    ev.TemperatureExcursionRecorded: _excursion,
}


def movement_lines(event: Any) -> Iterator[MovementLine]:
    """The balance changes one lot event makes (none for events that move no units)."""
    for cls in type(event).__mro__:
        lines = _LINES.get(cls)
        if lines is not None:
            return lines(event)
    return iter(())


def lot_topics(*classes: type[Any]) -> frozenset[str]:
    """Stored topics of lot events: ``Lot.<Event>`` for movements, its own for LotOpened."""
    return event_topics(Lot, ev.LotOpened, *classes)


class Stock(ReadModel[StockChanges]):
    """Units on hand per lot, location and status; movement lines for any past moment."""

    name: ClassVar[str] = "stock"
    tables: ClassVar[tuple[str, ...]] = ("stock_lots", "stock_balances", "stock_movements")
    append_only: ClassVar[frozenset[str]] = frozenset({"stock_movements"})
    topics: ClassVar[frozenset[str]] = lot_topics(*_LINES)

    def fold(self, events: Sequence[PositionedEvent]) -> StockChanges:
        """Lots opened, movement lines and the balance deltas they add up to."""
        changes = StockChanges()
        for item in events:
            event = item.event
            if isinstance(event, ev.LotOpened):
                changes.lots[event.originator_id] = (
                    event.originator_id,
                    event.gtin,
                    event.lot_number,
                    event.expiry,
                    event.manufactured_on,
                    item.position,
                )
                continue
            kind = type(event).__name__
            for line, (lot, location, status, delta, ref) in enumerate(movement_lines(event)):
                changes.movements.append(
                    (
                        item.position,
                        line,
                        lot,
                        location,
                        status,
                        delta,
                        kind,
                        ref,
                        event.occurred_at,
                        item.recorded_at,
                    )
                )
                changes.balances[(lot, location, status)] += delta
        return changes

    def write(self, cursor: Cursor[Any], changes: StockChanges, tables: Mapping[str, str]) -> None:
        """Insert lots and movement lines, add the deltas to the balances."""
        insert_rows(
            cursor,
            tables["stock_lots"],
            columns=(
                "lot_id",
                "gtin",
                "lot_number",
                "expiry",
                "manufactured_on",
                "opened_position",
            ),
            rows=list(changes.lots.values()),
            conflict="ON CONFLICT (lot_id) DO NOTHING",
        )
        copy_rows(
            cursor,
            tables["stock_movements"],
            columns=_MOVEMENT_COLUMNS,
            rows=changes.movements,
            types=_MOVEMENT_TYPES,
        )
        touched = [key for key, delta in changes.balances.items() if delta]
        deltas = [(*key, changes.balances[key]) for key in touched]
        balances = tables["stock_balances"]
        add_counts(cursor, balances, keys=_BALANCE_KEYS, counts=("quantity",), rows=deltas)
        if touched:
            # Drop the balances that reached zero among those touched (a scan of the whole
            # table per page would grow with it).
            cursor.execute(
                sql.SQL(
                    "DELETE FROM {0} b USING unnest(%b::uuid[], %b::text[], %b::text[])"
                    " AS t(lot_id, location, status) WHERE b.quantity = 0"
                    " AND (b.lot_id, b.location, b.status) = (t.lot_id, t.location, t.status)"
                ).format(sql.Identifier(balances)),
                [list(column) for column in zip(*touched, strict=True)],
            )


@dataclass(frozen=True)
class StockLine:
    """Units of one lot at one location in one status."""

    gtin: str
    lot_number: str
    expiry: date | None
    location: str
    status: str
    quantity: int


_STOCK_FILTERS = (
    " WHERE (%(gtin)s::text IS NULL OR l.gtin = %(gtin)s)"
    " AND (%(lot)s::text IS NULL OR l.lot_number = %(lot)s)"
    " AND (%(location)s::text IS NULL OR b.location = %(location)s"
    "      OR b.location LIKE %(location)s || '-%%')"
    " AND (%(status)s::text IS NULL OR b.status = %(status)s)"
)


def stock_on_hand(
    cursor: Cursor[Any],
    *,
    gtin: str | None = None,
    lot_number: str | None = None,
    location: str | None = None,
    status: str | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    limit: int = 1000,
) -> list[StockLine]:
    """Units on hand now, or as they were at ``as_of`` (occurred), or as the ledger knew
    them at ``known_at`` (recorded). ``location`` also matches a warehouse prefix."""
    params = {
        "gtin": gtin,
        "lot": lot_number,
        "location": location,
        "status": status,
        "as_of": as_of,
        "known_at": known_at,
        "limit": limit,
    }
    if as_of is None and known_at is None:
        source = "stock_balances"
    else:
        source = (
            "(SELECT lot_id, location, status, sum(delta) AS quantity FROM stock_movements"
            " WHERE (%(as_of)s::timestamptz IS NULL OR occurred_at <= %(as_of)s)"
            " AND (%(known_at)s::timestamptz IS NULL OR recorded_at <= %(known_at)s)"
            " GROUP BY lot_id, location, status HAVING sum(delta) <> 0)"
        )
    query = (
        "SELECT l.gtin, l.lot_number, l.expiry, b.location, b.status, b.quantity"
        f" FROM {source} b JOIN stock_lots l USING (lot_id)"
        + _STOCK_FILTERS
        + " ORDER BY l.gtin, l.expiry NULLS LAST, l.lot_number, b.location, b.status"
        " LIMIT %(limit)s"
    )
    rows = cursor.execute(query.encode(), params).fetchall()
    return [StockLine(*row) for row in rows]


def expiring_lots(
    cursor: Cursor[Any], *, on: date, within_days: int, location: str | None = None
) -> list[StockLine]:
    """Units on hand (not in transit) of lots expiring within ``within_days`` of ``on``."""
    rows = cursor.execute(
        "SELECT l.gtin, l.lot_number, l.expiry, b.location, b.status, b.quantity"
        " FROM stock_balances b JOIN stock_lots l USING (lot_id)"
        " WHERE b.status <> 'in_transit' AND l.expiry IS NOT NULL"
        " AND l.expiry <= %s::date + %s"
        " AND (%s::text IS NULL OR b.location = %s OR b.location LIKE %s || '-%%')"
        " ORDER BY l.expiry, l.gtin, l.lot_number, b.location",
        (on, within_days, location, location, location),
    ).fetchall()
    return [StockLine(*row) for row in rows]
