"""A recall through a multi-level channel, shared by the recall tests.

Manufacturer → regional warehouses (a transfer that loses 2 units) → distributor DIST-A →
sub-distributor SUB-B → hospital HOSP-C (which uses one unit); a shipment to hospital HOSP-D
still in transit when the recall starts; a partial return from DIST-A, 2 returned units
scrapped; another lot of the same product that the recall does not cover.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from conftest import register_products
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import PartyRole, ShipmentLine

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
LOT, OTHER = "L-RC-1", "L-OK-2"
PARTIES = {
    "MFR-ORION": PartyRole.MANUFACTURER,
    "DIST-A": PartyRole.DISTRIBUTOR,
    "SUB-B": PartyRole.SUB_DISTRIBUTOR,
    "HOSP-C": PartyRole.HOSPITAL,
    "HOSP-D": PartyRole.HOSPITAL,
}


def at(hours: float) -> datetime:
    """A time of the story."""
    return T0 + timedelta(hours=hours)


def channel(ledger: Ledger) -> str:
    """Register the cast and move the lots through the channel; return the product's GTIN."""
    (gtin,) = register_products(ledger, 1, start=41)
    for code, role in PARTIES.items():
        trade = role in (PartyRole.DISTRIBUTOR, PartyRole.SUB_DISTRIBUTOR)
        ledger.master_data.register_party(
            code=code,
            name=f"{code} Ltd.",
            role=role,
            region="East China",
            recall_contact=f"qa@{code.lower()}.example.cn",
            grade="B" if trade else None,
        )
    for number, quantity in ((LOT, 100), (OTHER, 50)):
        ledger.lots.receive(
            lot=LotRef(gtin, number),
            supplier="MFR-ORION",
            purchase_order="PO-7",
            location="WH-SH-A1",
            accepted=quantity,
            expiry=date(2028, 6, 30),
            manufactured_on=date(2026, 1, 10),
            occurred_at=at(0),
        )
    lot = LotRef(gtin, LOT)
    ledger.lots.dispatch_transfer(transfer="TR-1", from_location="WH-SH-A1", to_location="WH-BJ-A1",
                             quantity=20, occurred_at=at(1), lot=lot)  # fmt: skip
    ledger.lots.receive_transfer(
        transfer="TR-1", location="WH-BJ-A1", quantity=18, occurred_at=at(20), lot=lot
    )
    ship(ledger, gtin, LOT, "SH-1", "DIST-A", 30, at(2))
    ledger.channel.confirm_delivery(shipment="SH-1", consignee="DIST-A", lots=[(gtin, LOT)],
                            occurred_at=at(30))  # fmt: skip
    ship(ledger, gtin, OTHER, "SH-2", "DIST-A", 12, at(3))
    ledger.channel.report_sales(
        seller="DIST-A", buyer="SUB-B", quantity=10, occurred_at=at(50), lot=lot
    )
    ledger.channel.report_sales(
        seller="SUB-B", buyer="HOSP-C", quantity=4, occurred_at=at(60), lot=lot
    )
    ledger.channel.report_use(consignee="HOSP-C", quantity=1, occurred_at=at(70), lot=lot)
    ship(ledger, gtin, LOT, "SH-3", "HOSP-D", 10, at(80))
    ledger.channel.receive_return(
        consignee="DIST-A",
        location="WH-SH-A1",
        quantity=5,
        reason="damaged",
        occurred_at=at(90),
        lot=lot,
    )
    ledger.lots.scrap(
        location="WH-SH-A1", quantity=2, reason="damaged", occurred_at=at(91), lot=lot
    )
    return gtin


def ship(
    ledger: Ledger, gtin: str, number: str, shipment: str, to: str, quantity: int, when: datetime
) -> None:
    """Ship ``quantity`` of a lot from WH-SH-A1."""
    line = ShipmentLine(gtin=gtin, lot_number=number, quantity=quantity, from_location="WH-SH-A1")
    ledger.channel.ship(shipment=shipment, consignee=to, lines=[line], occurred_at=when)


def initiate(ledger: Ledger, gtin: str, number: str = "RC-2026-001") -> dict[str, Any]:
    """Recall the lot at level I under China's rules."""
    return ledger.recalls.initiate_recall(
        number=number, level=RecallLevel.I, reason="Sterile barrier may be breached",
        jurisdiction=Jurisdiction.CN, gtins=[gtin], lot_numbers=[LOT], initiator="MFR-ORION",
        occurred_at=at(100),
    ).outcome  # fmt: skip
