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
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.bench.evidence import bench_bundle, recall_scenario
from api.bench.frame import Bench
from api.bootstrap import build_projections
from ledger.application.ledger import Ledger
from ledger.domain.recall.errors import UnknownRecall
from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.evidence.bundle import EvidenceNotPossible, build_bundle
from ledger.integrity.evidence.verifier import BUNDLE_FILES
from ledger.settings import Settings
from ledger.store.database import Database
from projections import recall_impact

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

    with pytest.raises(UnknownRecall):
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


def test_a_dropped_event_fails_the_manifest_then_the_proof_then_the_recomputation(
    bundle_dir: Path,
) -> None:
    events = bundle_dir / "events.jsonl"
    lines = events.read_bytes().splitlines(keepends=True)
    dropped = [line for line in lines if b"SH-EV-0002" not in line]
    assert len(dropped) == len(lines) - 1
    events.write_bytes(b"".join(dropped))
    failed(bundle_dir, "events.jsonl does not match its SHA-256")

    fix_manifest(bundle_dir, "events.jsonl")
    failed(bundle_dir, "the events' inclusion proof fails: inclusion_proof.json lacks the node")

    prove_again(bundle_dir, [json.loads(line) for line in lines], len(dropped))
    failed(bundle_dir, "the impact list does not follow from the events: impact.consignees[1]")


def prove_again(directory: Path, records: list[dict[str, Any]], kept: int) -> None:
    """Rewrite inclusion_proof.json for the events now in events.jsonl from what the bundle
    gave (its nodes, every original event's leaf), as someone dropping an event could."""
    proof = json.loads((directory / "inclusion_proof.json").read_text())
    known = {(n["start"], n["end"]): bytes.fromhex(n["hash"]) for n in proof["nodes"]}
    leaves = {r["leaf_index"]: merkle.leaf_hash(bytes.fromhex(r["hash"])) for r in records}

    def root(start: int, end: int) -> bytes:
        if (start, end) in known:
            return known[(start, end)]
        if end - start == 1:
            return leaves[start]
        middle = start + merkle.split_point(end - start)
        return merkle.node_hash(root(start, middle), root(middle, end))

    lines = (directory / "events.jsonl").read_bytes().splitlines()
    indexes = [json.loads(line)["leaf_index"] for line in lines]
    assert len(indexes) == kept
    ranges = merkle.batch_inclusion_ranges(indexes, proof["tree_size"])
    proof["nodes"] = [{"start": a, "end": b, "hash": root(a, b).hex()} for a, b in ranges]
    (directory / "inclusion_proof.json").write_text(json.dumps(proof))
    fix_manifest(directory, "inclusion_proof.json")


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


def test_a_wrong_node_in_the_inclusion_proof_fails(bundle_dir: Path) -> None:
    path = bundle_dir / "inclusion_proof.json"
    proof = json.loads(path.read_text())
    assert proof["nodes"], "the recall's events are not every leaf of the tree"
    proof["nodes"][0]["hash"] = "00" * 32
    path.write_text(json.dumps(proof))
    fix_manifest(bundle_dir, "inclusion_proof.json")

    failed(
        bundle_dir, "their leaves with inclusion_proof.json do not lead to the checkpoint's root"
    )


def test_the_events_carry_no_inclusion_paths_and_their_payload_is_their_state(
    bundle_dir: Path,
) -> None:
    lines = (bundle_dir / "events.jsonl").read_bytes().splitlines()
    records = [json.loads(line) for line in lines]

    assert all("inclusion_path" not in r for r in records)
    assert all(r["payload"] == json.loads(r["state"]) for r in records)
    assert all(line.endswith(f',"payload":{r["state"]}}}'.encode()) for line, r in zip(
        lines, records, strict=True))  # fmt: skip


def test_the_bundle_benchmark_builds_and_verifies_a_bundle(database: Database) -> None:
    result = bench_bundle(
        Bench(database, Settings(pool_size=2)),
        recall_impact,
        lambda db, ledger: build_projections(db, ledger).catch_up(),
        consignees=4,
    )

    assert result["consignees"] == 4 and result["events"] == 12
    assert result["verdict"].startswith("OK: 12 events, 4 consignees")
