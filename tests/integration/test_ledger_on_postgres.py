"""The Ledger application on PostgreSQL: what it saves is what it reads back."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from eventsourcing.persistence import IntegrityError

from conftest import positions, register_products, stored_rows
from ledger.application.ledger import Ledger
from ledger.domain.errors import AlreadyRegistered, InvalidGtin, InvalidValue
from ledger.domain.party import Party, PartyRegistered
from ledger.domain.product import Product, ProductRegistered
from ledger.domain.values import Gtin, PartyRole, RiskClass, party_id, product_id
from ledger.store.database import Database
from ledger.store.verify import verify_chain


def stent(gtin: str = "4006381333931") -> Product:
    return Product.register(
        gtin=Gtin.parse(gtin),
        name="Drug-eluting balloon catheter, model 310",
        registration_certificate="国械注准20263000001",
        risk_class=RiskClass.III,
        unit_of_use="each",
        storage_min_celsius=Decimal("-2.50"),
        storage_max_celsius=Decimal("25.0"),
        serialised=True,
        company_prefix_length=8,
    )


def register(ledger: Ledger, gtin: str) -> None:
    ledger.master_data.register_product(
        gtin=gtin,
        name="Single-use infusion set",
        registration_certificate="NMPA-2026-2-0007",
        risk_class=RiskClass.II,
        unit_of_use="each",
    )


def test_events_read_back_equal_the_events_saved(ledger: Ledger) -> None:
    product = stent()
    party = Party.register(
        code="SUBD-004",
        name="Southwest Medical Supply No. 4",
        role=PartyRole.SUB_DISTRIBUTOR,
        region="Southwest",
        grade="C",
        recall_contact="recall@subd004.example.cn",
    )
    saved = [*product.pending_events, *party.pending_events]

    ledger.save(product, party)

    read = [*ledger.events.get(product.id), *ledger.events.get(party.id)]
    assert read == saved
    [product_event, party_event] = read
    assert type(product_event) is ProductRegistered
    assert type(party_event) is PartyRegistered
    assert str(product_event.storage_min_celsius) == "-2.50"
    assert str(product_event.storage_max_celsius) == "25.0"
    assert product_event.risk_class is RiskClass.III
    assert product_event.registration_certificate == "国械注准20263000001"
    assert party_event.role is PartyRole.SUB_DISTRIBUTOR
    assert product_event.timestamp == saved[0].timestamp
    assert product_event.timestamp.utcoffset() is not None


def test_aggregates_are_rebuilt_from_postgresql_with_their_facts(ledger: Ledger) -> None:
    register(ledger, "96385074")
    ledger.master_data.register_party(
        code="HOSP-007",
        name="Northeast Hospital No. 7",
        role=PartyRole.HOSPITAL,
        region="Northeast",
        recall_contact="recall@hosp007.example.cn",
    )

    product = ledger.repository.get(product_id(Gtin.parse("96385074")))
    party = ledger.repository.get(party_id("HOSP-007"))

    assert (product.gtin, product.risk_class, product.storage_min_celsius) == (
        "00000096385074",
        RiskClass.II,
        None,
    )
    assert (party.code, party.role, party.grade) == ("HOSP-007", PartyRole.HOSPITAL, None)


def test_the_stored_payload_is_readable_json_with_the_librarys_tags(
    database: Database, ledger: Ledger
) -> None:
    ledger.save(stent())

    [row] = stored_rows(database)
    payload = json.loads(bytes(row[4]))
    assert row[3] == "ledger.domain.product:ProductRegistered"
    assert payload["gtin"] == "04006381333931"
    assert payload["risk_class"] == {"_type_": "enum_RiskClass", "_data_": "III"}
    assert payload["storage_min_celsius"] == {"_type_": "decimal_str", "_data_": "-2.50"}
    assert payload["timestamp"]["_type_"] == "datetime_iso"


def test_registering_a_product_twice_raises_already_registered_and_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    register(ledger, "4006381333931")
    before = stored_rows(database)

    with pytest.raises(AlreadyRegistered) as caught:
        register(ledger, "4006381333931")

    assert (caught.value.kind, caught.value.key) == ("product", "04006381333931")
    assert stored_rows(database) == before
    assert verify_chain(database).ok


def test_the_gtin_14_form_of_a_registered_gtin_13_is_already_registered(
    database: Database, ledger: Ledger
) -> None:
    register(ledger, "4006381333931")

    with pytest.raises(AlreadyRegistered):
        register(ledger, "04006381333931")

    assert len(stored_rows(database)) == 1


def test_registering_a_party_twice_raises_already_registered_and_appends_nothing(
    database: Database, ledger: Ledger
) -> None:
    facts = {
        "code": "MFR-HUAXIN",
        "name": "Huaxin Medical Devices Co., Ltd.",
        "role": PartyRole.MANUFACTURER,
        "region": "North China",
        "recall_contact": "qa@huaxin.example.cn",
    }
    ledger.master_data.register_party(**facts)

    with pytest.raises(AlreadyRegistered) as caught:
        ledger.master_data.register_party(**facts)

    assert caught.value.kind == "party"
    assert len(stored_rows(database)) == 1


def test_a_batch_with_one_duplicate_appends_none_of_its_events(
    database: Database, ledger: Ledger
) -> None:
    register(ledger, "9501101530003")

    with pytest.raises(IntegrityError):
        ledger.save(stent("036000291452"), stent("9501101530003"), stent("96385074"))

    assert len(stored_rows(database)) == 1
    assert verify_chain(database).ok


def test_commands_refused_by_the_domain_append_nothing(database: Database, ledger: Ledger) -> None:
    with pytest.raises(InvalidGtin):
        register(ledger, "4006381333932")
    with pytest.raises(InvalidValue):
        ledger.master_data.register_party(
            code="HOSP 1",
            name="Hospital",
            role=PartyRole.HOSPITAL,
            region="East China",
            recall_contact="recall@example.cn",
        )

    assert stored_rows(database) == []


def test_appending_after_a_refused_duplicate_continues_the_chain(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 2)
    with pytest.raises(AlreadyRegistered):
        register_products(ledger, 1)

    register_products(ledger, 2, start=50)

    assert len(positions(database)) == 4
    assert positions(database) == sorted(set(positions(database)))
    assert verify_chain(database).ok


def test_the_positions_a_save_returns_are_where_its_events_are_stored(
    database: Database, ledger: Ledger
) -> None:
    register_products(ledger, 2)
    single = ledger.save(stent("96385074"))
    batch = [stent(gtin) for gtin in ("036000291452", "9501101530003", "0614141999996")]
    recordings = ledger.save(*batch)

    stored = {row[0]: (row[1], row[2]) for row in stored_rows(database)}

    assert [r.notification.id for r in single] == [3]
    assert [r.notification.id for r in recordings] == [4, 5, 6]
    for recording in [*single, *recordings]:
        event = recording.domain_event
        assert stored[recording.notification.id] == (
            event.originator_id,
            event.originator_version,
        )
