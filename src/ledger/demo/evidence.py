"""The demo's evidence story: a lot shipped to a handful of hospitals and recalled, so that
``ledger recall evidence RC-DEMO-EVIDENCE -o bundle.zip`` (or ``GET
/v1/recalls/RC-DEMO-EVIDENCE/evidence``) has a recall to prove.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.application.commands import CommandOutcome
from ledger.application.ledger import Ledger
from ledger.demo.stock import DemoCast, reference_time
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import ShipmentLine

RECALL = "RC-DEMO-EVIDENCE"
LOCATION = "WH-SH-EV1"
CONSIGNEES = 6


class EvidenceStory:
    """Receives one lot, ships it to ``CONSIGNEES`` hospitals and recalls it."""

    def __init__(self, ledger: Ledger, cast: DemoCast, seed: int) -> None:
        self.ledger = ledger
        self.cast = cast
        self.now = reference_time(seed)
        self.gtin = cast.products[1 % len(cast.products)][0]
        self.lot = f"EV-{seed}"
        self.events = 0

    def _count(self, outcome: CommandOutcome) -> None:
        self.events += len(outcome.positions)

    def run(self) -> int:
        """Tell the story; return how many events it appended."""
        start = self.now - timedelta(days=40)
        hospitals = self.cast.hospitals[:CONSIGNEES]
        self._count(
            self.ledger.lots.receive(
                lot=LotRef(self.gtin, self.lot),
                supplier=self.cast.manufacturers[0],
                purchase_order=f"PO-{self.lot}",
                location=LOCATION,
                accepted=10 * len(hospitals) + 20,
                occurred_at=start,
            )
        )
        for index, code in enumerate(hospitals):
            self._count(
                self.ledger.channel.ship(
                    shipment=f"SH-{self.lot}-{index + 1}", consignee=code,
                    lines=[ShipmentLine(self.gtin, self.lot, 5 + index, LOCATION)],
                    occurred_at=start + timedelta(days=2, hours=index),
                )
            )  # fmt: skip
        self._count(
            self.ledger.recalls.initiate_recall(
                number=RECALL, level=RecallLevel.II, jurisdiction=Jurisdiction.CN,
                reason="pouch seal may open in transit", gtins=[self.gtin],
                lot_numbers=[self.lot], initiator=self.cast.manufacturers[0],
                occurred_at=start + timedelta(days=20),
            )
        )  # fmt: skip
        return self.events
