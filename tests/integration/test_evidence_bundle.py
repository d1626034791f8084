"""Recall evidence bundles on PostgreSQL: written from a recall's events, checked by the
bundled verify_bundle.py in an isolated interpreter, and failed by every tampering."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bootstrap import build_ledger, build_projections
from ledger.application import Ledger
from ledger.bench_evidence import bench_bundle, recall_scenario
from ledger.checkpoint_note import SigningKey
from ledger.evidence.bundle import EvidenceNotPossible, build_bundle
from ledger.evidence.verifier import BUNDLE_FILES
from ledger.settings import Settings
from ledger.store.database import Database
from projections import recall_impact
from projections.recall_impact import RecallNotFound

ORIGIN_KEY = Ed25519PrivateKey.generate()


def signer(database: Database) -> SigningKey:
    return SigningKey(f"medical-device-ledger/{database.schema}", ORIGIN_KEY)


def write_bundle(ledger: Ledger, database: Database, consignees: int = 3) -> bytes:
    recall_scenario(ledger, consignees)
    build_projections(database, ledger).catch_up()
    bundle = build_bundle(database, recall_impact, "RC-EV-1", signer(database))
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
    assert re.match(r"OK: 10 events, 3 consignees, checkpoint \d+ signed by ", result.stdout)
    assert f"signed by medical-device-ledger/{database.schema}" in result.stdout


def test_the_bundle_holds_every_file_with_its_hash_in_the_manifest(bundle_dir: Path) -> None:
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    impact = json.loads((bundle_dir / "impact.json").read_text())
    report = (bundle_dir / "report.html").read_text()

    assert set(manifest["files"]) == set(BUNDLE_FILES)
    assert [row["party"] for row in impact["consignees"]] == ["HOSP-EV-0001", "HOSP-EV-0002",
                                                             "HOSP-EV-0003"]  # fmt: skip
    assert impact["consignees"][0]["shipped"] == 2
    csv_rows = (bundle_dir / "impact.csv").read_text().splitlines()
    assert csv_rows[0].startswith("party,") and csv_rows[1].startswith("HOSP-EV-0001,")
    assert len(csv_rows) == 4
    assert "HOSP-EV-0003" in report and "ShipmentDispatched" in report
    assert "<script" not in report and "http" not in report.split("<body>")[1]


def test_the_same_ledger_gives_the_same_bytes(ledger: Ledger, database: Database) -> None:
    first = write_bundle(ledger, database)
    again = build_bundle(database, recall_impact, "RC-EV-1", None)

    assert again is not None and again.data == first


def test_an_unknown_recall_has_no_bundle(ledger: Ledger, database: Database) -> None:
    recall_scenario(ledger, 1)
    build_projections(database, ledger).catch_up()

    with pytest.raises(RecallNotFound):
        build_bundle(database, recall_impact, "RC-NONE", signer(database))


def test_without_a_covering_checkpoint_or_a_key_no_bundle_is_written(
    ledger: Ledger, database: Database
) -> None:
    recall_scenario(ledger, 1)
    build_projections(database, ledger).catch_up()

    with pytest.raises(EvidenceNotPossible, match="no checkpoint key is configured"):
        build_bundle(database, recall_impact, "RC-EV-1", None)


def failed(directory: Path, reason: str) -> None:
    result = verify(directory)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("FAILED: ")
    assert reason in result.stdout, result.stdout


def test_a_changed_quantity_in_the_impact_list_fails_the_manifest(bundle_dir: Path) -> None:
    impact = bundle_dir / "impact.json"
    impact.write_text(impact.read_text().replace('"shipped": 2', '"shipped": 3', 1))

    failed(bundle_dir, "impact.json does not match its SHA-256 in manifest.json")


def test_a_changed_quantity_with_a_matching_manifest_fails_the_recomputation(
    bundle_dir: Path,
) -> None:
    impact = bundle_dir / "impact.json"
    impact.write_text(impact.read_text().replace('"shipped": 2', '"shipped": 3', 1))
    fix_manifest(bundle_dir, "impact.json")

    failed(bundle_dir, "impact.consignees[0].shipped states 3; the events give 2")


def test_a_dropped_event_fails_the_manifest_and_then_the_recomputation(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    dropped = [line for line in lines if b"SH-EV-0002" not in line]
    assert len(dropped) == len(lines) - 1
    events.write_bytes(b"".join(dropped))
    failed(bundle_dir, "events.jsonl does not match its SHA-256")

    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, "the impact list does not follow from the events: impact.consignees[1]")


def test_an_altered_event_byte_fails_its_chain_hash(bundle_dir: Path) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "SH-EV-0001" in line)
    record = json.loads(lines[index])
    assert '"quantity":2' in record["state"]
    record["state"] = record["state"].replace('"quantity":2', '"quantity":3')
    record["payload"]["quantity"] = 3
    lines[index] = json.dumps(record, separators=(",", ":")) + "\n"
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
    record = json.loads(lines[0])  # the first proof checked: every step of it is used
    record["inclusion_path"][0] = "00" * 32
    lines[0] = json.dumps(record, separators=(",", ":")) + "\n"
    events.write_text("".join(lines))
    fix_manifest(bundle_dir, "events.jsonl")

    failed(bundle_dir, "inclusion proof does not lead to the checkpoint's root")


def test_the_bundle_benchmark_builds_and_verifies_a_bundle(database: Database) -> None:
    result = bench_bundle(
        database,
        lambda db: build_ledger(Settings(pool_size=2), db),
        Settings().migrations_dir,
        recall_impact,
        lambda db, ledger: build_projections(db, ledger).catch_up(),
        consignees=4,
    )

    assert result["consignees"] == 4 and result["events"] == 12
    assert result["verdict"].startswith("OK: 12 events, 4 consignees")
