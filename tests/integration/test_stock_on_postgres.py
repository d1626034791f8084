"""Stock movements on PostgreSQL: atomic multi-lot shipments, concurrent shipments of one
lot, idempotent repeats, and lot events read back as they were saved."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.bootstrap import build_ledger
from conftest import stored_rows
from ledger.application.ledger import Caller, Ledger
from ledger.domain.errors import LedgerError
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import InsufficientStock
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import Gtin, PartyRole, RiskClass, ShipmentLine, StockStatus, lot_id
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.verify import verify_chain

STENT, KIT = "09506000134352", "04006381333931"
WHEN = datetime(2026, 3, 2, 8, tzinfo=UTC)


def set_up(ledger: Ledger, lots: dict[tuple[str, str], int]) -> None:
    """Register two products, a supplier and a distributor; receive the given lots."""
    for gtin in (STENT, KIT):
        ledger.master_data.register_product(
            gtin=gtin,
            name=f"Device {gtin}",
            registration_certificate="NMPA-2026-2-0001",
            risk_class=RiskClass.II,
            unit_of_use="each",
            storage_min_celsius=Decimal("2"),
            storage_max_celsius=Decimal("8"),
        )
    for code, role, grade in (
        ("MFR-ORION", PartyRole.MANUFACTURER, None),
        ("DIST-001", PartyRole.DISTRIBUTOR, "A"),
    ):
        ledger.master_data.register_party(
            code=code, name=code, role=role, region="East", recall_contact="r@x.cn", grade=grade
        )
    for (gtin, number), quantity in lots.items():
        ledger.lots.receive(
            lot=LotRef(gtin, number),
            expiry=date(2027, 12, 31),
            supplier="MFR-ORION",
            purchase_order="PO-1",
            location="WH-SH-01",
            accepted=quantity,
            occurred_at=WHEN,
        )


def lot(ledger: Ledger, gtin: str, number: str) -> Lot:
    found: Lot = ledger.repository.get(lot_id(Gtin.parse(gtin), number))
    return found


def test_a_multi_lot_shipment_with_one_bad_line_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    set_up(ledger, {(STENT, "A1"): 10, (KIT, "K1"): 3})
    before = stored_rows(database)

    with pytest.raises(InsufficientStock):
        ledger.channel.ship(
            shipment="SH-1",
            consignee="DIST-001",
            lines=[
                ShipmentLine(STENT, "A1", 4, "WH-SH-01"),
                ShipmentLine(KIT, "K1", 5, "WH-SH-01"),
            ],
            occurred_at=WHEN,
        )

    assert stored_rows(database) == before
    assert lot(ledger, STENT, "A1").available("WH-SH-01") == 10
    assert verify_chain(database).ok


def test_parallel_shipments_of_one_unit_each_never_oversell_a_lot(database: Database) -> None:
    apps = [build_ledger(Settings(pool_size=2), database) for _ in range(4)]
    set_up(apps[0], {(STENT, "A1"): 20})
    start = threading.Barrier(40)
    results: list[str] = []

    def ship_one(app: Ledger, number: int) -> None:
        start.wait()
        try:
            app.channel.ship(
                shipment=f"SH-{number:02d}",
                consignee="DIST-001",
                lines=[ShipmentLine(STENT, "A1", 1, "WH-SH-01")],
                occurred_at=WHEN,
            )
            results.append("shipped")
        except LedgerError as exc:
            results.append(type(exc).__name__)

    threads = [
        threading.Thread(target=ship_one, args=(apps[number % 4], number)) for number in range(40)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        final = lot(apps[0], STENT, "A1")
    finally:
        for app in apps:
            app.close()

    assert Counter(results) == {"shipped": 20, "InsufficientStock": 20}
    assert final.available("WH-SH-01") == 0
    assert final.in_transit_quantity() == 20
    assert final.version == 2 + 20
    assert verify_chain(database).ok


def test_a_repeated_keyed_shipment_returns_the_first_answer_and_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    set_up(ledger, {(STENT, "A1"): 1})
    caller = Caller(actor="wms", scope="key-1", idempotency_key="ship-SH-1")
    order = {
        "shipment": "SH-1",
        "consignee": "DIST-001",
        "lines": [ShipmentLine(STENT, "A1", 1, "WH-SH-01")],
        "occurred_at": WHEN,
    }
    first = ledger.channel.ship(**order, caller=caller)
    before = stored_rows(database)

    again = ledger.channel.ship(**order, caller=caller)

    assert again.replayed and again.outcome == first.outcome
    assert again.positions == first.positions
    assert stored_rows(database) == before


def test_a_lots_events_read_back_from_postgresql_rebuild_the_same_lot(ledger: Ledger) -> None:
    set_up(ledger, {})
    ledger.lots.receive(
        lot=LotRef(udi=f"(01){KIT}(11)250600(17)271200(10)K9"),
        supplier="MFR-ORION",
        purchase_order="PO-7",
        location="WH-SH-01",
        accepted=12,
        rejected=1,
        occurred_at=WHEN,
    )
    name = LotRef(KIT, "K9")
    ledger.lots.put_away(
        lot=name, from_location="WH-SH-01", to_location="WH-SH-02", quantity=4, occurred_at=WHEN
    )
    ledger.channel.ship(
        shipment="SH-1",
        consignee="DIST-001",
        lines=[ShipmentLine(KIT, "K9", 3, "WH-SH-01"), ShipmentLine(KIT, "K9", 2, "WH-SH-02")],
        occurred_at=WHEN,
    )
    ledger.lots.record_temperature(
        lot=name, location="WH-SH-02", celsius=Decimal("9.5"), occurred_at=WHEN
    )
    ledger.lots.hold(lot=name, hold="RC-1", reason="recall", occurred_at=WHEN)

    found = lot(ledger, KIT, "K9")
    events = list(ledger.events.get(found.id))

    assert (found.expiry, found.manufactured_on) == (date(2027, 12, 31), date(2025, 6, 30))
    assert found.stock.balances() == {
        ("WH-SH-01", StockStatus.HOLD): 5,
        ("WH-SH-01", StockStatus.QUARANTINE): 1,
        ("WH-SH-02", StockStatus.QUARANTINE): 2,
    }
    assert events[3].from_locations == {"WH-SH-01": 3, "WH-SH-02": 2}
    assert events[5].celsius == Decimal("9.5")
    assert events[6].quantities == {"WH-SH-01": 5}
    assert events[1].accepted_status is StockStatus.AVAILABLE
    assert all(e.occurred_at == WHEN for e in events[1:])
