"""Random sequences of a lot's movements, accepted or rejected, on the ``Lot`` aggregate.

After every step: the lot's balances equal the plain model's, none is negative, every unit
received is accounted for, and a refused command left the lot exactly as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis.stateful import invariant
from stock_machine import WHEN, StockRules

from ledger.domain.lot.aggregate import Lot
from ledger.domain.values import Gtin


class LotStockMachine(StockRules):
    def __init__(self) -> None:
        super().__init__()
        self.lot = Lot.open(
            gtin=Gtin.parse("09506000134352"), lot_number="P1", expiry=date(2030, 1, 1)
        )
        self.events = self.lot.collect_events()

    def command(self, name: str, **arguments: Any) -> None:
        getattr(self.lot, name)(**arguments, occurred_at=WHEN)
        self.events.extend(self.lot.collect_events())

    def snapshot(self) -> Any:
        lot = self.lot
        return (
            lot.version,
            list(lot.pending_events),
            lot.stock.balances(),
            dict(lot.in_transit),
            dict(lot.consignees),
            dict(lot.holds),
            (lot.received, lot.used, lot.scrapped, lot.adjusted, lot.lost),
        )

    @invariant()
    def balances_equal_the_model_and_none_is_negative(self) -> None:
        assert self.lot.stock.balances() == self.model.on_hand
        assert all(quantity > 0 for quantity in self.lot.stock.balances().values())
        assert {r: t.quantity for r, t in self.lot.in_transit.items()} == {
            r: t.quantity for r, t in self.model.transit.items()
        }
        assert self.lot.consignees == self.model.consignees
        assert all(quantity > 0 for quantity in self.lot.consignees.values())

    @invariant()
    def every_unit_received_is_accounted_for(self) -> None:
        lot = self.lot
        assert lot.received + lot.adjusted - lot.lost == (
            lot.stock.total()
            + lot.in_transit_quantity()
            + lot.at_consignees()
            + lot.used
            + lot.scrapped
        )
        assert (lot.received, lot.used, lot.scrapped, lot.adjusted, lot.lost) == (
            self.model.received,
            self.model.used,
            self.model.scrapped,
            self.model.adjusted,
            self.model.lost,
        )

    def teardown(self) -> None:
        # The events recorded, replayed, rebuild the same lot.
        replayed: Lot | None = None
        for event in self.events:
            replayed = event.mutate(replayed)
        assert replayed is not None and replayed.version == self.lot.version
        assert replayed.stock.balances() == self.lot.stock.balances()
        assert replayed.consignees == self.lot.consignees


TestLotStockMachine = LotStockMachine.TestCase
