"""Random sequences of movements through the ``Ledger`` on PostgreSQL, against a plain model.

Every command, accepted or refused, goes through the application and the real event store;
after each step the stock read model (folded by the projection runner) must show exactly
the plain model's balances, and a refused command must have appended nothing. At the end of
each sequence the read model is rebuilt from position 0 and must equal the live one row for
row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import settings
from hypothesis.stateful import invariant, run_state_machine_as_test
from stock_machine import WHEN, StockRules

from api.bootstrap import build_ledger
from conftest import fresh_database
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import Gtin, PartyRole, RiskClass, ShipmentLine, lot_id
from ledger.settings import Settings
from ledger.store.database import Database
from projections.runner import Projections
from projections.stock import Stock, stock_on_hand

GTIN = "09506000134352"
FIRST_RECEIPT = {"location": "WH-A-01", "accepted": 10}
TABLES = {
    "stock_lots": "lot_id",
    "stock_balances": "lot_id, location, status",
    "stock_movements": "position, line",
}


class StockReadModelMachine(StockRules):
    """One fresh lot per sequence, all of them in one schema (its read model keeps growing)."""

    database: Database
    ledger: Ledger
    projections: Projections
    numbers: Iterator[int]
    connection: psycopg.Connection[Any]

    def __init__(self) -> None:
        super().__init__()
        self.lot_number = f"RM{next(self.numbers)}"
        self.lot_id = lot_id(Gtin.parse(GTIN), self.lot_number)
        # The lot exists from the start, as the aggregate machine's lot does.
        self.command("receive", supplier="MFR", purchase_order="PO-0", **FIRST_RECEIPT)
        self.model.add(FIRST_RECEIPT["location"], self.model.incoming(), 10)
        self.model.received += 10
        # ... and some of it is already at a distributor, so that returns, uses and sales
        # are one step away.
        self.command("ship", shipment="SH-0", consignee="DIST-1", picks={"WH-A-01": 4})
        self.command("confirm_delivery", shipment="SH-0", consignee="DIST-1")
        self.model.add("WH-A-01", self.model.incoming(), -4)
        self.model.give("DIST-1", 4)

    def command(self, name: str, **arguments: Any) -> None:
        lot: dict[str, Any] = {"lot": LotRef(GTIN, self.lot_number)}
        if name == "ship":
            picks = arguments.pop("picks")
            arguments["lines"] = [
                ShipmentLine(gtin=GTIN, lot_number=self.lot_number, quantity=q, from_location=at)
                for at, q in picks.items()
            ]
            lot = {}
        elif name == "confirm_delivery":
            arguments["lots"] = [(GTIN, self.lot_number)]
            lot = {}
        elif name == "record_temperature":
            del arguments["storage"]  # the ledger takes it from the product
        elif name == "receive":
            arguments["expiry"] = date(2030, 1, 1)
        method = {"adjust": "adjust_stock"}.get(name, name)
        part = self.ledger.lots if hasattr(self.ledger.lots, method) else self.ledger.channel
        getattr(part, method)(**arguments, **lot, occurred_at=WHEN)
        self.projections.catch_up(["stock"], connection=self.connection)

    def snapshot(self) -> Any:
        head = self.connection.execute("SELECT max(notification_id) FROM ledger_events")
        return head.fetchone(), self.read_model()

    def read_model(self) -> dict[tuple[str, str], int]:
        """This lot's units per (location, status) as the stock query answers them."""
        with self.connection.cursor() as cursor:
            lines = stock_on_hand(cursor, gtin=GTIN, lot_number=self.lot_number)
        return {(line.location, line.status): line.quantity for line in lines}

    def expected(self) -> dict[tuple[str, str], int]:
        """The plain model's units, in transit ones under their movement's reference."""
        on_hand = {(place, status.value): q for (place, status), q in self.model.on_hand.items()}
        transit = {(ref, "in_transit"): t.quantity for ref, t in self.model.transit.items()}
        return on_hand | transit

    @invariant()
    def read_model_equals_the_plain_model(self) -> None:
        shown = self.read_model()
        assert shown == self.expected()
        assert all(quantity > 0 for quantity in shown.values())

    def teardown(self) -> None:
        live = table_rows(self.database)
        self.projections.rebuild("stock")
        assert table_rows(self.database) == live


def table_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the stock model's tables, in key order."""
    with database.connect() as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
            for table, key in TABLES.items()
        }


@pytest.fixture(scope="module")
def machine_ledger(server: Database) -> Iterator[tuple[Database, Ledger]]:
    with fresh_database(server) as database:
        ledger = build_ledger(Settings(pool_size=2), database)
        ledger.master_data.register_product(
            gtin=GTIN,
            name="Coronary stent system",
            registration_certificate="NMPA-2026-3-0001",
            risk_class=RiskClass.III,
            unit_of_use="each",
            storage_min_celsius=Decimal("2"),
            storage_max_celsius=Decimal("8"),
        )
        for code, role in (
            ("MFR", PartyRole.MANUFACTURER),
            ("DIST-1", PartyRole.DISTRIBUTOR),
            ("HOSP-1", PartyRole.HOSPITAL),
            ("HOSP-2", PartyRole.HOSPITAL),
        ):
            grade = "A" if role is PartyRole.DISTRIBUTOR else None
            ledger.master_data.register_party(
                code=code,
                name=code,
                role=role,
                region="East",
                recall_contact="qa@x.cn",
                grade=grade,
            )
        yield database, ledger
        ledger.close()


def test_stock_read_model_follows_random_movements_and_rebuilds_the_same(
    machine_ledger: tuple[Database, Ledger],
) -> None:
    database, ledger = machine_ledger
    StockReadModelMachine.database = database
    StockReadModelMachine.ledger = ledger
    StockReadModelMachine.projections = Projections(
        database, ledger.mapper.to_domain_event, [Stock()]
    )
    StockReadModelMachine.numbers = itertools.count(1)
    with database.connect(autocommit=True) as connection:
        StockReadModelMachine.connection = connection
        run_state_machine_as_test(
            StockReadModelMachine,
            settings=settings(settings.default, stateful_step_count=30),
        )
    with database.connect() as conn:
        sequences = conn.execute("SELECT count(*) FROM stock_lots").fetchone()
    assert sequences is not None and sequences[0] == next(StockReadModelMachine.numbers) - 1
