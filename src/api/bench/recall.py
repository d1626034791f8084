"""Benchmark of the recall impact list: a lot shipped to hundreds of consignees, among a
million other lot events, queried again and again."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from api.bench.ledger_runs import percentile, scratch_schema, server_version
from api.bench.projections import fill
from ledger.application.ledger import Ledger
from ledger.domain.lot.aggregate import Lot
from ledger.domain.party import Party
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import Gtin, PartyRole, RiskClass, gs1_check_digit
from ledger.store.database import Database
from projections.catalogue import Catalogue
from projections.lot_trace import LotTrace
from projections.model import ReadModel
from projections.recall_impact import Recalls, impact_list
from projections.runner import Projections
from projections.stock import Stock

_AT = datetime(2026, 2, 2, 8, tzinfo=UTC)
RECALL = "RC-BENCH-1"


def bench_recall_impact(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    consignees: int,
    events: int,
    queries: int = 100,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """In a scratch schema: ``events`` lot events of other lots, then one lot shipped to
    ``consignees`` hospitals and recalled; time the impact list (p50/p95) against a raw
    one-table read of the lot's consignee rows."""
    with scratch_schema(database, migrations_dir) as scratch:
        ledger = build_ledger(scratch)
        try:
            appended = fill(ledger, events=events, progress=progress)
            appended += _recalled_lot(ledger, consignees)
            models: list[ReadModel[Any]] = [Catalogue(), Stock(), LotTrace(), Recalls()]
            projections = Projections(scratch, ledger.mapper.to_domain_event, models)
            for model in models:
                projections.rebuild(model.name)
            result = _timed(scratch, queries)
        finally:
            ledger.close()
    return {"events": appended, "consignees": consignees, **result,
            "server": server_version(database)}  # fmt: skip


def _recalled_lot(ledger: Ledger, consignees: int) -> int:
    body = "0695999000001"
    gtin = body + str(gs1_check_digit(body))
    ledger.master_data.register_product(
        gtin=gtin,
        name="Recalled device",
        registration_certificate="R-9",
        risk_class=RiskClass.II,
        unit_of_use="each",
    )
    ledger.master_data.register_party(code="MFR-BENCH", name="Maker", role=PartyRole.MANUFACTURER,
                          region="East", recall_contact="qa@maker.example")  # fmt: skip
    codes = [f"HOSP-B{n:04d}" for n in range(consignees)]
    parties = [
        Party.register(code=code, name=f"Hospital {code}", role=PartyRole.HOSPITAL,
                       region="East", recall_contact=f"{code.lower()}@example.cn")
        for code in codes
    ]  # fmt: skip
    saved = 0
    for start in range(0, len(parties), 200):
        saved += len(ledger.save(*parties[start : start + 200]))
    lot = Lot.open(gtin=Gtin.parse(gtin), lot_number="RB-1", expiry=_AT.date() + timedelta(900))
    lot.receive(supplier="MFR-BENCH", purchase_order="PO-RB", location="WH-SH-A1",
                accepted=10 * consignees, occurred_at=_AT)  # fmt: skip
    for n, code in enumerate(codes):
        at = _AT + timedelta(minutes=n)
        lot.ship(shipment=f"SH-RB-{n}", consignee=code, picks={"WH-SH-A1": 8}, occurred_at=at)
        if n % 5:  # most delivered, some still in transit
            lot.confirm_delivery(shipment=f"SH-RB-{n}", consignee=code, occurred_at=at)
        if n % 7 == 0 and n % 5:
            lot.report_use(consignee=code, quantity=1, occurred_at=at)
    saved += len(ledger.save(lot))
    outcome = ledger.recalls.initiate_recall(
        number=RECALL, level=RecallLevel.II, reason="bench", jurisdiction=Jurisdiction.CN,
        gtins=[gtin], lot_numbers=["RB-1"], initiator="MFR-BENCH", occurred_at=_AT,
    )  # fmt: skip
    return saved + len(outcome.positions)


def _timed(database: Database, queries: int) -> dict[str, Any]:
    impact_ms, raw_ms = [], []
    with database.connect() as conn, conn.cursor() as cursor:
        row = cursor.execute("SELECT lot_id FROM stock_lots WHERE lot_number = 'RB-1'").fetchone()
        assert row is not None
        listed = impact_list(cursor, RECALL)
        for _ in range(queries):
            began = time.perf_counter()
            impact_list(cursor, RECALL)
            impact_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            cursor.execute("SELECT * FROM lot_consignees WHERE lot_id = %s", (row[0],)).fetchall()
            raw_ms.append((time.perf_counter() - began) * 1000)
    return {
        "listed_consignees": listed["totals"]["consignees"],
        "impact_p50_ms": round(percentile(impact_ms, 50), 2),
        "impact_p95_ms": round(percentile(impact_ms, 95), 2),
        "raw_consignee_rows_p95_ms": round(percentile(raw_ms, 95), 2),
        "queries": queries,
    }
