"""The ledger's use cases for lots in the channel: shipments to customers, their
confirmation, and what customers report back (returns, uses, sales on).

A shipment of several lots saves them all or none; each lot is named by a ``LotRef`` (GTIN
and lot number, or a UDI). Like every movement, these retry on a lost race on a lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from ledger.application.commands import (
    SYSTEM,
    Caller,
    CommandOutcome,
    Decision,
    arguments_of,
)
from ledger.application.lots import MOVEMENT_RETRIES, LotMovement, lot_outcome, read_lot
from ledger.application.part import LedgerPart
from ledger.domain.errors import InvalidValue
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import ShipmentLine, lot_id

Picks = dict[UUID, tuple[Lot, dict[str, int]]]
"""Lots a shipment takes units from, each with the units per location."""


class Channel(LedgerPart):
    """The use cases of lots leaving for customers and of what customers report."""

    def ship(
        self,
        *,
        shipment: str,
        consignee: str,
        lines: Sequence[ShipmentLine],
        occurred_at: datetime,
        order: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Ship lines of one or more lots to a customer: every line leaves, or none does."""
        arguments = arguments_of(locals())
        arguments["lines"] = [asdict(line) for line in lines]

        def decide() -> Decision:
            if not lines:
                raise InvalidValue("lines", "a shipment has at least one line")
            self._ledger.party(consignee)
            picks, _ = self.picked(lines, occurred_at)
            for picked, from_locations in picks.values():
                picked.ship(
                    shipment=shipment,
                    consignee=consignee,
                    picks=from_locations,
                    order=order,
                    occurred_at=occurred_at,
                )
            lots = [picked for picked, _ in picks.values()]
            shipped = [lot_outcome(picked, {}) for picked in lots]
            return lots, {"shipment": shipment, "consignee": consignee, "lots": shipped}

        return self._ledger.execute("ship", arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def picked(
        self, lines: Sequence[ShipmentLine], occurred_at: datetime
    ) -> tuple[Picks, dict[str, int]]:
        """The lots a shipment's lines pick (units per location), and the units per GTIN."""
        picks: Picks = {}
        shipped: dict[str, int] = {}
        for line in lines:
            named = read_lot(LotRef(line.gtin, line.lot_number), occurred_at)
            key = lot_id(named.gtin, named.number)
            if key not in picks:
                picks[key] = (self._ledger.lots.load(named), {})
            places = picks[key][1]
            place = line.from_location.strip()
            places[place] = places.get(place, 0) + line.quantity
            shipped[named.gtin.value] = shipped.get(named.gtin.value, 0) + line.quantity
        return picks, shipped

    def confirm_delivery(
        self,
        *,
        shipment: str,
        consignee: str,
        lots: Sequence[tuple[str, str]],
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record the consignee's confirmation that a shipment's lots (GTIN, lot number)
        arrived; the units are theirs from then on."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            if not lots:
                raise InvalidValue("lots", "name the lots of the shipment")
            found: dict[UUID, Lot] = {}
            for gtin, number in lots:
                delivered = self._ledger.lots.load(read_lot(LotRef(gtin, number), occurred_at))
                if delivered.id not in found:
                    delivered.confirm_delivery(
                        shipment=shipment, consignee=consignee, occurred_at=occurred_at
                    )
                    found[delivered.id] = delivered
            outcome = [lot_outcome(delivered, {}) for delivered in found.values()]
            return list(found.values()), {"shipment": shipment, "lots": outcome}

        return self._ledger.execute(
            "confirm_delivery", arguments, caller, decide, retries=MOVEMENT_RETRIES
        )

    receive_return = LotMovement(Lot.receive_return)
    report_use = LotMovement(Lot.report_use)
    report_sales = LotMovement(Lot.report_sales, parties=("seller", "buyer"))
