"""Evidence bundle figures: the time to build a bundle for a recall whose lot reached many
consignees, and the verifier's events per second against a plain SHA-256 loop.

``recall_scenario`` is also the story the evidence tests tell: one product, one lot
received and shipped to ``consignees`` hospitals, then recalled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bench.frame import Bench, Report, insert_events
from api.bootstrap import build_projections
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.recall.rules import Jurisdiction, RecallLevel
from ledger.domain.values import PartyRole, RiskClass, ShipmentLine
from ledger.integrity.audit_export import event_records
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import sign_checkpoint
from ledger.integrity.evidence import verifier
from ledger.integrity.evidence.bundle import (
    EvidenceNotPossible,
    RecallSource,
    build_bundle,
    event_line,
    inclusion_proof,
)
from ledger.store.database import Database
from projections.recall_impact import queries as recall_read_model

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
GTIN = "06901234567892"
LOT = "EV2026A"
MANUFACTURER = "MFR-EV"
UNITS_EACH = 2
_BENCH_KEY_NAME = "bench.ledger/evidence"
_FILL_CHUNK = 50_000
# Shipment-like events: JSON payloads of the size the ledger's own shipments have.
_SHIPMENT_ROWS = (
    "SELECT gen_random_uuid(), 1, 'ledger.domain.lot:Lot.ShipmentDispatched',"
    " convert_to(json_build_object('shipment', 'SH-' || n, 'consignee',"
    " 'HOSP-' || (n %% 500), 'from_locations', json_build_object('WH-SH-01', 2),"
    " 'quantity', 2, 'order', null, 'occurred_at', json_build_object('_type_',"
    " 'datetime_iso', '_data_', '2026-03-03T08:00:00+00:00'))::text, 'UTF8')"
    " FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n"
)
_BUNDLE_LINE = (
    "bundle for {consignees} consignees ({events} events): {bundle_s:.2f} s, {bundle_bytes:,}"
    " bytes; verify_bundle.py {verify_bundle_s:.2f} s ({verdict})"
)
_VERIFIER_LINE = (
    "; verifier {verifier_events_per_s:,.0f} events/s over {events:,} events (plain SHA-256 of"
    " each line {sha256_lines_per_s:,.0f}/s)"
)


@dataclass(frozen=True)
class RecallScenario:
    """What ``recall_scenario`` recorded."""

    number: str
    gtin: str
    lot_number: str
    consignees: list[str]


def recall_scenario(ledger: Ledger, consignees: int, *, number: str = "RC-EV-1") -> RecallScenario:
    """Register a lot, ship ``UNITS_EACH`` units to each of ``consignees`` hospitals (one
    shipment each), and recall the lot."""
    ledger.master_data.register_product(
        gtin=GTIN, name="Infusion pump cassette", registration_certificate="NMPA-2026-EV001",
        risk_class=RiskClass.II, unit_of_use="each",
        storage_min_celsius=Decimal("2.0"), storage_max_celsius=Decimal("25.0"),
    )  # fmt: skip
    ledger.master_data.register_party(
        code=MANUFACTURER,
        name="Evidence Medical",
        role=PartyRole.MANUFACTURER,
        region="CN-31",
        recall_contact="recall@ev.example",
    )
    codes = [f"HOSP-EV-{i:04d}" for i in range(1, consignees + 1)]
    for code in codes:
        ledger.master_data.register_party(
            code=code,
            name=f"Hospital {code}",
            role=PartyRole.HOSPITAL,
            region="CN-31",
            recall_contact=f"{code.lower()}@example",
        )
    ledger.lots.receive(
        lot=LotRef(GTIN, LOT),
        supplier=MANUFACTURER,
        purchase_order="PO-EV-1",
        location="WH-SH-01",
        accepted=UNITS_EACH * consignees + 10,
        expiry=START.date() + timedelta(days=700),
        manufactured_on=START.date() - timedelta(days=30),
        occurred_at=START,
    )
    for i, code in enumerate(codes):
        ledger.channel.ship(shipment=f"SH-EV-{i + 1:04d}", consignee=code,
                    lines=[ShipmentLine(GTIN, LOT, UNITS_EACH, "WH-SH-01")],
                    occurred_at=START + timedelta(days=1, minutes=i))  # fmt: skip
    ledger.recalls.initiate_recall(number=number, level=RecallLevel.II, reason="seal may leak",
                           jurisdiction=Jurisdiction.CN, gtins=[GTIN], lot_numbers=[LOT],
                           initiator=MANUFACTURER,
                           occurred_at=START + timedelta(days=30))  # fmt: skip
    return RecallScenario(number, GTIN, LOT, codes)


def bench_verifier(bench: Bench, *, events: int) -> dict[str, Any]:
    """The bundle verifier's event checks (payload, chain hash, and the batch inclusion proof
    recomputed to the checkpoint's root) over ``events`` consecutive events written as a
    bundle writes them, against a plain SHA-256 of each line as the baseline."""
    key = SigningKey(_BENCH_KEY_NAME, Ed25519PrivateKey.generate())
    with bench.scratch() as scratch:
        insert_events(
            scratch, events, rows=_SHIPMENT_ROWS, chunk=_FILL_CHUNK, progress=bench.progress
        )
        checkpoint = sign_checkpoint(scratch, key)
        assert checkpoint is not None
        with scratch.connect(autocommit=True) as conn:
            positions = [
                row[0] for row in conn.execute("SELECT position FROM ledger_merkle_leaves")
            ]
            records = event_records(conn, positions, checkpoint=checkpoint)
            proof = inclusion_proof(conn, [r["leaf_index"] for r in records], checkpoint.tree_size)
    lines = [event_line(record) for record in records]
    proof_text = json.dumps(proof)
    del records
    started, cpu = time.perf_counter(), time.process_time()
    checked = verifier.check_events(
        lines,
        size=checkpoint.tree_size,
        root=checkpoint.root_hash,
        proof=verifier.read_inclusion_proof(proof_text, checkpoint.tree_size),
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    for line in lines:
        hashlib.sha256(line).digest()
    baseline = time.perf_counter() - started
    return {
        "events": len(checked),
        "verifier_s": round(seconds, 3),
        "verifier_events_per_s": round(len(checked) / seconds),
        "verifier_cpu_s": round(cpu_seconds, 3),
        "sha256_lines_per_s": round(len(lines) / baseline),
        "megabytes": round(sum(len(line) for line in lines) / 1e6, 1),
        "proof_nodes": len(proof["nodes"]),
        "cpus": os.cpu_count(),
    }


def bench_bundle(
    bench: Bench,
    source: RecallSource,
    catch_up: Callable[[Database, Ledger], object],
    *,
    consignees: int,
    fold_source: str | None = None,
) -> dict[str, Any]:
    """The time to build the evidence bundle of a recall whose lot reached ``consignees``
    consignees (read models caught up first, untimed), and to verify it."""
    key = SigningKey(_BENCH_KEY_NAME, Ed25519PrivateKey.generate())
    with bench.scratch() as scratch, bench.ledger(scratch) as ledger:
        story = recall_scenario(ledger, consignees)
        catch_up(scratch, ledger)
        started = time.perf_counter()
        bundle = build_bundle(scratch, source, story.number, key, fold_source=fold_source)
        seconds = time.perf_counter() - started
    assert bundle is not None
    with tempfile.TemporaryDirectory() as directory:
        with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
            archive.extractall(directory)
        started = time.perf_counter()
        verdict = subprocess.run(
            [sys.executable, "-I", "-S", "verify_bundle.py"],
            cwd=directory, capture_output=True, text=True, check=False,
        )  # fmt: skip
        verify_seconds = time.perf_counter() - started
    return {
        "consignees": bundle.consignees,
        "events": bundle.events,
        "bundle_s": round(seconds, 3),
        "bundle_bytes": len(bundle.data),
        "verify_bundle_s": round(verify_seconds, 3),
        "verdict": verdict.stdout.strip(),
    }


def bench_evidence(bench: Bench, *, consignees: int, events: int) -> Report:
    """The verifier's events per second over ``events`` events, then the bundle of a recall
    whose lot reached ``consignees`` consignees (its figures are left out, saying why, when
    no bundle can be built: the verifier's stand on their own)."""
    verifier_figures = bench_verifier(bench, events=events)
    bundle: dict[str, Any] | None
    try:
        bundle = bench_bundle(
            bench,
            recall_read_model,
            lambda db, ledger: build_projections(db, ledger).catch_up(),
            consignees=consignees,
        )
        bundle_line = _BUNDLE_LINE.format_map(bundle)
    except EvidenceNotPossible as exc:
        bundle, bundle_line = None, f"bundle not measured: {exc}"
    figures = {"bundle": bundle, "verifier": verifier_figures}
    return Report(figures, bundle_line + _VERIFIER_LINE.format_map(verifier_figures))
