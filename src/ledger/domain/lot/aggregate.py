"""The ``Lot`` aggregate: one lot of one product, every unit of it accounted for.

A lot's units are on hand (per location and status), in transit (per movement reference),
at consignees (per party code), or gone: used, scrapped, adjusted away or lost in transit.
Its commands come in three parts, each deciding and then recording its own events:
``WarehouseMoves`` (receipts, put-away, transfers), ``StatusChanges`` (counts, quarantine,
holds, scrapping, temperature) and ``ChannelMoves`` (shipments and what customers report).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
from ledger.domain.lot.channel import ChannelMoves
from ledger.domain.lot.events import LotOpened
from ledger.domain.lot.status import StatusChanges
from ledger.domain.lot.warehouse import WarehouseMoves
from ledger.domain.topics import stored_under
from ledger.domain.values import Gtin, lot_id, parse_lot_number


class Lot(WarehouseMoves, StatusChanges, ChannelMoves, Aggregate):
    """A lot (batch) of a product: where its units are, in which status, and who holds them.

    See ``LotState`` for its attributes. Stored event topics are ``ledger.domain.lot:Lot.<Event>``
    (``LotOpened`` under its own class).
    """

    # The library turns only the @event methods in the aggregate's own namespace into event
    # classes, so each part's recording methods are listed here.
    _record_receipt = vars(WarehouseMoves)["_record_receipt"]
    _record_put_away = vars(WarehouseMoves)["_record_put_away"]
    _record_transfer_dispatch = vars(WarehouseMoves)["_record_transfer_dispatch"]
    _record_transfer_receipt = vars(WarehouseMoves)["_record_transfer_receipt"]
    _record_transfer_discrepancy = vars(WarehouseMoves)["_record_transfer_discrepancy"]
    _record_adjustment = vars(StatusChanges)["_record_adjustment"]
    _record_quarantine = vars(StatusChanges)["_record_quarantine"]
    _record_quarantine_release = vars(StatusChanges)["_record_quarantine_release"]
    _record_hold = vars(StatusChanges)["_record_hold"]
    _record_hold_release = vars(StatusChanges)["_record_hold_release"]
    _record_scrap = vars(StatusChanges)["_record_scrap"]
    _record_reading = vars(StatusChanges)["_record_reading"]
    _record_excursion = vars(StatusChanges)["_record_excursion"]
    _record_shipment = vars(ChannelMoves)["_record_shipment"]
    _record_delivery = vars(ChannelMoves)["_record_delivery"]
    _record_return = vars(ChannelMoves)["_record_return"]
    _record_use = vars(ChannelMoves)["_record_use"]
    _record_sales = vars(ChannelMoves)["_record_sales"]

    @staticmethod
    def create_id(gtin: str, lot_number: str, **_: Any) -> UUID:
        """Lots are found by GTIN and lot number, so the id is derived from them."""
        return lot_id(Gtin(gtin), lot_number)

    @classmethod
    def open(
        cls,
        *,
        gtin: Gtin,
        lot_number: str,
        expiry: date | None = None,
        manufactured_on: date | None = None,
    ) -> Lot:
        """Record a lot's facts when it is first received."""
        number = parse_lot_number(lot_number)
        if expiry is not None and manufactured_on is not None and manufactured_on > expiry:
            raise InvalidValue("manufactured_on", "is after the expiry date")
        # _create with the id given skips the library's generic argument handling.
        return cls._create(
            LotOpened,
            id=lot_id(gtin, number),
            gtin=gtin.value,
            lot_number=number,
            expiry=expiry,
            manufactured_on=manufactured_on,
        )

    @event(LotOpened)
    def __init__(
        self, *, gtin: str, lot_number: str, expiry: date | None, manufactured_on: date | None
    ) -> None:
        self._start(
            gtin=gtin, lot_number=lot_number, expiry=expiry, manufactured_on=manufactured_on
        )


stored_under(Lot, "ledger.domain.lot")  # its module in 0.1.0
