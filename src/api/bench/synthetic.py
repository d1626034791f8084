"""What benchmarks write: products with valid, distinct GTINs and realistic master data, and
lots with realistic histories."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from api.bench.frame import Progress, unwatched
from ledger.application.ledger import Ledger
from ledger.domain.lot.aggregate import Lot
from ledger.domain.product import Product
from ledger.domain.values import Gtin, RiskClass, gs1_check_digit

_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_WAREHOUSES = ("WH-SH", "WH-BJ", "WH-GZ")


def complete_gtin(body: str) -> str:
    """The GTIN-14 made of its first 13 digits, ``body``, and their check digit."""
    return body + str(gs1_check_digit(body))


def synthetic_product_facts(start: int, count: int) -> list[dict[str, Any]]:
    """Facts of products with valid, distinct GTINs and realistic master data."""
    facts = []
    for number in range(start, start + count):
        facts.append(
            {
                "gtin": Gtin.parse(complete_gtin(f"069{number:010d}")),
                "name": f"Sterile single-use infusion set, model {number}",
                "registration_certificate": f"NMPA-REG-2026-3{number % 100000:05d}",
                "risk_class": RiskClass.II,
                "unit_of_use": "each",
                "storage_min_celsius": Decimal("2.0"),
                "storage_max_celsius": Decimal("8.0"),
            }
        )
    return facts


def synthetic_products(start: int, count: int) -> Iterator[Product]:
    """Registered products (decided and recorded by the domain) from synthetic facts."""
    for facts in synthetic_product_facts(start, count):
        yield Product.register(**facts)


def register_product(
    ledger: Ledger, body: str, *, name: str, certificate: str, risk_class: RiskClass
) -> str:
    """Register the one product a benchmark's lots are of; its GTIN (``body`` and the check
    digit)."""
    registered = complete_gtin(body)
    ledger.master_data.register_product(
        gtin=registered,
        name=name,
        registration_certificate=certificate,
        risk_class=risk_class,
        unit_of_use="each",
    )
    return registered


def synthetic_lot(number: int) -> Lot:
    """A lot with a realistic history of 20 events: receipt, put-away, a transfer, six
    shipments delivered to distributors and hospitals, sales reports and uses."""
    body = f"0695{number % 1000:09d}"
    lot = Lot.open(gtin=Gtin.parse(complete_gtin(body)), lot_number=f"L{number:07d}",
                   expiry=_START.date() + timedelta(400))  # fmt: skip
    home = _WAREHOUSES[number % 3]
    away = _WAREHOUSES[(number + 1) % 3]
    at = _START + timedelta(minutes=number)
    lot.receive(supplier="MFR-HUAXIN", purchase_order=f"PO-{number}", location=f"{home}-DOCK",
                accepted=600, occurred_at=at)  # fmt: skip
    lot.put_away(from_location=f"{home}-DOCK", to_location=f"{home}-A1", quantity=600,
                 occurred_at=at + timedelta(hours=1))  # fmt: skip
    lot.dispatch_transfer(transfer=f"TR-{number}", from_location=f"{home}-A1",
                          to_location=f"{away}-A1", quantity=100,
                          occurred_at=at + timedelta(hours=2))  # fmt: skip
    lot.receive_transfer(transfer=f"TR-{number}", location=f"{away}-A1", quantity=100,
                         occurred_at=at + timedelta(days=1))  # fmt: skip
    for n in range(4):
        distributor, hospital = f"DIST-{(number + n) % 40:03d}", f"HOSP-{(number + n) % 300:03d}"
        day = at + timedelta(days=2 + n)
        lot.ship(shipment=f"SH-{number}-{n}", consignee=distributor,
                 picks={f"{home}-A1": 40}, occurred_at=day)  # fmt: skip
        lot.confirm_delivery(shipment=f"SH-{number}-{n}", consignee=distributor,
                             occurred_at=day + timedelta(hours=20))  # fmt: skip
        lot.report_sales(seller=distributor, buyer=hospital, quantity=10,
                         occurred_at=day + timedelta(days=3))  # fmt: skip
        lot.report_use(consignee=hospital, quantity=3, occurred_at=day + timedelta(days=5))
    return lot


def fill_lots(
    ledger: Ledger, *, events: int, lots_per_save: int = 50, progress: Progress = unwatched
) -> int:
    """Append about ``events`` lot events (20 per lot); return the number appended."""
    appended = 0
    number = 0
    while appended < events:
        lots = [synthetic_lot(number + i) for i in range(lots_per_save)]
        number += lots_per_save
        saved = len(ledger.save(*lots))
        appended += saved
        progress(saved)
    return appended
