"""Recalls on PostgreSQL: holds at initiation, the impact list written out by hand for a
multi-level channel, live updates after initiation, the same list recomputed from events,
and close-out."""

from __future__ import annotations

from typing import Any

import pytest

from api.bootstrap import build_projections
from conftest import event_records
from ledger.application.ledger import Ledger
from ledger.domain.errors import AlreadyRegistered, InvalidValue
from ledger.domain.recall.aggregate import RecoveryKind
from ledger.domain.recall.errors import RecallNotResolved
from ledger.integrity.evidence.impact_fold import impact_from_events
from ledger.store.database import Database
from projections.recall_impact import (
    impact_list,
    impact_positions,
    outstanding_units,
    recall_summary,
)
from projections.stock import stock_on_hand
from recall_story import LOT, at, channel, initiate

NUMBER = "RC-2026-001"


def _impact(database: Database, ledger: Ledger) -> tuple[dict[str, Any], dict[str, Any]]:
    """The read model's impact list, and the same recomputed from the events it rests on."""
    build_projections(database, ledger).catch_up()
    with database.connect() as conn, conn.cursor() as cursor:
        stated = impact_list(cursor, NUMBER)
        recall = recall_summary(cursor, NUMBER)
        records = event_records(conn, impact_positions(cursor, NUMBER))
    return stated, impact_from_events(recall, records)


def _person(impact: dict[str, Any], party: str) -> dict[str, Any]:
    (found,) = [c for c in impact["consignees"] if c["party"] == party]
    return found


def test_initiation_holds_own_stock_and_lists_every_consignee_down_to_hospitals(
    database: Database, ledger: Ledger
) -> None:
    gtin = channel(ledger)
    outcome = initiate(ledger, gtin)

    assert outcome["notify_by"] == "2026-03-07"  # level I, China: 1 day after 2026-03-06
    assert outcome["plan_by"] == "2026-03-13"  # 5 working days
    stated, recomputed = _impact(database, ledger)
    with database.connect() as conn, conn.cursor() as cursor:
        own = {(s.location, s.status): s.quantity
               for s in stock_on_hand(cursor, gtin=gtin, lot_number=LOT)}  # fmt: skip
    assert own == {("WH-SH-A1", "hold"): 40, ("WH-SH-A1", "quarantine"): 3,
                   ("WH-BJ-A1", "hold"): 18, ("SH-3", "in_transit"): 10}  # fmt: skip

    (lot,) = stated["lots"]
    assert {k: v for k, v in lot.items() if k not in ("gtin", "expiry")} == {
        "lot_number": LOT, "received": 100, "adjusted": 0, "lost": 2, "own_on_hand": 61,
        "transfer_in_transit": 0, "shipment_in_transit": 10, "at_consignees": 24,
        "consumed": 1, "destroyed": 2, "returned": 5,
    }  # fmt: skip
    # Every unit received is somewhere: 100 - 2 lost = 61 + 0 + 10 + 24 + 1 + 2.
    assert lot["received"] + lot["adjusted"] - lot["lost"] == sum(
        lot[k] for k in ("own_on_hand", "transfer_in_transit", "shipment_in_transit",
                         "at_consignees", "consumed", "destroyed")
    )  # fmt: skip
    counts = {c["party"]: (c["shipped"], c["delivered"], c["bought"], c["sold_on"],
                           c["returned"], c["used"], c["on_hand"], c["in_transit"])
              for c in stated["consignees"]}  # fmt: skip
    assert counts == {
        "DIST-A": (30, 30, 0, 10, 5, 0, 15, 0),
        "SUB-B": (0, 0, 10, 4, 0, 0, 6, 0),
        "HOSP-C": (0, 0, 4, 0, 0, 1, 3, 0),
        "HOSP-D": (10, 0, 0, 0, 0, 0, 0, 10),
    }
    dist = _person(stated, "DIST-A")
    assert dist["contact"] == "qa@dist-a.example.cn"
    assert dist["shipments"] == [{"shipment": "SH-1", "quantity": 30,
                                  "dispatched_at": at(2).isoformat(),
                                  "delivered_at": at(30).isoformat()}]  # fmt: skip
    assert _person(stated, "HOSP-C")["bought_from"] == {"SUB-B": 4}
    assert dist["notice"] == {"status": "not sent", "sent_at": None, "acknowledged_at": None,
                              "due": "2026-03-07"}  # fmt: skip
    assert stated["totals"]["consignees"] == 4 and stated["totals"]["units_out"] == 40
    assert recomputed == stated


def test_what_happens_after_initiation_updates_the_list_and_close_out_needs_every_consignee(
    database: Database, ledger: Ledger
) -> None:
    gtin = channel(ledger)
    initiate(ledger, gtin)
    ledger.channel.confirm_delivery(shipment="SH-3", consignee="HOSP-D", lots=[(gtin, LOT)],
                            occurred_at=at(101))  # fmt: skip
    for party in ("DIST-A", "SUB-B", "HOSP-C", "HOSP-D"):
        ledger.recalls.send_recall_notice(number=NUMBER, consignee=party, channel="email",
                                  occurred_at=at(102))  # fmt: skip
    for party in ("DIST-A", "SUB-B", "HOSP-C"):
        ledger.recalls.acknowledge_recall_notice(
            number=NUMBER, consignee=party, acknowledged_by="QA", occurred_at=at(110)
        )
    recovery = {"number": NUMBER, "gtin": gtin, "lot_number": LOT}
    back = {"location": "WH-SH-A1", "occurred_at": at(120)}
    ledger.recalls.record_recall_recovery(
        **recovery, consignee="DIST-A", kind=RecoveryKind.RETURNED, quantity=15, **back
    )
    ledger.recalls.record_recall_recovery(
        **recovery, consignee="SUB-B", kind=RecoveryKind.DESTROYED, quantity=6, occurred_at=at(121)
    )
    ledger.recalls.record_recall_recovery(**recovery, consignee="HOSP-C", kind=RecoveryKind.USED,
                                  quantity=3, occurred_at=at(122))  # fmt: skip

    stated, recomputed = _impact(database, ledger)

    assert recomputed == stated
    assert _person(stated, "HOSP-D")[("on_hand")] == 10
    assert _person(stated, "HOSP-D")["notice"]["status"] == "sent"
    assert _person(stated, "DIST-A")["returned"] == 20 and _person(stated, "DIST-A")["on_hand"] == 0
    assert _person(stated, "SUB-B")["destroyed"] == 6 and _person(stated, "SUB-B")["on_hand"] == 0
    (lot,) = stated["lots"]
    assert (lot["own_on_hand"], lot["at_consignees"], lot["consumed"], lot["destroyed"]) == (
        76,
        10,
        4,
        8,
    )
    assert stated["totals"]["consignees_acknowledged_share"] == 0.75
    assert stated["totals"]["units_accounted_share"] == round((20 + 4 + 6) / 40, 4)
    with database.connect() as conn, conn.cursor() as cursor:
        outstanding = outstanding_units(cursor, NUMBER)
    assert outstanding == {"DIST-A": 0, "SUB-B": 0, "HOSP-C": 0, "HOSP-D": 10}

    ledger.recalls.end_recall(number=NUMBER, occurred_at=at(200))
    with pytest.raises(RecallNotResolved) as refused:
        ledger.recalls.close_recall(number=NUMBER, summary="done", occurred_at=at(300),
                            outstanding=outstanding)  # fmt: skip
    assert refused.value.unresolved == ["HOSP-D"]
    ledger.recalls.record_recall_exception(number=NUMBER, consignee="HOSP-D",
                                   explanation="units implanted; patients followed up",
                                   occurred_at=at(250))  # fmt: skip
    closed = ledger.recalls.close_recall(number=NUMBER, summary="done", occurred_at=at(300),
                                 outstanding=outstanding)  # fmt: skip
    assert closed.outcome["status"] == "closed"
    build_projections(database, ledger).catch_up()
    with database.connect() as conn, conn.cursor() as cursor:
        assert recall_summary(cursor, NUMBER)["status"] == "closed"
        assert impact_list(cursor, NUMBER)["totals"]["exceptions"] == 1


def test_bad_recall_requests_are_refused_and_append_nothing(
    database: Database, ledger: Ledger
) -> None:
    gtin = channel(ledger)
    initiate(ledger, gtin)
    with database.connect() as conn:
        before = conn.execute("SELECT count(*) FROM ledger_events").fetchone()

    with pytest.raises(AlreadyRegistered):
        initiate(ledger, gtin)
    with pytest.raises(InvalidValue):
        ledger.recalls.record_recall_recovery(number=NUMBER, gtin=gtin, lot_number="L-OK-2",
                                      consignee="DIST-A", kind=RecoveryKind.DESTROYED,
                                      quantity=1, occurred_at=at(130))  # fmt: skip
    with pytest.raises(InvalidValue):
        ledger.recalls.record_recall_recovery(number=NUMBER, gtin=gtin, lot_number=LOT,
                                      consignee="DIST-A", kind=RecoveryKind.DESTROYED,
                                      quantity=99, occurred_at=at(130))  # fmt: skip

    with database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM ledger_events").fetchone() == before
