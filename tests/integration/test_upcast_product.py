"""An event type that evolved: ``ProductRegistered`` version 2 added ``issuing_agency``.

Events stored as version 1 keep their bytes (and so their place in the chain); they are
upcast when read, by the aggregate, the read models and anyone replaying.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from conftest import valid_gtin
from ledger.application.ledger import Ledger
from ledger.domain.errors import InvalidValue
from ledger.domain.product import Product, ProductRegistered
from ledger.domain.values import Gtin, RiskClass, product_id
from ledger.store.database import Database
from ledger.store.verify import verify_chain

TOPIC = "ledger.domain.product:ProductRegistered"


def version_1_state(ledger: Ledger, gtin: str) -> bytes:
    """A registration as version 1 stored it: no ``issuing_agency``, no ``class_version``."""
    product = Product.register(
        gtin=Gtin(gtin),
        name="Hemodialysis blood line set",
        registration_certificate="NMPA-2019-30001",
        risk_class=RiskClass.III,
        unit_of_use="set",
        storage_min_celsius=Decimal("0"),
        storage_max_celsius=Decimal("30"),
    )
    stored = ledger.mapper.to_stored_event(product.collect_events()[0])
    state = orjson.loads(stored.state)
    assert state.pop("class_version") == 2 and state.pop("issuing_agency") == "GS1"
    return orjson.dumps(state)


def test_a_stored_version_1_registration_is_read_as_a_gs1_product_and_the_chain_holds(
    database: Database, ledger: Ledger
) -> None:
    gtin = valid_gtin(501)
    old = version_1_state(ledger, gtin)
    with database.connect(autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
            " VALUES (%s, 1, %s, %s)",
            (product_id(Gtin(gtin)), TOPIC, old),
        )
    ledger.master_data.register_product(
        gtin=valid_gtin(502),
        name="Coronary stent system",
        registration_certificate="NMPA-2026-30002",
        risk_class=RiskClass.III,
        unit_of_use="each",
    )

    product = ledger.repository.get(product_id(Gtin(gtin)))
    events = list(ledger.events.get(product_id(Gtin(gtin))))
    with database.connect() as conn:
        rows = conn.execute("SELECT state FROM ledger_events ORDER BY notification_id").fetchall()

    assert isinstance(product, Product)
    assert product.issuing_agency == "GS1" and product.name == "Hemodialysis blood line set"
    assert isinstance(events[0], ProductRegistered) and events[0].issuing_agency == "GS1"
    assert bytes(rows[0][0]) == old  # the old bytes stay as they were chained
    assert orjson.loads(rows[1][0])["class_version"] == 2
    assert verify_chain(database).ok


def test_a_version_2_registration_keeps_its_issuing_agency() -> None:
    product = Product.register(
        gtin=Gtin(valid_gtin(503)),
        name="IVD reagent kit",
        registration_certificate="NMPA-2026-20003",
        risk_class=RiskClass.II,
        unit_of_use="kit",
        issuing_agency="MA",
    )
    event = product.collect_events()[0]

    assert isinstance(event, ProductRegistered) and event.issuing_agency == "MA"
    assert product.issuing_agency == "MA"
    with pytest.raises(InvalidValue, match="issuing_agency"):
        Product.register(
            gtin=Gtin(valid_gtin(504)),
            name="Gloves",
            registration_certificate="NMPA-2026-10004",
            risk_class=RiskClass.I,
            unit_of_use="box",
            issuing_agency="HIBC",
        )


def test_the_upcaster_adds_only_the_new_field() -> None:
    state = {"gtin": "x", "name": "y"}

    ProductRegistered.upcast_v1_v2(state)

    assert state == {"gtin": "x", "name": "y", "issuing_agency": "GS1"}
    assert ProductRegistered.class_version == 2
