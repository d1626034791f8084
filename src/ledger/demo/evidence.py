"""The demo's evidence story: a lot shipped to a handful of hospitals and recalled, so that
``ledger recall evidence RC-DEMO-EVIDENCE -o bundle.zip`` (or ``GET
/v1/recalls/RC-DEMO-EVIDENCE/evidence``) has a recall to prove.
"""

from __future__ import annotations

from datetime import timedelta

from ledger.application.ledger import Ledger
from ledger.demo.stock import DemoCast
from ledger.demo.story import OneLotStory
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import ShipmentLine

RECALL = "RC-DEMO-EVIDENCE"
CONSIGNEES = 6


class EvidenceStory(OneLotStory):
    """Receives one lot, ships it to ``CONSIGNEES`` hospitals and recalls it."""

    LOCATION = "WH-SH-EV1"

    def __init__(self, ledger: Ledger, cast: DemoCast, seed: int) -> None:
        super().__init__(ledger, cast, seed, product=1, prefix="EV")

    def run(self) -> int:
        """Tell the story; return how many events it appended."""
        start = self.now - timedelta(days=40)
        hospitals = self.cast.hospitals[:CONSIGNEES]
        self._receive(10 * len(hospitals) + 20, start)
        for index, code in enumerate(hospitals):
            self._count(
                self.ledger.channel.ship(
                    shipment=f"SH-{self.lot}-{index + 1}", consignee=code,
                    lines=[ShipmentLine(self.gtin, self.lot, 5 + index, self.LOCATION)],
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
