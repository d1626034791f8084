"""The lot trace read model: a lot's history, forward to every holder, back to its source.

Forward: units go from the ledger's own stock to consignees (delivered shipments), and
from distributors on to their customers (reported sales), so a trace reaches
sub-distributors and hospitals. Each consignee's units are counted as shipped, delivered,
bought (from a distributor), sold on, returned and used; what it is believed to hold is
delivered + bought - sold on - returned - used.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Cursor

from ledger.domain.lot import events as ev
from projections.model import PositionedEvent, ReadModel, add_counts, copy_rows
from projections.stock import StockLine, lot_topics

OWN_STOCK = ""
"""The party code standing for the ledger's own warehouses in ``lot_flows``."""

_COUNTERS = ("shipped", "delivered", "bought", "sold_on", "returned", "used")
Entry = tuple[str | None, str | None, str | None, int | None, str | None]
# location, party, counterparty, quantity, reference


@dataclass
class TraceChanges:
    """Trace entries, flow deltas and consignee counter deltas."""

    entries: list[tuple[Any, ...]] = field(default_factory=list)
    flows: dict[tuple[UUID, str, str], int] = field(default_factory=lambda: defaultdict(int))
    consignees: dict[tuple[UUID, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    )


def _received(c: TraceChanges, e: ev.LotReceived) -> Entry:
    return e.location, e.supplier, None, e.accepted + e.rejected, e.purchase_order


def _dispatched(c: TraceChanges, e: ev.ShipmentDispatched) -> Entry:
    c.consignees[(e.originator_id, e.consignee)]["shipped"] += e.quantity
    return ",".join(sorted(e.from_locations)), e.consignee, None, e.quantity, e.shipment


def _delivered(c: TraceChanges, e: ev.ShipmentDelivered) -> Entry:
    c.consignees[(e.originator_id, e.consignee)]["delivered"] += e.quantity
    c.flows[(e.originator_id, OWN_STOCK, e.consignee)] += e.quantity
    return None, e.consignee, None, e.quantity, e.shipment


def _sold(c: TraceChanges, e: ev.SalesReported) -> Entry:
    lot = e.originator_id
    c.consignees[(lot, e.seller)]["sold_on"] += e.quantity
    c.consignees[(lot, e.buyer)]["bought"] += e.quantity
    c.flows[(lot, e.seller, e.buyer)] += e.quantity
    return None, e.seller, e.buyer, e.quantity, e.reference


def _used(c: TraceChanges, e: ev.UseReported) -> Entry:
    c.consignees[(e.originator_id, e.consignee)]["used"] += e.quantity
    return None, e.consignee, None, e.quantity, None


def _returned(c: TraceChanges, e: ev.ReturnReceived) -> Entry:
    c.consignees[(e.originator_id, e.consignee)]["returned"] += e.quantity
    return e.location, e.consignee, None, e.quantity, e.reason


def _transfer_out(c: TraceChanges, e: ev.TransferDispatched) -> Entry:
    return e.from_location, None, e.to_location, e.quantity, e.transfer


def _transfer_in(c: TraceChanges, e: ev.TransferReceived) -> Entry:
    return e.location, None, None, e.quantity, e.transfer


def _hold(c: TraceChanges, e: ev.StockHeld | ev.HoldReleased) -> Entry:
    return None, None, None, sum(e.quantities.values()), e.hold


def _opened(c: TraceChanges, e: Any) -> Entry:
    return None, None, None, None, None


def _other(c: TraceChanges, e: Any) -> Entry:
    location = getattr(e, "location", None)
    quantity = getattr(e, "quantity", None) or getattr(e, "change", None)
    return location, None, None, quantity, None


# One call per event, chosen by its class: what the trace shows of it, and the counters and
# flows it moves (the hot loop of a rebuild or a replay).
_ENTRIES: dict[type, Callable[[TraceChanges, Any], Entry]] = {
    ev.LotOpened: _opened,
    ev.LotReceived: _received,
    ev.ShipmentDispatched: _dispatched,
    ev.ShipmentDelivered: _delivered,
    ev.SalesReported: _sold,
    ev.UseReported: _used,
    ev.ReturnReceived: _returned,
    ev.TransferDispatched: _transfer_out,
    ev.TransferReceived: _transfer_in,
    ev.StockHeld: _hold,
    ev.HoldReleased: _hold,
}
_BY_CLASS: dict[type, Callable[[TraceChanges, Any], Entry]] = {}


def _entry_for(kind: type) -> Callable[[TraceChanges, Any], Entry]:
    """The entry of the nearest listed base class (aggregates subclass their events)."""
    entry = next((_ENTRIES[base] for base in kind.__mro__ if base in _ENTRIES), _other)
    _BY_CLASS[kind] = entry
    return entry


_ENTRY_COLUMNS = (
    "position", "lot_id", "movement", "occurred_at", "recorded_at", "location", "party",
    "counterparty", "quantity", "reference",
)  # fmt: skip
_ENTRY_TYPES = (
    "int8", "uuid", "text", "timestamptz", "timestamptz", "text", "text", "text", "int8", "text",
)  # fmt: skip


class LotTrace(ReadModel[TraceChanges]):
    """Every event of a lot, and the flow of its units through the channel."""

    name: ClassVar[str] = "lot_trace"
    tables: ClassVar[tuple[str, ...]] = ("lot_trace_entries", "lot_flows", "lot_consignees")
    append_only: ClassVar[frozenset[str]] = frozenset({"lot_trace_entries"})
    topics: ClassVar[frozenset[str]] = lot_topics(
        ev.LotReceived, ev.StockPutAway, ev.TransferDispatched, ev.TransferReceived,
        ev.TransferDiscrepancyRecorded, ev.ShipmentDispatched, ev.ShipmentDelivered,
        ev.ReturnReceived, ev.StockAdjusted, ev.StockQuarantined, ev.QuarantineReleased,
        ev.StockHeld, ev.HoldReleased, ev.StockScrapped, ev.UseReported, ev.SalesReported,
        ev.TemperatureRecorded, ev.TemperatureExcursionRecorded,
    )  # fmt: skip

    def fold(self, events: Sequence[PositionedEvent]) -> TraceChanges:
        """Entries for every event; flow and counter deltas for channel movements."""
        changes = TraceChanges()
        append = changes.entries.append
        for item in events:
            event = item.event
            kind = type(event)
            entry = _BY_CLASS.get(kind) or _entry_for(kind)
            location, party, counterparty, quantity, reference = entry(changes, event)
            append(
                (item.position, event.originator_id, kind.__name__,
                 getattr(event, "occurred_at", None), item.recorded_at, location, party,
                 counterparty, quantity, reference)
            )  # fmt: skip
        return changes

    def write(self, cursor: Cursor[Any], changes: TraceChanges, tables: Mapping[str, str]) -> None:
        """Copy the entries in; add the deltas to flows and consignee counters."""
        copy_rows(
            cursor,
            tables["lot_trace_entries"],
            columns=_ENTRY_COLUMNS,
            rows=changes.entries,
            types=_ENTRY_TYPES,
        )
        add_counts(
            cursor,
            tables["lot_flows"],
            keys={"lot_id": "uuid", "from_party": "text", "to_party": "text"},
            counts=("quantity",),
            rows=[(*key, quantity) for key, quantity in changes.flows.items()],
        )
        add_counts(
            cursor,
            tables["lot_consignees"],
            keys={"lot_id": "uuid", "consignee": "text"},
            counts=_COUNTERS,
            rows=[(*key, *(c[n] for n in _COUNTERS)) for key, c in changes.consignees.items()],
        )


@dataclass(frozen=True)
class ConsigneeHolding:
    """One holder of a lot's units, how it got them, and what it did with them."""

    consignee: str
    supplied_by: tuple[str, ...]
    depth: int
    shipped: int
    delivered: int
    bought: int
    sold_on: int
    returned: int
    used: int

    @property
    def in_transit(self) -> int:
        """Units shipped to it and not yet delivered."""
        return self.shipped - self.delivered

    @property
    def on_hand(self) -> int:
        """Units it is believed to hold."""
        return self.delivered + self.bought - self.sold_on - self.returned - self.used


def forward_trace(cursor: Cursor[Any], lot_id: UUID) -> list[ConsigneeHolding]:
    """Every party that received units of the lot, nearest first (depth 1 = our customers)."""
    rows = cursor.execute(
        "WITH RECURSIVE reach(party, depth) AS ("
        "  SELECT to_party, 1 FROM lot_flows WHERE lot_id = %(lot)s AND from_party = ''"
        "  UNION SELECT f.to_party, r.depth + 1 FROM lot_flows f JOIN reach r"
        "    ON f.from_party = r.party WHERE f.lot_id = %(lot)s AND r.depth < 16"
        "), depths AS (SELECT party, min(depth) AS depth FROM reach GROUP BY party)"
        " SELECT c.consignee, coalesce(array_agg(f.from_party ORDER BY f.from_party)"
        "   FILTER (WHERE f.from_party IS NOT NULL), '{}'), coalesce(d.depth, 1),"
        " c.shipped, c.delivered, c.bought, c.sold_on, c.returned, c.used"
        " FROM lot_consignees c LEFT JOIN depths d ON d.party = c.consignee"
        " LEFT JOIN lot_flows f ON f.lot_id = c.lot_id AND f.to_party = c.consignee"
        " WHERE c.lot_id = %(lot)s"
        " GROUP BY c.consignee, d.depth, c.shipped, c.delivered, c.bought, c.sold_on,"
        " c.returned, c.used ORDER BY coalesce(d.depth, 1), c.consignee",
        {"lot": lot_id},
    ).fetchall()
    return [
        ConsigneeHolding(row[0], tuple(p or "(own stock)" for p in row[1]), *row[2:])
        for row in rows
    ]


@dataclass(frozen=True)
class TraceEntry:
    """One event of a lot as the trace shows it."""

    position: int
    movement: str
    occurred_at: Any
    location: str | None
    party: str | None
    counterparty: str | None
    quantity: int | None
    reference: str | None


def lot_history(
    cursor: Cursor[Any], lot_id: UUID, *, movements: Sequence[str] = ()
) -> list[TraceEntry]:
    """The lot's events in the order recorded (optionally only some kinds)."""
    rows = cursor.execute(
        "SELECT position, movement, occurred_at, location, party, counterparty, quantity,"
        " reference FROM lot_trace_entries WHERE lot_id = %s"
        " AND (cardinality(%s::text[]) = 0 OR movement = ANY(%s::text[])) ORDER BY position",
        (lot_id, list(movements), list(movements)),
    ).fetchall()
    return [TraceEntry(*row) for row in rows]


def backward_trace(cursor: Cursor[Any], lot_id: UUID) -> list[TraceEntry]:
    """Where the lot came from: its receipts (supplier, purchase order, inspection)."""
    return lot_history(cursor, lot_id, movements=("LotReceived",))


AT_CONSIGNEE = "at_consignee"
"""The status under which a consignee's own units are listed (its code is their location)."""

_HOLDING_NOW = (
    "SELECT lot_id, delivered + bought - sold_on - returned - used AS quantity"
    " FROM lot_consignees WHERE consignee = %(party)s"
)
# The same counts from the lot's entries, as they stood at a moment (occurred or recorded).
_HOLDING_THEN = (
    "SELECT lot_id, sum(CASE"
    "   WHEN movement = 'ShipmentDelivered' AND party = %(party)s THEN quantity"
    "   WHEN movement = 'SalesReported' AND counterparty = %(party)s THEN quantity"
    "   WHEN movement IN ('SalesReported', 'ReturnReceived', 'UseReported')"
    "     AND party = %(party)s THEN -quantity ELSE 0 END) AS quantity"
    " FROM lot_trace_entries WHERE (party = %(party)s OR counterparty = %(party)s)"
    " AND (%(as_of)s::timestamptz IS NULL OR occurred_at <= %(as_of)s)"
    " AND (%(known_at)s::timestamptz IS NULL OR recorded_at <= %(known_at)s)"
    " GROUP BY lot_id"
)


def consignee_stock(
    cursor: Cursor[Any],
    consignee: str,
    *,
    gtin: str | None = None,
    lot_number: str | None = None,
    as_of: datetime | None = None,
    known_at: datetime | None = None,
    expiring_by: date | None = None,
    limit: int = 1000,
) -> list[StockLine]:
    """Units one consignee is believed to hold, per lot, with its code as their location.

    Now (from its counters), or as they were at ``as_of`` (occurred) or as the ledger knew
    them at ``known_at`` (recorded); ``expiring_by`` keeps lots expiring on or before it.
    Lot facts come from the stock model's lots.
    """
    holding = _HOLDING_NOW if as_of is None and known_at is None else _HOLDING_THEN
    rows = cursor.execute(
        (
            "SELECT l.gtin, l.lot_number, l.expiry, %(party)s::text, %(status)s::text, h.quantity"
            f" FROM ({holding}) h JOIN stock_lots l USING (lot_id) WHERE h.quantity > 0"
            " AND (%(gtin)s::text IS NULL OR l.gtin = %(gtin)s)"
            " AND (%(lot)s::text IS NULL OR l.lot_number = %(lot)s)"
            " AND (%(by)s::date IS NULL OR l.expiry <= %(by)s)"
            " ORDER BY l.gtin, l.expiry NULLS LAST, l.lot_number LIMIT %(limit)s"
        ).encode(),
        {
            "party": consignee,
            "status": AT_CONSIGNEE,
            "gtin": gtin,
            "lot": lot_number,
            "as_of": as_of,
            "known_at": known_at,
            "by": expiring_by,
            "limit": limit,
        },
    ).fetchall()
    return [StockLine(*row) for row in rows]
