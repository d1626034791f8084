"""Recall evidence bundles on PostgreSQL: written from a recall's events, checked by the
bundled verify_bundle.py in an isolated interpreter, and failed by every tampering."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bootstrap import build_ledger
from ledger.application import Ledger
from ledger.bench_evidence import bench_bundle, recall_scenario
from ledger.checkpoint_note import SigningKey
from ledger.evidence.bundle import EvidenceNotPossible, build_bundle
from ledger.evidence.verifier import BUNDLE_FILES
from ledger.settings import Settings
from ledger.store.database import Database

# A stand-in for the recall's impact fold with the same contract (standard library only,
# payloads as the audit export gives them): the consignees each recalled lot was shipped to.
FOLD = """
from __future__ import annotations


def impact_from_events(recall: dict, events: list[dict]) -> dict:
    lots, consignees = {}, {}
    for event in events:
        payload = event["payload"]
        if event["type"].endswith(":LotOpened"):
            lots[event["aggregate_id"]] = payload["lot_number"]
        elif event["type"].endswith(".ShipmentDispatched") and event["aggregate_id"] in lots:
            row = consignees.setdefault(
                payload["consignee"], {"consignee": payload["consignee"], "units": 0}
            )
            row["units"] += payload["quantity"]
    return {"recall": recall["number"], "lots": sorted(lots.values()),
            "consignees": [consignees[code] for code in sorted(consignees)]}
"""
TOPICS = ("ledger.domain.lot_events:LotOpened", "ledger.domain.lot:Lot.ShipmentDispatched",
          "ledger.domain.recall:RecallInitiated")  # fmt: skip
ORIGIN_KEY = Ed25519PrivateKey.generate()


class StandInSource:
    """Reads the recall, its events and its impact list as the recall read model does."""

    def __init__(self) -> None:
        namespace: dict[str, Any] = {}
        exec(FOLD, namespace)
        self.fold = namespace["impact_from_events"]

    def recall_summary(self, cursor: Any, recall_id: str) -> dict[str, Any] | None:
        row = cursor.execute(
            "SELECT 1 FROM ledger_events WHERE topic = %s AND convert_from(state, 'UTF8')::jsonb"
            " ->> 'number' = %s",
            (TOPICS[2], recall_id),
        ).fetchone()
        return {"id": recall_id, "number": recall_id, "level": "II"} if row else None

    def _rows(self, cursor: Any) -> list[tuple[Any, ...]]:
        return list(
            cursor.execute(
                "SELECT notification_id, topic, originator_id, state FROM ledger_events"
                " WHERE topic = ANY(%s) ORDER BY notification_id",
                (list(TOPICS),),
            )
        )

    def impact_positions(self, cursor: Any, recall_id: str) -> list[int]:
        return [row[0] for row in self._rows(cursor)]

    def impact_list(self, cursor: Any, recall_id: str) -> dict[str, Any]:
        events = [{"type": topic, "aggregate_id": str(oid), "payload": json.loads(bytes(state))}
                  for _, topic, oid, state in self._rows(cursor)]  # fmt: skip
        recall = self.recall_summary(cursor, recall_id)
        assert recall is not None
        result: dict[str, Any] = self.fold(recall, events)
        return result


def signer(database: Database) -> SigningKey:
    return SigningKey(f"medical-device-ledger/{database.schema}", ORIGIN_KEY)


def write_bundle(ledger: Ledger, database: Database, consignees: int = 3) -> bytes:
    recall_scenario(ledger, consignees)
    bundle = build_bundle(database, StandInSource(), "RC-EV-1", signer(database), fold_source=FOLD)
    assert bundle is not None
    return bundle.data


def extract(data: bytes, directory: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(directory)
    return directory


def verify(directory: Path) -> subprocess.CompletedProcess[str]:
    """verify_bundle.py as a regulator runs it: isolated, without site-packages."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "verify_bundle.py"],
        cwd=directory, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def fix_manifest(directory: Path, name: str) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def bundle_dir(ledger: Ledger, database: Database, tmp_path: Path) -> Path:
    return extract(write_bundle(ledger, database), tmp_path / "bundle")


def test_an_intact_bundle_verifies_offline(bundle_dir: Path, database: Database) -> None:
    result = verify(bundle_dir)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 5 events, 3 consignees, checkpoint ")
    assert f"signed by medical-device-ledger/{database.schema}" in result.stdout


def test_the_bundle_holds_every_file_with_its_hash_in_the_manifest(bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    impact = json.loads((bundle_dir / "impact.json").read_text())
    report = (bundle_dir / "report.html").read_text()

    assert set(manifest["files"]) == set(BUNDLE_FILES)
    assert impact["consignees"][0] == {"consignee": "HOSP-EV-0001", "units": 2}
    assert (bundle_dir / "impact.csv").read_text().splitlines()[:2] == [
        "consignee,units", "HOSP-EV-0001,2"
    ]  # fmt: skip
    assert "HOSP-EV-0003" in report and "ShipmentDispatched" in report
    assert "<script" not in report and "http" not in report.split("<body>")[1]


def test_the_same_ledger_gives_the_same_bytes(ledger: Ledger, database: Database) -> None:
    first = write_bundle(ledger, database)
    again = build_bundle(database, StandInSource(), "RC-EV-1", None, fold_source=FOLD)

    assert again is not None and again.data == first


def test_an_unknown_recall_has_no_bundle(ledger: Ledger, database: Database) -> None:
    recall_scenario(ledger, 1)

    assert build_bundle(database, StandInSource(), "RC-NONE", signer(database)) is None


def test_without_a_covering_checkpoint_or_a_key_no_bundle_is_written(
    ledger: Ledger, database: Database
) -> None:
    recall_scenario(ledger, 1)

    with pytest.raises(EvidenceNotPossible, match="no checkpoint key is configured"):
        build_bundle(database, StandInSource(), "RC-EV-1", None, fold_source=FOLD)


def failed(directory: Path, reason: str) -> None:
    result = verify(directory)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("FAILED: ")
    assert reason in result.stdout, result.stdout


def test_a_changed_quantity_in_the_impact_list_fails_the_manifest(bundle_dir: Path) -> None:
    impact = bundle_dir / "impact.json"
    impact.write_text(impact.read_text().replace('"units": 2', '"units": 3', 1))

    failed(bundle_dir, "impact.json does not match its SHA-256 in manifest.json")


def test_a_changed_quantity_with_a_matching_manifest_fails_the_recomputation(
    bundle_dir: Path,
) -> None:
    impact = bundle_dir / "impact.json"
    impact.write_text(impact.read_text().replace('"units": 2', '"units": 3', 1))
    fix_manifest(bundle_dir, "impact.json")

    failed(bundle_dir, "impact.consignees[0].units states 3; the events give 2")


def test_a_dropped_event_fails_the_manifest_and_then_the_recomputation(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    dropped = [line for line in lines if b"HOSP-EV-0002" not in line]
    assert len(dropped) == len(lines) - 1
    events.write_bytes(b"".join(dropped))
    failed(bundle_dir, "events.jsonl does not match its SHA-256")

    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, "impact.consignees[1].consignee states 'HOSP-EV-0002'")


def test_an_altered_event_byte_fails_its_chain_hash(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["state"] = record["state"].replace('"quantity":2', '"quantity":3')
    record["payload"]["quantity"] = 3
    lines[1] = json.dumps(record, separators=(",", ":")) + "\n"
    events.write_text("".join(lines))
    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, f"event {record['position']}: its chain hash does not match its content")


def test_a_payload_that_is_not_the_stored_state_fails(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["payload"]["quantity"] = 3
    lines[1] = json.dumps(record, separators=(",", ":")) + "\n"
    events.write_text("".join(lines))
    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, "its payload is not its stored state")


def test_a_swapped_public_key_fails_the_checkpoint_signature(
    bundle_dir: Path, database: Database
) -> None:
    other = SigningKey(f"medical-device-ledger/{database.schema}", Ed25519PrivateKey.generate())
    (bundle_dir / "public_key.txt").write_text(other.verifier.text() + "\n")
    failed(bundle_dir, "public_key.txt does not match its SHA-256")

    fix_manifest(bundle_dir, "public_key.txt")

    failed(bundle_dir, "checkpoint.txt carries no signature by the key")


def test_a_wrong_inclusion_path_fails(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    record = json.loads(lines[-1])
    record["inclusion_path"][0] = "00" * 32
    lines[-1] = json.dumps(record, separators=(",", ":")) + "\n"
    events.write_text("".join(lines))
    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, "inclusion proof does not lead to the checkpoint's root")


def test_the_bundle_benchmark_builds_and_verifies_a_bundle(database: Database) -> None:
    result = bench_bundle(
        database,
        lambda db: build_ledger(Settings(pool_size=2), db),
        Settings().migrations_dir,
        StandInSource(),
        lambda _db, _ledger: None,
        consignees=4,
        fold_source=FOLD,
    )

    assert result["consignees"] == 4 and result["events"] == 6
    assert result["verdict"].startswith("OK: 6 events, 4 consignees")
