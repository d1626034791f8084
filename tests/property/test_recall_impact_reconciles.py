"""For random channel histories: the impact list's units reconcile per lot, and the list
recomputed from the events it rests on (as an evidence bundle's verifier does) equals the
read model's."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.bootstrap import build_ledger, build_projections
from conftest import event_records, fresh_database, register_products
from ledger.application.ledger import Ledger
from ledger.domain.errors import AlreadyRegistered, LedgerError
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import PartyRole, ShipmentLine
from ledger.integrity.evidence.impact_fold import impact_from_events
from ledger.settings import Settings
from ledger.store.database import Database
from projections.recall_impact import impact_list, impact_positions, recall_summary

T0 = datetime(2026, 5, 4, 8, tzinfo=UTC)
TRADERS = ["DIST-1", "DIST-2", "SUB-1"]
HOSPITALS = ["HOSP-1", "HOSP-2"]
CONSIGNEES = TRADERS + HOSPITALS
step = st.tuples(
    st.sampled_from(["ship", "deliver", "sell", "use", "return", "scrap", "transfer", "recover"]),
    st.sampled_from(CONSIGNEES),
    st.sampled_from(CONSIGNEES),
    st.integers(1, 8),
)
numbers = itertools.count()


@pytest.fixture(scope="module")
def channel(server: Database) -> Iterator[tuple[Database, Ledger, str]]:
    with fresh_database(server) as database:
        ledger = build_ledger(Settings(pool_size=2), database)
        (gtin,) = register_products(ledger, 1, start=77)
        roles = {"MFR-1": PartyRole.MANUFACTURER, "DIST-1": PartyRole.DISTRIBUTOR,
                 "DIST-2": PartyRole.DISTRIBUTOR, "SUB-1": PartyRole.SUB_DISTRIBUTOR,
                 "HOSP-1": PartyRole.HOSPITAL, "HOSP-2": PartyRole.HOSPITAL}  # fmt: skip
        for code, role in roles.items():
            trade = role in (PartyRole.DISTRIBUTOR, PartyRole.SUB_DISTRIBUTOR)
            grade = "A" if trade else None
            ledger.master_data.register_party(code=code, name=code, role=role, region="East",
                                  recall_contact=f"{code}@x.cn", grade=grade)  # fmt: skip
        yield database, ledger, gtin
        ledger.close()


def _play(ledger: Ledger, gtin: str, lot: str, recall: str, steps: list[tuple]) -> None:
    named = LotRef(gtin, lot)
    ledger.lots.receive(supplier="MFR-1", purchase_order="PO", location="WH-SH-A1", accepted=60,
                   expiry=date(2028, 1, 1), occurred_at=T0, lot=named)  # fmt: skip
    open_shipments: list[tuple[str, str]] = []
    for n, (kind, one, other, quantity) in enumerate(steps):
        at = T0 + timedelta(hours=n + 1)
        try:
            if kind == "ship":
                ref = f"S-{lot}-{n}"
                line = ShipmentLine(gtin=gtin, lot_number=lot, quantity=quantity,
                                    from_location="WH-SH-A1")  # fmt: skip
                ledger.channel.ship(shipment=ref, consignee=one, lines=[line], occurred_at=at)
                open_shipments.append((ref, one))
            elif kind == "deliver" and open_shipments:
                ref, to = open_shipments.pop(0)
                ledger.channel.confirm_delivery(shipment=ref, consignee=to, lots=[(gtin, lot)],
                                        occurred_at=at)  # fmt: skip
            elif kind == "sell":
                ledger.channel.report_sales(
                    seller=one, buyer=other, quantity=quantity, occurred_at=at, lot=named
                )
            elif kind == "use":
                ledger.channel.report_use(
                    consignee=one, quantity=quantity, occurred_at=at, lot=named
                )
            elif kind == "return":
                ledger.channel.receive_return(consignee=one, location="WH-SH-A1", quantity=quantity,
                                      reason="return", occurred_at=at, lot=named)  # fmt: skip
            elif kind == "scrap":
                ledger.lots.scrap(location="WH-SH-A1", quantity=quantity, reason="damaged",
                             occurred_at=at, lot=named)  # fmt: skip
            elif kind == "transfer":
                ref = f"T-{lot}-{n}"
                ledger.lots.dispatch_transfer(transfer=ref, from_location="WH-SH-A1",
                                         to_location="WH-BJ-A1", quantity=quantity,
                                         occurred_at=at, lot=named)  # fmt: skip
                ledger.lots.receive_transfer(transfer=ref, location="WH-BJ-A1",
                                        quantity=max(0, quantity - 1), occurred_at=at,
                                        lot=named)  # fmt: skip
            elif kind == "recover":
                if n % 2 == 0:
                    _initiate(ledger, gtin, lot, recall, at)
                ledger.recalls.record_recall_recovery(number=recall, consignee=one, gtin=gtin,
                                              lot_number=lot, kind=RecoveryKind.DESTROYED,
                                              quantity=quantity, occurred_at=at)  # fmt: skip
        except LedgerError:
            pass  # refused steps append nothing; the history goes on
    with contextlib.suppress(AlreadyRegistered):  # initiated during the history
        _initiate(ledger, gtin, lot, recall, T0 + timedelta(days=30))


def _initiate(ledger: Ledger, gtin: str, lot: str, recall: str, at: datetime) -> None:
    ledger.recalls.initiate_recall(number=recall, level=RecallLevel.II, reason="seal",
                           jurisdiction=Jurisdiction.CN, gtins=[gtin], lot_numbers=[lot],
                           initiator="MFR-1", occurred_at=at)  # fmt: skip


@settings(max_examples=15)
@given(steps=st.lists(step, max_size=30))
def test_impact_totals_reconcile_and_the_events_give_the_same_list(
    channel: tuple[Database, Ledger, str], steps: list[tuple]
) -> None:
    database, ledger, gtin = channel
    n = next(numbers)
    lot, recall = f"P{n}", f"RC-P{n}"
    _play(ledger, gtin, lot, recall, steps)
    build_projections(database, ledger).catch_up()
    with database.connect() as conn, conn.cursor() as cursor:
        stated = impact_list(cursor, recall)
        records = event_records(conn, impact_positions(cursor, recall))
        recomputed = impact_from_events(recall_summary(cursor, recall), records)

    (row,) = stated["lots"]
    assert row["received"] + row["adjusted"] - row["lost"] == sum(
        row[k] for k in ("own_on_hand", "transfer_in_transit", "shipment_in_transit",
                         "at_consignees", "consumed", "destroyed")
    )  # fmt: skip
    assert all(person["on_hand"] >= 0 and person["in_transit"] >= 0
               for person in stated["consignees"])  # fmt: skip
    # Equal, and after a JSON round trip (what a bundle states): plain JSON types only.
    assert recomputed == stated == json.loads(json.dumps(stated))
