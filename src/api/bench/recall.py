"""Benchmark of the recall impact list: a lot shipped to hundreds of consignees, among a
million other lot events, queried again and again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.bench.frame import Bench, Report, percentiles, timed_ms
from api.bench.synthetic import fill_lots, register_product
from ledger.application.ledger import Ledger
from ledger.domain.lot.aggregate import Lot
from ledger.domain.party import Party
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import Gtin, PartyRole, RiskClass
from ledger.store.database import Database
from projections.catalogue import Catalogue
from projections.lot_trace import LotTrace
from projections.model import ReadModel
from projections.recall_impact import Recalls, impact_list
from projections.runner import Projections
from projections.stock import Stock

_AT = datetime(2026, 2, 2, 8, tzinfo=UTC)
RECALL = "RC-BENCH-1"
_IMPACT_LINE = (
    "impact list of {listed_consignees} consignees at {events:,} events: p50 {impact_p50_ms:.2f}"
    " ms, p95 {impact_p95_ms:.2f} ms (raw consignee rows p95 {raw_consignee_rows_p95_ms:.2f}"
    " ms); {server}"
)


def bench_recall_impact(
    bench: Bench, *, consignees: int, events: int, queries: int = 100
) -> Report:
    """In a scratch schema: ``events`` lot events of other lots, then one lot shipped to
    ``consignees`` hospitals and recalled; time the impact list (p50/p95) against a raw
    one-table read of the lot's consignee rows."""
    with bench.scratch() as scratch, bench.ledger(scratch) as ledger:
        appended = fill_lots(ledger, events=events, progress=bench.progress)
        appended += _recalled_lot(ledger, consignees)
        models: list[ReadModel[Any]] = [Catalogue(), Stock(), LotTrace(), Recalls()]
        projections = Projections(scratch, ledger.mapper.to_domain_event, models)
        for model in models:
            projections.rebuild(model.name)
        timed = _timed(scratch, queries)
    figures = {"events": appended, "consignees": consignees, **timed,
               "server": bench.server_version()}  # fmt: skip
    return Report(figures, _IMPACT_LINE.format_map(figures))


def _recalled_lot(ledger: Ledger, consignees: int) -> int:
    gtin = register_product(ledger, "0695999000001", name="Recalled device", certificate="R-9",
                            risk_class=RiskClass.II)  # fmt: skip
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
        consignee_rows = "SELECT * FROM lot_consignees WHERE lot_id = %s"
        for _ in range(queries):
            impact_ms.append(timed_ms(impact_list, cursor, RECALL))
            raw_ms.append(timed_ms(lambda: cursor.execute(consignee_rows, (row[0],)).fetchall()))
    return {
        "listed_consignees": listed["totals"]["consignees"],
        **percentiles("impact", impact_ms, 50, 95, digits=2),
        **percentiles("raw_consignee_rows", raw_ms, 95, digits=2),
        "queries": queries,
    }
