"""The demo's open recall: a lot that went from a warehouse to two distributors, on to a
sub-distributor and hospitals (one of which used some), with a shipment still in transit, is
recalled at level I; notices go out, some are acknowledged, one distributor sends units back.

``ledger recall list``, ``ledger recall impact RC-DEMO-001`` and ``/v1/recalls/RC-DEMO-001``
show it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ledger.application.ledger import Ledger
from ledger.demo.stock import DemoCast
from ledger.demo.story import OneLotStory
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import ShipmentLine

RECALL = "RC-DEMO-001"


class RecallStory(OneLotStory):
    """Moves one lot through every level of the channel, then recalls it."""

    LOCATION = "WH-GZ-RC1"

    def __init__(self, ledger: Ledger, cast: DemoCast, seed: int) -> None:
        super().__init__(ledger, cast, seed, product=0, prefix="RC")

    def run(self) -> int:
        """Tell the story; return how many events it appended."""
        start = self.now - timedelta(days=60)
        lot = LotRef(self.gtin, self.lot)
        dist_a, dist_b = self.cast.distributors[:2]
        sub = self.cast.sub_distributors[0]
        hospitals = self.cast.hospitals[:4]
        ledger = self.ledger
        self._receive(200, start)
        for n, (to, quantity) in enumerate(((dist_a, 60), (dist_b, 40), (hospitals[0], 12))):
            self._ship(f"SH-{self.lot}-{n + 1}", to, quantity, start + timedelta(days=2 + n))
            if n < 2:  # the hospital's shipment is still on the road at the recall
                self._count(ledger.channel.confirm_delivery(
                    shipment=f"SH-{self.lot}-{n + 1}", consignee=to,
                    lots=[(self.gtin, self.lot)], occurred_at=start + timedelta(days=4 + n),
                ))  # fmt: skip
        for seller, buyer, quantity, day in ((dist_a, sub, 20, 10), (sub, hospitals[1], 8, 14),
                                             (dist_b, hospitals[2], 10, 15),
                                             (dist_a, hospitals[3], 6, 16)):  # fmt: skip
            when = start + timedelta(days=day)
            self._count(ledger.channel.report_sales(seller=seller, buyer=buyer, quantity=quantity,
                                            occurred_at=when, lot=lot))  # fmt: skip
        self._count(ledger.channel.report_use(consignee=hospitals[1], quantity=3,
                                      occurred_at=start + timedelta(days=20), lot=lot))  # fmt: skip
        recalled = start + timedelta(days=55)
        self._count(ledger.recalls.initiate_recall(
            number=RECALL, level=RecallLevel.I, jurisdiction=Jurisdiction.CN,
            reason="Catheter tip may separate during use", gtins=[self.gtin],
            lot_numbers=[self.lot], initiator=self.cast.manufacturers[0], occurred_at=recalled,
        ))  # fmt: skip
        self._count(
            ledger.recalls.report_recall_to_regulator(
                number=RECALL, reference="GD-NMPA-R-0426", occurred_at=recalled
            )
        )
        for party in (dist_a, dist_b, sub, hospitals[0]):
            sent = recalled + timedelta(hours=4)
            self._count(ledger.recalls.send_recall_notice(
                number=RECALL, consignee=party, channel="email and phone", occurred_at=sent
            ))  # fmt: skip
        for party in (dist_a, sub):
            self._count(ledger.recalls.acknowledge_recall_notice(
                number=RECALL, consignee=party, acknowledged_by="quality manager",
                occurred_at=recalled + timedelta(hours=20),
            ))  # fmt: skip
        self._count(ledger.recalls.record_recall_recovery(
            number=RECALL, consignee=dist_a, kind=RecoveryKind.RETURNED, quantity=30,
            location=self.LOCATION, occurred_at=recalled + timedelta(days=2), gtin=self.gtin,
            lot_number=self.lot,
        ))  # fmt: skip
        return self.events

    def _ship(self, shipment: str, to: str, quantity: int, when: datetime) -> None:
        line = ShipmentLine(self.gtin, self.lot, quantity, self.LOCATION)
        self._count(self.ledger.channel.ship(shipment=shipment, consignee=to, lines=[line],
                                     occurred_at=when))  # fmt: skip
