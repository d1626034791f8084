"""The ``Ledger``'s stock use cases, on the library's in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.application.ledger import Ledger
from ledger.application.lots import MOVEMENT_RETRIES
from ledger.domain.errors import (
    ConcurrentUpdate,
    InvalidGtin,
    InvalidUdi,
    InvalidValue,
    UnknownParty,
    UnknownProduct,
)
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import InsufficientStock, LotExpired, LotFactsConflict, UnknownLot
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import Gtin, PartyRole, RiskClass, ShipmentLine, StockStatus, lot_id

STENT, KIT = "09506000134352", "04006381333931"
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def at(days: float = 0) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def app() -> Iterator[Ledger]:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    for gtin, low, high in ((STENT, None, None), (KIT, Decimal("2"), Decimal("8"))):
        ledger.master_data.register_product(
            gtin=gtin,
            name=f"Device {gtin}",
            registration_certificate="NMPA-2026-2-0001",
            risk_class=RiskClass.II,
            unit_of_use="each",
            storage_min_celsius=low,
            storage_max_celsius=high,
        )
    for code, role, grade in (
        ("MFR-ORION", PartyRole.MANUFACTURER, None),
        ("DIST-001", PartyRole.DISTRIBUTOR, "A"),
        ("HOSP-001", PartyRole.HOSPITAL, None),
    ):
        ledger.master_data.register_party(
            code=code,
            name=code,
            role=role,
            region="East China",
            recall_contact="r@x.cn",
            grade=grade,
        )
    yield ledger
    ledger.close()


def receive(app: Ledger, gtin: str = STENT, lot_number: str = "A1", **changes: Any) -> Any:
    args: dict[str, Any] = {
        "gtin": gtin,
        "lot_number": lot_number,
        "supplier": "MFR-ORION",
        "purchase_order": "PO-1",
        "location": "WH-SH-01",
        "accepted": 20,
        "expiry": date(2027, 12, 31),
        "occurred_at": at(),
    }
    args.update(changes)
    named = LotRef(args.pop("gtin"), args.pop("lot_number"), args.pop("udi", None))
    return app.lots.receive(lot=named, **args)


def lot(app: Ledger, gtin: str = STENT, number: str = "A1") -> Lot:
    found: Lot = app.repository.get(lot_id(Gtin.parse(gtin), number))
    return found


def stored(app: Ledger) -> int:
    return app.recorder.max_notification_id() or 0


def test_the_first_receipt_opens_the_lot_and_answers_with_its_events(app: Ledger) -> None:
    before = stored(app)

    answer = receive(app, accepted=18, rejected=2)

    assert answer.outcome == {
        "lot_id": str(lot_id(Gtin.parse(STENT), "A1")),
        "gtin": STENT,
        "lot_number": "A1",
        "events": ["LotOpened", "LotReceived"],
        "accepted": 18,
        "rejected": 2,
    }
    assert answer.positions == (before + 1, before + 2)
    assert lot(app).stock.balances() == {
        ("WH-SH-01", StockStatus.AVAILABLE): 18,
        ("WH-SH-01", StockStatus.QUARANTINE): 2,
    }
    assert receive(app).outcome["events"] == ["LotReceived"]


def test_a_receipt_by_udi_stores_the_dates_read_from_the_label(app: Ledger) -> None:
    receive(
        app,
        gtin=None,
        lot_number=None,
        expiry=None,
        udi=f"]d201{STENT}11250600" + "17271200" + "10A1\x1d21SN-9",
        accepted=1,
    )

    found = lot(app)
    assert (found.expiry, found.manufactured_on) == (date(2027, 12, 31), date(2025, 6, 30))
    assert found.serials == {"SN-9"}


def test_a_label_whose_expiry_differs_from_the_recorded_one_is_refused(app: Ledger) -> None:
    receive(app)
    before = stored(app)

    with pytest.raises(LotFactsConflict):
        app.lots.quarantine(
            lot=LotRef(udi=f"(01){STENT}(17)271130(10)A1"),
            location="WH-SH-01",
            quantity=1,
            reason="x",
            occurred_at=at(),
        )
    with pytest.raises(InvalidValue):
        receive(app, gtin=None, lot_number=None, udi=f"(01){STENT}(17)271130(10)A1")

    assert stored(app) == before


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"gtin": KIT[:-1] + "2"}, InvalidGtin),
        ({"gtin": "09506000134369"}, UnknownProduct),
        ({"supplier": "MFR-NOBODY"}, UnknownParty),
        ({"occurred_at": datetime(2026, 3, 2)}, InvalidValue),
        ({"udi": f"(01){STENT}(10)A1"}, InvalidValue),
        ({"gtin": None, "lot_number": None, "udi": "(01)09506000134353(10)A1"}, InvalidUdi),
        ({"lot_number": None}, InvalidValue),
        ({"expiry": date(2026, 3, 1)}, LotExpired),
    ],
)
def test_a_receipt_breaking_a_rule_stores_nothing(
    app: Ledger, changes: dict[str, Any], error: type[Exception]
) -> None:
    before = stored(app)

    with pytest.raises(error):
        receive(app, **changes)

    assert stored(app) == before


def test_moving_an_unknown_lot_of_a_known_product_raises_unknown_lot(app: Ledger) -> None:
    with pytest.raises(UnknownLot) as caught:
        app.lots.quarantine(
            lot=LotRef(STENT, "ZZ"), location="WH-SH-01", quantity=1, reason="x", occurred_at=at()
        )

    assert caught.value.lot == f"(01){STENT}(10)ZZ"
    with pytest.raises(UnknownProduct):
        app.lots.quarantine(
            lot=LotRef("09506000134369", "ZZ"),
            location="WH-SH-01",
            quantity=1,
            reason="x",
            occurred_at=at(),
        )


def test_a_shipment_of_several_lots_saves_them_together(app: Ledger) -> None:
    receive(app, STENT, "A1")
    receive(app, KIT, "K7", location="WH-SH-02")
    app.lots.put_away(
        lot=LotRef(STENT, "A1"),
        from_location="WH-SH-01",
        to_location="WH-SH-03",
        quantity=5,
        occurred_at=at(),
    )
    before = stored(app)

    answer = app.channel.ship(
        shipment="SH-1",
        consignee="DIST-001",
        order="SO-1",
        lines=[
            ShipmentLine(STENT, "A1", 3, "WH-SH-01"),
            ShipmentLine(KIT, "K7", 4, "WH-SH-02"),
            ShipmentLine(STENT, "A1", 5, "WH-SH-03"),
        ],
        occurred_at=at(1),
    )

    assert answer.positions == (before + 1, before + 2)
    assert [line["lot_number"] for line in answer.outcome["lots"]] == ["A1", "K7"]
    assert lot(app).in_transit_quantity() == 8
    assert lot(app, KIT, "K7").in_transit_quantity() == 4
    delivered = app.channel.confirm_delivery(
        shipment="SH-1", consignee="DIST-001", lots=[(STENT, "A1"), (KIT, "K7")], occurred_at=at(3)
    )
    assert len(delivered.positions) == 2
    assert lot(app).consignees == {"DIST-001": 8}


@pytest.mark.parametrize(
    ("bad_line", "error"),
    [
        (ShipmentLine(KIT, "K7", 21, "WH-SH-01"), InsufficientStock),
        (ShipmentLine(KIT, "NOPE", 1, "WH-SH-01"), UnknownLot),
        (ShipmentLine(KIT, "K7", 0, "WH-SH-01"), InvalidValue),
    ],
)
def test_a_shipment_with_one_bad_line_ships_nothing(
    app: Ledger, bad_line: ShipmentLine, error: type[Exception]
) -> None:
    receive(app, STENT, "A1")
    receive(app, KIT, "K7")
    before = stored(app)

    with pytest.raises(error):
        app.channel.ship(
            shipment="SH-1",
            consignee="DIST-001",
            lines=[ShipmentLine(STENT, "A1", 3, "WH-SH-01"), bad_line],
            occurred_at=at(1),
        )

    assert stored(app) == before
    assert lot(app).stock.total() == 20


def test_shipments_name_a_registered_consignee_and_at_least_one_line(app: Ledger) -> None:
    receive(app)
    with pytest.raises(UnknownParty):
        app.channel.ship(
            shipment="S",
            consignee="HOSP-999",
            lines=[ShipmentLine(STENT, "A1", 1, "WH-SH-01")],
            occurred_at=at(),
        )
    with pytest.raises(InvalidValue):
        app.channel.ship(shipment="S", consignee="HOSP-001", lines=[], occurred_at=at())


def test_the_channel_use_cases_follow_units_to_the_hospital(app: Ledger) -> None:
    receive(app)
    app.channel.ship(
        shipment="SH-1",
        consignee="DIST-001",
        lines=[ShipmentLine(STENT, "A1", 6, "WH-SH-01")],
        occurred_at=at(1),
    )
    app.channel.confirm_delivery(
        shipment="SH-1", consignee="DIST-001", lots=[(STENT, "A1")], occurred_at=at(2)
    )
    app.channel.report_sales(
        lot=LotRef(STENT, "A1"), seller="DIST-001", buyer="HOSP-001", quantity=4, occurred_at=at(5)
    )
    app.channel.report_use(
        lot=LotRef(STENT, "A1"), consignee="HOSP-001", quantity=1, occurred_at=at(6)
    )
    answer = app.channel.receive_return(
        lot=LotRef(STENT, "A1"),
        consignee="HOSP-001",
        location="WH-SH-09",
        quantity=1,
        reason="damaged",
        occurred_at=at(7),
    )

    assert answer.outcome["events"] == ["ReturnReceived"]
    found = lot(app)
    assert found.consignees == {"DIST-001": 2, "HOSP-001": 2}
    assert (found.used, found.stock.quantity("WH-SH-09", StockStatus.QUARANTINE)) == (1, 1)
    with pytest.raises(UnknownParty):
        app.channel.report_sales(
            lot=LotRef(STENT, "A1"),
            seller="DIST-001",
            buyer="HOSP-404",
            quantity=1,
            occurred_at=at(8),
        )


def test_status_use_cases_change_the_lots_balances(app: Ledger) -> None:
    receive(app, accepted=20, rejected=2)
    name = LotRef(STENT, "A1")
    app.lots.quarantine(
        lot=name, location="WH-SH-01", quantity=5, reason="wet cartons", occurred_at=at()
    )
    app.lots.release_quarantine(
        lot=name, location="WH-SH-01", quantity=2, reason="dry", occurred_at=at()
    )
    app.lots.scrap(
        lot=name, location="WH-SH-01", quantity=3, reason="failed inspection", occurred_at=at()
    )
    app.lots.adjust_stock(
        lot=name, location="WH-SH-01", change=-1, reason="count", occurred_at=at()
    )
    app.lots.hold(lot=name, hold="RC-1", reason="recall", occurred_at=at())
    held = lot(app).stock.total(StockStatus.HOLD)
    app.lots.release_hold(lot=name, hold="RC-1", occurred_at=at(1))
    app.lots.dispatch_transfer(
        lot=name,
        transfer="TR-1",
        from_location="WH-SH-01",
        to_location="WH-BJ-01",
        quantity=4,
        occurred_at=at(1),
    )
    app.lots.receive_transfer(
        lot=name, transfer="TR-1", location="WH-BJ-01", quantity=3, occurred_at=at(2)
    )

    found = lot(app)
    assert held == 16
    assert found.stock.balances() == {
        ("WH-SH-01", StockStatus.AVAILABLE): 12,
        ("WH-SH-01", StockStatus.QUARANTINE): 2,
        ("WH-BJ-01", StockStatus.AVAILABLE): 3,
    }
    assert (found.scrapped, found.adjusted, found.lost) == (3, -1, 1)


def test_a_reading_is_judged_against_the_products_storage_range(app: Ledger) -> None:
    receive(app, KIT, "K7")
    name = LotRef(KIT, "K7")
    inside = app.lots.record_temperature(
        lot=name, location="WH-SH-01", celsius=Decimal("7.9"), occurred_at=at()
    )
    outside = app.lots.record_temperature(
        lot=name, location="WH-SH-01", celsius=Decimal("8.1"), occurred_at=at()
    )

    assert inside.outcome["events"] == ["TemperatureRecorded"]
    assert outside.outcome["events"] == ["TemperatureRecorded", "TemperatureExcursionRecorded"]
    assert lot(app, KIT, "K7").stock.total(StockStatus.QUARANTINE) == 20


def test_a_product_without_a_storage_range_has_no_excursions(app: Ledger) -> None:
    receive(app)

    answer = app.lots.record_temperature(
        lot=LotRef(STENT, "A1"), location="WH-SH-01", celsius=Decimal("60"), occurred_at=at()
    )

    assert answer.outcome["events"] == ["TemperatureRecorded"]


def test_pick_suggestions_take_the_soonest_expiry_first(app: Ledger) -> None:
    for number, expiry, location in (
        ("L-LATE", date(2028, 1, 31), "WH-SH-01"),
        ("L-SOON", date(2026, 9, 30), "WH-SH-02"),
        ("L-GONE", date(2026, 3, 1), "WH-SH-01"),
        ("L-HELD", date(2026, 6, 30), "WH-SH-01"),
        ("L-AWAY", date(2026, 5, 31), "WH-BJ-01"),
    ):
        receive(
            app,
            lot_number=number,
            expiry=expiry,
            location=location,
            occurred_at=at(-30),
            accepted=10,
        )
    app.lots.hold(lot=LotRef(STENT, "L-HELD"), hold="RC-1", reason="recall", occurred_at=at())
    ids = [lot_id(Gtin.parse(STENT), n) for n in ("L-LATE", "L-SOON", "L-GONE", "L-HELD", "L-AWAY")]

    suggestion = app.lots.suggest_picks(
        gtin=STENT, quantity=14, location="WH-SH", lot_ids=ids, on=at().date()
    )

    assert [(p.lot_number, p.location, p.quantity) for p in suggestion.picks] == [
        ("L-SOON", "WH-SH-02", 10),
        ("L-LATE", "WH-SH-01", 4),
    ]
    assert suggestion.shortfall == 0
    short = app.lots.suggest_picks(
        gtin=STENT, quantity=30, location="WH-SH-01", lot_ids=ids, on=at().date()
    )
    assert (short.picked, short.shortfall) == (10, 20)
    with pytest.raises(UnknownLot):
        app.lots.suggest_picks(
            gtin=STENT,
            quantity=1,
            location="WH-SH",
            lot_ids=[lot_id(Gtin.parse(KIT), "X")],
            on=at().date(),
        )


def test_pick_suggestions_refuse_lots_of_another_product(app: Ledger) -> None:
    receive(app, KIT, "K7")

    with pytest.raises(InvalidValue):
        app.lots.suggest_picks(
            gtin=STENT,
            quantity=1,
            location="WH-SH",
            lot_ids=[lot_id(Gtin.parse(KIT), "K7")],
            on=at().date(),
        )


class RacingLedger(Ledger):
    """Another writer moves the lot between this ledger's decision and its save."""

    races = 1

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if self.races and any(isinstance(obj, Lot) for obj in objs):
            self.races -= 1
            rival: Lot = self.repository.get(objs[0].id)
            rival.adjust(location="WH-SH-01", change=1, reason="rival count", occurred_at=at())
            super().save(rival)
        return super().save(*objs, **kwargs)


def test_a_movement_that_loses_a_race_is_decided_again_on_fresh_state() -> None:
    app = RacingLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.master_data.register_product(
        gtin=STENT,
        name="Stent",
        registration_certificate="C",
        risk_class=RiskClass.III,
        unit_of_use="each",
    )
    app.master_data.register_party(
        code="MFR-ORION",
        name="Orion",
        role=PartyRole.MANUFACTURER,
        region="E",
        recall_contact="r@x.cn",
    )
    app.races = 0
    receive(app)
    app.races = 1

    app.lots.quarantine(
        lot=LotRef(STENT, "A1"), location="WH-SH-01", quantity=20, reason="x", occurred_at=at()
    )

    found = lot(app)
    assert found.stock.quantity("WH-SH-01", StockStatus.QUARANTINE) == 20
    assert found.available("WH-SH-01") == 1  # the rival's count was seen on the second try
    assert found.version == 4  # opened, received, rival's count, quarantine


def test_a_movement_that_keeps_losing_raises_concurrent_update_and_saves_nothing() -> None:
    app = RacingLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.master_data.register_product(
        gtin=STENT,
        name="Stent",
        registration_certificate="C",
        risk_class=RiskClass.III,
        unit_of_use="each",
    )
    app.master_data.register_party(
        code="MFR-ORION",
        name="Orion",
        role=PartyRole.MANUFACTURER,
        region="E",
        recall_contact="r@x.cn",
    )
    app.races = 0
    receive(app)
    app.races = MOVEMENT_RETRIES + 1

    with pytest.raises(ConcurrentUpdate) as caught:
        app.lots.quarantine(
            lot=LotRef(STENT, "A1"), location="WH-SH-01", quantity=1, reason="x", occurred_at=at()
        )

    assert (caught.value.command, caught.value.attempts) == ("quarantine", MOVEMENT_RETRIES + 1)
    assert lot(app).stock.total(StockStatus.QUARANTINE) == 0
    assert lot(app).adjusted == MOVEMENT_RETRIES + 1


def test_registrations_still_report_a_duplicate_rather_than_retrying(app: Ledger) -> None:
    calls: list[int] = []
    original = app.save

    def save(*objs: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*objs, **kwargs)

    app.save = save  # type: ignore[method-assign]
    with pytest.raises(Exception) as caught:
        app.master_data.register_party(
            code="DIST-001", name="x", role=PartyRole.HOSPITAL, region="E", recall_contact="r"
        )

    assert type(caught.value).__name__ == "AlreadyRegistered"
    assert not isinstance(caught.value, IntegrityError)
    assert calls == [1]
