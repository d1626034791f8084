"""What the demo's stories about one lot share: the lot, its first receipt, the count of
events they append."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from ledger.application.commands import CommandOutcome
from ledger.application.ledger import Ledger
from ledger.demo.stock import DemoCast, reference_time
from ledger.domain.lot_ref import LotRef


class OneLotStory:
    """A story about one lot of one of the demo's products, first received from the first
    manufacturer at the story's ``LOCATION``; ``run`` tells the rest."""

    LOCATION: ClassVar[str]

    def __init__(
        self, ledger: Ledger, cast: DemoCast, seed: int, *, product: int, prefix: str
    ) -> None:
        self.ledger = ledger
        self.cast = cast
        self.now = reference_time(seed)
        self.gtin = cast.products[product % len(cast.products)][0]
        self.lot = f"{prefix}-{seed}"
        self.events = 0

    def _count(self, outcome: CommandOutcome) -> CommandOutcome:
        self.events += len(outcome.positions)
        return outcome

    def _receive(self, units: int, at: datetime) -> None:
        self._count(
            self.ledger.lots.receive(
                lot=LotRef(self.gtin, self.lot),
                supplier=self.cast.manufacturers[0],
                purchase_order=f"PO-{self.lot}",
                location=self.LOCATION,
                accepted=units,
                occurred_at=at,
            )
        )
