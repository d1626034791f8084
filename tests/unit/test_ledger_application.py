"""The ``Ledger`` application's use cases, on the library's in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from ledger.application.ledger import Ledger
from ledger.domain.errors import AlreadyRegistered, InvalidGtin, InvalidValue
from ledger.domain.party import PartyRegistered
from ledger.domain.product import Product, ProductRegistered
from ledger.domain.values import Gtin, PartyRole, RiskClass, party_id, product_id


@pytest.fixture
def app() -> Iterator[Ledger]:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield ledger
    ledger.close()


STENT = product_id(Gtin.parse("4006381333931"))


def register_stent(app: Ledger, gtin: str = "4006381333931") -> None:
    app.master_data.register_product(
        gtin=gtin,
        name="Coronary stent system",
        registration_certificate="NMPA-2026-3-0001",
        risk_class=RiskClass.III,
        unit_of_use="each",
        storage_min_celsius=Decimal("2.50"),
        storage_max_celsius=Decimal("8"),
        serialised=True,
    )


def recorded_count(app: Ledger) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_registered_product_is_found_under_the_id_derived_from_its_gtin(app: Ledger) -> None:
    register_stent(app)

    assert app.repository.get(product_id(Gtin.parse("04006381333931"))).gtin == "04006381333931"


def test_registering_a_product_stores_one_product_registered_event(app: Ledger) -> None:
    register_stent(app)

    events = list(app.events.get(STENT))

    assert [type(event) for event in events] == [ProductRegistered]
    assert events[0].gtin == "04006381333931"
    assert events[0].risk_class is RiskClass.III
    assert str(events[0].storage_min_celsius) == "2.50"
    stored = app.recorder.select_notifications(start=1, limit=10)
    assert [n.topic for n in stored] == ["ledger.domain.product:ProductRegistered"]


def test_a_registered_product_is_read_back_from_the_repository(app: Ledger) -> None:
    register_stent(app)

    product = app.repository.get(STENT)

    assert product.name == "Coronary stent system"
    assert product.serialised is True
    assert product.storage_max_celsius == Decimal("8")


def test_registering_the_same_gtin_twice_raises_already_registered_and_stores_nothing(
    app: Ledger,
) -> None:
    register_stent(app)

    with pytest.raises(AlreadyRegistered) as caught:
        register_stent(app)

    assert (caught.value.kind, caught.value.key) == ("product", "04006381333931")
    assert recorded_count(app) == 1


def test_a_gtin_13_and_its_gtin_14_form_are_the_same_product(app: Ledger) -> None:
    register_stent(app, "4006381333931")

    with pytest.raises(AlreadyRegistered):
        register_stent(app, "04006381333931")

    assert recorded_count(app) == 1


def test_an_invalid_gtin_is_rejected_before_anything_is_stored(app: Ledger) -> None:
    with pytest.raises(InvalidGtin):
        register_stent(app, "4006381333932")

    assert recorded_count(app) == 0


def test_registering_a_party_stores_its_event_under_the_id_of_its_code(app: Ledger) -> None:
    app.master_data.register_party(
        code="HOSP-001",
        name="Central China Hospital No. 1",
        role=PartyRole.HOSPITAL,
        region="Central China",
        recall_contact="recall@hosp001.example.cn",
    )

    [event] = list(app.events.get(party_id("HOSP-001")))
    assert type(event) is PartyRegistered
    assert event.role is PartyRole.HOSPITAL
    assert event.grade is None


def test_registering_the_same_party_code_twice_raises_already_registered(app: Ledger) -> None:
    facts = {
        "name": "Orion Cardiovascular Ltd.",
        "role": PartyRole.MANUFACTURER,
        "region": "East China",
        "recall_contact": "qa@orion.example.cn",
    }
    app.master_data.register_party(code="MFR-ORION", **facts)

    with pytest.raises(AlreadyRegistered) as caught:
        app.master_data.register_party(code=" MFR-ORION ", **facts)

    assert (caught.value.kind, caught.value.key) == ("party", "MFR-ORION")
    assert str(caught.value) == "party MFR-ORION is already registered"
    assert recorded_count(app) == 1


def test_a_party_breaking_a_rule_is_rejected_before_anything_is_stored(app: Ledger) -> None:
    with pytest.raises(InvalidValue) as caught:
        app.master_data.register_party(
            code="DIST-009",
            name="North China Medical Supply No. 9",
            role=PartyRole.DISTRIBUTOR,
            region="North China",
            recall_contact="recall@dist009.example.cn",
        )

    assert caught.value.field == "grade"
    assert recorded_count(app) == 0


def test_saving_several_aggregates_stores_their_events_in_one_ordered_batch(
    app: Ledger,
) -> None:
    products = [
        Product.register(
            gtin=Gtin.parse(gtin),
            name=f"Product {gtin}",
            registration_certificate="NMPA-2026-2-0002",
            risk_class=RiskClass.II,
            unit_of_use="box",
        )
        for gtin in ("96385074", "036000291452", "9501101530003")
    ]

    recordings = app.save(*products, None)

    assert [r.notification.id for r in recordings] == [1, 2, 3]
    assert [r.domain_event.originator_id for r in recordings] == [p.id for p in products]
    assert all(not p.collect_events() for p in products)
