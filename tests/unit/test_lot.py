"""The ``Lot`` aggregate: each movement's rules and the events it records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from ledger.domain.errors import InvalidValue
from ledger.domain.lot import events as ev
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import (
    DuplicateSerial,
    ExceedsConsigneeHolding,
    ExceedsInTransit,
    InsufficientStock,
    LotExpired,
    LotFactsConflict,
    LotOnHold,
    LotQuarantined,
    NoSuchHold,
    NothingInTransit,
    NotOneWarehouse,
    NotTheConsignee,
    ReferenceAlreadyUsed,
    TransferWithinWarehouse,
)
from ledger.domain.values import Gtin, StockStatus, StorageRange, lot_id

AVAILABLE, QUARANTINE, HOLD = StockStatus.AVAILABLE, StockStatus.QUARANTINE, StockStatus.HOLD
GTIN = Gtin.parse("09506000134352")
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
COLD = StorageRange(Decimal("2"), Decimal("8"))


def at(days: float = 0) -> datetime:
    return T0 + timedelta(days=days)


def new_lot(accepted: int = 20, rejected: int = 0, **facts: Any) -> Lot:
    """A lot with one receipt at WH-SH-01, its events already collected."""
    facts.setdefault("expiry", date(2027, 6, 30))
    lot = Lot.open(gtin=GTIN, lot_number="A1B2", **facts)
    lot.receive(
        supplier="MFR-ORION",
        purchase_order="PO-1",
        location="WH-SH-01",
        accepted=accepted,
        rejected=rejected,
        occurred_at=at(),
    )
    lot.collect_events()
    return lot


def recorded(lot: Lot) -> list[Any]:
    return lot.collect_events()


def shipped(lot: Lot, quantity: int = 5, shipment: str = "SH-1", **changes: Any) -> None:
    args: dict[str, Any] = {
        "shipment": shipment,
        "consignee": "DIST-001",
        "picks": {"WH-SH-01": quantity},
        "occurred_at": at(1),
    }
    lot.ship(**{**args, **changes})


def delivered(lot: Lot, quantity: int = 5, consignee: str = "DIST-001") -> None:
    shipped(lot, quantity, shipment=f"SH-{consignee}", consignee=consignee)
    lot.confirm_delivery(shipment=f"SH-{consignee}", consignee=consignee, occurred_at=at(2))
    lot.collect_events()


# Opening and receiving


def test_the_first_receipt_opens_the_lot_under_the_id_of_its_gtin_and_number() -> None:
    lot = Lot.open(gtin=GTIN, lot_number=" A1B2 ", expiry=date(2027, 6, 30))
    lot.receive(
        supplier="MFR-ORION",
        purchase_order="PO-1",
        location="WH-SH-01",
        accepted=18,
        rejected=2,
        note="two cartons crushed",
        occurred_at=datetime(2026, 3, 2, 16, 30, tzinfo=timezone(timedelta(hours=8))),
    )

    opened, received = recorded(lot)

    assert type(opened) is ev.LotOpened
    assert lot.id == lot_id(GTIN, "A1B2") == opened.originator_id
    assert (opened.gtin, opened.lot_number, opened.expiry) == (
        GTIN.value,
        "A1B2",
        date(2027, 6, 30),
    )
    assert isinstance(received, ev.LotReceived)
    assert (received.accepted, received.rejected, received.accepted_status) == (18, 2, AVAILABLE)
    assert received.occurred_at == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert received.note == "two cartons crushed"
    assert lot.stock.balances() == {("WH-SH-01", AVAILABLE): 18, ("WH-SH-01", QUARANTINE): 2}
    assert lot.received == 20


def test_lot_events_are_stored_under_topics_of_the_lot_aggregate() -> None:
    lot = new_lot()
    lot.quarantine(location="WH-SH-01", quantity=1, reason="dented", occurred_at=at())

    [event] = recorded(lot)

    assert get_topic(type(event)) == "ledger.domain.lot:Lot.StockQuarantined"
    assert isinstance(event, ev.StockQuarantined)
    assert get_topic(ev.LotOpened) == "ledger.domain.lot_events:LotOpened"


@pytest.mark.parametrize("number", ["", " ", "A" * 21, "LOT 1", "LOT#1", "lôt"])
def test_a_lot_number_outside_gs1_ai_10_is_rejected(number: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Lot.open(gtin=GTIN, lot_number=number)

    assert caught.value.field == "lot_number"


def test_a_lot_made_after_its_expiry_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        Lot.open(
            gtin=GTIN, lot_number="A", expiry=date(2026, 1, 1), manufactured_on=date(2026, 2, 1)
        )

    assert caught.value.field == "manufactured_on"


@pytest.mark.parametrize(
    ("accepted", "rejected", "field"),
    [
        (0, 0, "accepted + rejected"),
        (-1, 3, "accepted"),
        (3, -1, "rejected"),
        (True, 0, "accepted"),
    ],
)
def test_a_receipt_needs_whole_non_negative_quantities_and_at_least_one_unit(
    accepted: int, rejected: int, field: str
) -> None:
    lot = new_lot()
    with pytest.raises(InvalidValue) as caught:
        lot.receive(
            supplier="MFR-ORION",
            purchase_order="PO-2",
            location="WH-SH-01",
            accepted=accepted,
            rejected=rejected,
            occurred_at=at(),
        )

    assert caught.value.field == field


def test_a_naive_occurred_at_is_rejected() -> None:
    lot = new_lot()
    with pytest.raises(InvalidValue) as caught:
        lot.quarantine(
            location="WH-SH-01", quantity=1, reason="x", occurred_at=datetime(2026, 3, 2)
        )

    assert caught.value.field == "occurred_at"


@pytest.mark.parametrize("location", ["WH", "WH_SH_01", "WH-SH-", "-01", "WH SH 01", ""])
def test_a_location_code_must_be_warehouse_dash_place(location: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        new_lot().quarantine(location=location, quantity=1, reason="x", occurred_at=at())

    assert caught.value.field == "location"


def test_accepting_units_of_an_expired_lot_is_refused_but_rejecting_them_is_recorded() -> None:
    lot = new_lot(expiry=date(2026, 3, 10))
    args: dict[str, Any] = {"supplier": "S", "purchase_order": "PO-9", "location": "WH-SH-01"}

    with pytest.raises(LotExpired):
        lot.receive(**args, accepted=1, occurred_at=at(9))
    lot.receive(**args, accepted=0, rejected=4, occurred_at=at(9))

    assert lot.stock.quantity("WH-SH-01", QUARANTINE) == 4


def test_serials_must_match_the_units_and_never_repeat() -> None:
    lot = Lot.open(gtin=GTIN, lot_number="S1")
    args: dict[str, Any] = {"supplier": "S", "purchase_order": "PO", "location": "WH-SH-01"}
    lot.receive(**args, accepted=2, serials=["SN1", "SN2"], occurred_at=at())

    with pytest.raises(InvalidValue):
        lot.receive(**args, accepted=2, serials=["SN3"], occurred_at=at())
    with pytest.raises(DuplicateSerial) as caught:
        lot.receive(**args, accepted=2, serials=["SN2", "SN4"], occurred_at=at())
    with pytest.raises(DuplicateSerial):
        lot.receive(**args, accepted=2, serials=["SN5", "SN5"], occurred_at=at())

    assert caught.value.serials == ["SN2"]
    assert lot.serials == {"SN1", "SN2"}


def test_stated_facts_that_differ_from_the_recorded_ones_conflict() -> None:
    lot = new_lot(expiry=date(2027, 6, 30), manufactured_on=date(2025, 6, 1))

    lot.check_facts(expiry=date(2027, 6, 30), manufactured_on=None)
    with pytest.raises(LotFactsConflict) as caught:
        lot.check_facts(expiry=date(2027, 6, 29), manufactured_on=None)

    assert (caught.value.field, caught.value.recorded) == ("expiry", date(2027, 6, 30))


# Moves within and between our warehouses


def test_put_away_moves_units_within_one_warehouse() -> None:
    lot = new_lot()
    lot.put_away(from_location="WH-SH-01", to_location="WH-SH-02", quantity=8, occurred_at=at())

    [event] = recorded(lot)

    assert isinstance(event, ev.StockPutAway)
    assert (event.from_location, event.to_location, event.quantity) == ("WH-SH-01", "WH-SH-02", 8)
    assert lot.stock.balances() == {("WH-SH-01", AVAILABLE): 12, ("WH-SH-02", AVAILABLE): 8}


def test_put_away_to_another_warehouse_or_the_same_place_is_refused() -> None:
    lot = new_lot()
    with pytest.raises(NotOneWarehouse):
        lot.put_away(from_location="WH-SH-01", to_location="WH-BJ-01", quantity=1, occurred_at=at())
    with pytest.raises(InvalidValue):
        lot.put_away(from_location="WH-SH-01", to_location="WH-SH-01", quantity=1, occurred_at=at())


def test_taking_more_than_a_location_holds_raises_insufficient_stock_with_the_figures() -> None:
    lot = new_lot(accepted=3)

    with pytest.raises(InsufficientStock) as caught:
        lot.put_away(from_location="WH-SH-01", to_location="WH-SH-02", quantity=4, occurred_at=at())

    error = caught.value
    assert (error.lot, error.location, error.status) == (lot.label, "WH-SH-01", "available")
    assert (error.requested, error.available) == (4, 3)
    assert recorded(lot) == []


@pytest.mark.parametrize("quantity", [0, -2, True])
def test_a_movement_quantity_must_be_a_positive_whole_number(quantity: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        new_lot().quarantine(location="WH-SH-01", quantity=quantity, reason="x", occurred_at=at())

    assert caught.value.field == "quantity"


def test_a_transfer_is_in_transit_until_received_in_full() -> None:
    lot = new_lot()
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=6,
        occurred_at=at(),
    )
    assert lot.in_transit_quantity() == 6
    lot.receive_transfer(transfer="TR-1", location="WH-BJ-03", quantity=6, occurred_at=at(2))

    dispatched, received = recorded(lot)

    assert isinstance(dispatched, ev.TransferDispatched) and dispatched.quantity == 6
    assert isinstance(received, ev.TransferReceived) and received.status is AVAILABLE
    assert lot.in_transit == {}
    assert lot.stock.balances() == {("WH-SH-01", AVAILABLE): 14, ("WH-BJ-03", AVAILABLE): 6}


def test_a_short_transfer_receipt_records_the_discrepancy_as_lost() -> None:
    lot = new_lot()
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=6,
        occurred_at=at(),
    )
    lot.collect_events()

    lot.receive_transfer(transfer="TR-1", location="WH-BJ-01", quantity=4, occurred_at=at(2))

    received, discrepancy = recorded(lot)
    assert received.quantity == 4
    assert isinstance(discrepancy, ev.TransferDiscrepancyRecorded)
    assert (discrepancy.dispatched, discrepancy.received) == (6, 4)
    assert (lot.lost, lot.in_transit) == (2, {})


def test_transfer_rules() -> None:
    lot = new_lot()
    move: dict[str, Any] = {"from_location": "WH-SH-01", "occurred_at": at()}
    with pytest.raises(TransferWithinWarehouse):
        lot.dispatch_transfer(transfer="TR-1", to_location="WH-SH-02", quantity=1, **move)
    lot.dispatch_transfer(transfer="TR-1", to_location="WH-BJ-01", quantity=5, **move)
    with pytest.raises(ReferenceAlreadyUsed):
        lot.dispatch_transfer(transfer="TR-1", to_location="WH-BJ-01", quantity=1, **move)
    with pytest.raises(NothingInTransit):
        lot.receive_transfer(transfer="TR-2", location="WH-BJ-01", quantity=1, occurred_at=at())
    with pytest.raises(NotOneWarehouse):
        lot.receive_transfer(transfer="TR-1", location="WH-GZ-01", quantity=5, occurred_at=at())
    with pytest.raises(ExceedsInTransit) as caught:
        lot.receive_transfer(transfer="TR-1", location="WH-BJ-01", quantity=6, occurred_at=at())
    assert (caught.value.requested, caught.value.in_transit) == (6, 5)


# Shipments and the channel


def test_a_shipment_leaves_available_stock_and_is_in_transit_to_the_consignee() -> None:
    lot = new_lot()
    lot.put_away(from_location="WH-SH-01", to_location="WH-SH-02", quantity=5, occurred_at=at())
    lot.collect_events()

    shipped(lot, picks={"WH-SH-01": 3, "WH-SH-02": 5}, order="SO-7")

    [event] = recorded(lot)
    assert isinstance(event, ev.ShipmentDispatched)
    assert (event.shipment, event.consignee, event.quantity, event.order) == (
        "SH-1",
        "DIST-001",
        8,
        "SO-7",
    )
    assert event.from_locations == {"WH-SH-01": 3, "WH-SH-02": 5}
    assert lot.in_transit_quantity() == 8
    assert lot.stock.total() == 12


def test_delivery_puts_the_shipped_units_at_the_consignee() -> None:
    lot = new_lot()
    shipped(lot, 5)

    lot.confirm_delivery(shipment="SH-1", consignee="DIST-001", occurred_at=at(3))

    assert isinstance(recorded(lot)[-1], ev.ShipmentDelivered)
    assert lot.consignees == {"DIST-001": 5}
    assert lot.in_transit == {}


def test_delivery_rules() -> None:
    lot = new_lot()
    shipped(lot, 5)
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=1,
        occurred_at=at(),
    )
    with pytest.raises(NotTheConsignee) as caught:
        lot.confirm_delivery(shipment="SH-1", consignee="HOSP-001", occurred_at=at(3))
    assert caught.value.expected == "DIST-001"
    with pytest.raises(NothingInTransit):
        lot.confirm_delivery(shipment="TR-1", consignee="DIST-001", occurred_at=at(3))
    lot.confirm_delivery(shipment="SH-1", consignee="DIST-001", occurred_at=at(3))
    with pytest.raises(NothingInTransit):
        lot.confirm_delivery(shipment="SH-1", consignee="DIST-001", occurred_at=at(3))
    with pytest.raises(ReferenceAlreadyUsed):
        shipped(lot, 1)


def test_stock_of_an_expired_lot_cannot_ship_after_its_expiry_date() -> None:
    lot = new_lot(expiry=date(2026, 3, 3))

    shipped(lot, 1, occurred_at=datetime(2026, 3, 3, 23, 59, tzinfo=UTC))
    with pytest.raises(LotExpired) as caught:
        shipped(lot, 1, shipment="SH-2", occurred_at=datetime(2026, 3, 4, tzinfo=UTC))

    assert (caught.value.expiry, caught.value.on) == (date(2026, 3, 3), date(2026, 3, 4))


def test_held_or_quarantined_stock_cannot_ship() -> None:
    lot = new_lot(accepted=10)
    lot.quarantine(location="WH-SH-01", quantity=4, reason="dented", occurred_at=at())
    with pytest.raises(LotQuarantined) as caught:
        shipped(lot, 8)
    assert (caught.value.requested, caught.value.quarantined) == (8, 4)
    with pytest.raises(InsufficientStock):
        shipped(lot, 11)

    lot.hold(hold="RC-2026-001", reason="recall", occurred_at=at())
    with pytest.raises(LotOnHold) as held:
        shipped(lot, 1)
    assert held.value.holds == ["RC-2026-001"]


def test_a_return_goes_into_quarantine_and_no_more_than_the_consignee_holds() -> None:
    lot = new_lot()
    delivered(lot, 5, "HOSP-001")

    with pytest.raises(ExceedsConsigneeHolding) as caught:
        lot.receive_return(
            consignee="HOSP-001", location="WH-SH-09", quantity=6, reason="x", occurred_at=at(4)
        )
    lot.receive_return(
        consignee="HOSP-001", location="WH-SH-09", quantity=2, reason="damaged", occurred_at=at(4)
    )

    assert (caught.value.requested, caught.value.held) == (6, 5)
    assert isinstance(recorded(lot)[-1], ev.ReturnReceived)
    assert lot.stock.quantity("WH-SH-09", QUARANTINE) == 2
    assert lot.consignees == {"HOSP-001": 3}


def test_use_reduces_what_the_hospital_holds() -> None:
    lot = new_lot()
    delivered(lot, 5, "HOSP-001")

    lot.report_use(consignee="HOSP-001", quantity=5, occurred_at=at(5))

    assert isinstance(recorded(lot)[-1], ev.UseReported)
    assert (lot.consignees, lot.used) == ({}, 5)
    with pytest.raises(ExceedsConsigneeHolding):
        lot.report_use(consignee="HOSP-001", quantity=1, occurred_at=at(5))


def test_sales_reports_move_units_from_the_distributor_to_its_customer() -> None:
    lot = new_lot()
    delivered(lot, 5, "DIST-001")

    lot.report_sales(
        seller="DIST-001", buyer="SUBD-002", quantity=3, reference="DS-9", occurred_at=at(6)
    )
    lot.report_sales(seller="SUBD-002", buyer="HOSP-003", quantity=2, occurred_at=at(7))

    first, second = recorded(lot)
    assert isinstance(first, ev.SalesReported) and first.reference == "DS-9"
    assert second.reference is None
    assert lot.consignees == {"DIST-001": 2, "SUBD-002": 1, "HOSP-003": 2}
    with pytest.raises(InvalidValue):
        lot.report_sales(seller="DIST-001", buyer="DIST-001", quantity=1, occurred_at=at(7))
    with pytest.raises(ExceedsConsigneeHolding):
        lot.report_sales(seller="DIST-001", buyer="HOSP-003", quantity=3, occurred_at=at(7))


# Counts, quarantine, holds, scrapping, temperature


def test_adjustments_change_a_balance_up_or_down_but_not_below_zero() -> None:
    lot = new_lot(accepted=5)
    lot.adjust(location="WH-SH-01", change=2, reason="found in aisle 3", occurred_at=at())
    lot.adjust(location="WH-SH-01", change=-7, reason="count", occurred_at=at())

    gain, loss = recorded(lot)
    assert isinstance(gain, ev.StockAdjusted) and (gain.change, loss.change) == (2, -7)
    assert (lot.stock.total(), lot.adjusted) == (0, -5)
    with pytest.raises(InsufficientStock):
        lot.adjust(location="WH-SH-01", change=-1, reason="count", occurred_at=at())
    with pytest.raises(InvalidValue):
        lot.adjust(location="WH-SH-01", change=0, reason="count", occurred_at=at())


def test_quarantine_and_release_move_units_between_statuses() -> None:
    lot = new_lot(accepted=10)
    lot.quarantine(location="WH-SH-01", quantity=4, reason="dented", occurred_at=at())
    lot.release_quarantine(location="WH-SH-01", quantity=3, reason="inspected", occurred_at=at())

    quarantined, released = recorded(lot)
    assert isinstance(quarantined, ev.StockQuarantined)
    assert isinstance(released, ev.QuarantineReleased) and released.to_status is AVAILABLE
    assert lot.stock.balances() == {("WH-SH-01", AVAILABLE): 9, ("WH-SH-01", QUARANTINE): 1}
    with pytest.raises(InsufficientStock):
        lot.release_quarantine(location="WH-SH-01", quantity=2, reason="x", occurred_at=at())


def test_a_hold_freezes_available_units_until_the_last_hold_is_released() -> None:
    lot = new_lot(accepted=10, rejected=1)
    lot.put_away(from_location="WH-SH-01", to_location="WH-SH-02", quantity=4, occurred_at=at())
    lot.hold(hold="RC-1", reason="recall level II", occurred_at=at())
    lot.hold(hold="QA-7", reason="complaint review", occurred_at=at())
    lot.release_hold(hold="RC-1", occurred_at=at(1))
    assert lot.stock.total(HOLD) == 10
    lot.release_hold(hold="QA-7", occurred_at=at(2))

    events = recorded(lot)[1:]
    assert [type(e).__name__ for e in events] == [
        "StockHeld",
        "StockHeld",
        "HoldReleased",
        "HoldReleased",
    ]
    assert events[0].quantities == {"WH-SH-01": 6, "WH-SH-02": 4}
    assert events[1].quantities == {}
    assert events[2].quantities == {}
    assert events[3].quantities == {"WH-SH-01": 6, "WH-SH-02": 4}
    assert lot.stock.balances() == {
        ("WH-SH-01", AVAILABLE): 6,
        ("WH-SH-02", AVAILABLE): 4,
        ("WH-SH-01", QUARANTINE): 1,
    }
    with pytest.raises(NoSuchHold):
        lot.release_hold(hold="QA-7", occurred_at=at(3))
    with pytest.raises(ReferenceAlreadyUsed):
        lot.hold(hold="RC-1", reason="again", occurred_at=at(3))


def test_units_arriving_while_a_hold_is_open_are_held() -> None:
    lot = new_lot(accepted=10)
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=2,
        occurred_at=at(),
    )
    lot.quarantine(location="WH-SH-01", quantity=1, reason="dented", occurred_at=at())
    lot.hold(hold="RC-1", reason="recall", occurred_at=at())
    lot.receive(
        supplier="S", purchase_order="PO-2", location="WH-SH-01", accepted=3, occurred_at=at()
    )
    lot.receive_transfer(transfer="TR-1", location="WH-BJ-01", quantity=2, occurred_at=at())
    lot.release_quarantine(location="WH-SH-01", quantity=1, reason="ok", occurred_at=at())

    assert lot.stock.locations(HOLD) == {"WH-SH-01": 11, "WH-BJ-01": 2}
    assert lot.stock.total(AVAILABLE) == 0
    with pytest.raises(LotOnHold):
        lot.dispatch_transfer(
            transfer="TR-2",
            from_location="WH-SH-01",
            to_location="WH-BJ-01",
            quantity=1,
            occurred_at=at(),
        )


def test_scrapping_destroys_quarantined_or_available_units_only() -> None:
    lot = new_lot(accepted=10, rejected=2)
    lot.scrap(location="WH-SH-01", quantity=2, reason="failed inspection", occurred_at=at())
    lot.scrap(location="WH-SH-01", quantity=1, status=AVAILABLE, reason="dropped", occurred_at=at())

    first, second = recorded(lot)
    assert isinstance(first, ev.StockScrapped) and first.status is QUARANTINE
    assert second.status is AVAILABLE
    assert (lot.scrapped, lot.stock.total()) == (3, 9)
    with pytest.raises(InsufficientStock):
        lot.scrap(location="WH-SH-01", quantity=1, reason="x", occurred_at=at())
    lot.hold(hold="RC-1", reason="recall", occurred_at=at())
    with pytest.raises(InvalidValue):
        lot.scrap(location="WH-SH-01", quantity=1, status=HOLD, reason="x", occurred_at=at())


def test_a_reading_within_the_storage_range_is_only_recorded() -> None:
    lot = new_lot()

    lot.record_temperature(
        celsius=Decimal("8.0"), storage=COLD, location="WH-SH-01", occurred_at=at()
    )

    [reading] = recorded(lot)
    assert isinstance(reading, ev.TemperatureRecorded)
    assert (reading.celsius, reading.location, reading.shipment) == (
        Decimal("8.0"),
        "WH-SH-01",
        None,
    )


def test_an_excursion_at_a_location_quarantines_its_available_units() -> None:
    lot = new_lot(accepted=10)
    lot.put_away(from_location="WH-SH-01", to_location="WH-SH-02", quantity=4, occurred_at=at())
    lot.collect_events()

    lot.record_temperature(
        celsius=Decimal("1.5"), storage=COLD, location="WH-SH-02", occurred_at=at()
    )

    reading, excursion = recorded(lot)
    assert isinstance(reading, ev.TemperatureRecorded)
    assert isinstance(excursion, ev.TemperatureExcursionRecorded)
    assert (excursion.min_celsius, excursion.max_celsius, excursion.quarantined) == (2, 8, 4)
    assert lot.stock.balances() == {("WH-SH-01", AVAILABLE): 6, ("WH-SH-02", QUARANTINE): 4}


def test_an_excursion_on_a_transfer_quarantines_its_units_on_arrival() -> None:
    lot = new_lot()
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=3,
        occurred_at=at(),
    )
    lot.record_temperature(celsius=Decimal("14"), storage=COLD, shipment="TR-1", occurred_at=at(1))
    lot.receive_transfer(transfer="TR-1", location="WH-BJ-01", quantity=3, occurred_at=at(2))

    assert recorded(lot)[-1].status is QUARANTINE
    assert lot.stock.quantity("WH-BJ-01", QUARANTINE) == 3


def test_a_reading_names_either_a_location_or_a_movement_in_transit() -> None:
    lot = new_lot()
    reading: dict[str, Any] = {"celsius": Decimal("5"), "storage": COLD, "occurred_at": at()}
    with pytest.raises(InvalidValue):
        lot.record_temperature(**reading)
    with pytest.raises(InvalidValue):
        lot.record_temperature(**reading, location="WH-SH-01", shipment="SH-1")
    with pytest.raises(NothingInTransit):
        lot.record_temperature(**reading, shipment="SH-1")
    with pytest.raises(InvalidValue):
        lot.record_temperature(**{**reading, "celsius": Decimal("NaN")}, location="WH-SH-01")


def test_replaying_a_lots_events_gives_the_same_state() -> None:
    lot = Lot.open(gtin=GTIN, lot_number="R1", expiry=date(2027, 1, 1))
    lot.receive(
        supplier="S",
        purchase_order="PO",
        location="WH-SH-01",
        accepted=30,
        rejected=2,
        occurred_at=at(),
    )
    lot.dispatch_transfer(
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=5,
        occurred_at=at(),
    )
    lot.receive_transfer(transfer="TR-1", location="WH-BJ-01", quantity=4, occurred_at=at())
    shipped(lot, 6)
    lot.confirm_delivery(shipment="SH-1", consignee="DIST-001", occurred_at=at(2))
    lot.report_sales(seller="DIST-001", buyer="HOSP-001", quantity=4, occurred_at=at(8))
    lot.hold(hold="RC-1", reason="recall", occurred_at=at(9))

    replayed: Lot | None = None
    for event in lot.collect_events():
        replayed = event.mutate(replayed)

    assert replayed is not None and replayed.version == lot.version
    for name in ("stock", "in_transit", "consignees", "holds", "closed_references"):
        mine, theirs = getattr(lot, name), getattr(replayed, name)
        assert (mine.balances() if name == "stock" else mine) == (
            theirs.balances() if name == "stock" else theirs
        )
    assert (replayed.received, replayed.lost) == (32, 1)
