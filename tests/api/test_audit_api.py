"""The auditors' routes: checkpoints, proofs, exports and aggregates at a version, each
checked by a small verifier written here from RFC 9162, C2SP signed-note and the chain's
byte layout (docs/integrity.md) — without the ledger's own code."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import (
    api_client,
    assert_problem,
    bearer,
    event_count,
    issue,
    party_body,
    product_body,
    receipt_body,
    shipment_body,
)
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from fastapi.testclient import TestClient

from api.keys import Role
from conftest import register_products
from ledger.application.ledger import Ledger
from ledger.domain.values import Gtin, lot_id
from ledger.integrity.checkpoint_note import SigningKey
from ledger.integrity.checkpoints import sign_checkpoint
from ledger.store.database import Database

KEY = SigningKey("ledger.test/audit", Ed25519PrivateKey.generate())


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an inclusion path leads to (None if it cannot)."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn // 2, sn // 2
    return r if sn == 0 else None


def check_note(note: str, verifier_key: str) -> tuple[str, int, bytes]:
    """C2SP signed-note: check the Ed25519 signature; return origin, size and root."""
    name, key_hash, encoded = verifier_key.split("+", 2)
    public = base64.b64decode(encoded)[1:]
    body, _, signatures = note.partition("\n\n")
    body += "\n"
    line = signatures.splitlines()[0]
    assert line.startswith(f"\u2014 {name} ")
    raw = base64.b64decode(line.rsplit(" ", 1)[1])
    assert raw[:4].hex() == key_hash == sha256(name.encode() + b"\n\x01" + public)[:4].hex()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode())
    origin, size, root = body.splitlines()[:3]
    return origin, int(size), base64.b64decode(root)


def chain_hash(prev: bytes, event: dict[str, Any]) -> bytes:
    """docs/integrity.md: SHA-256(prev_hash || canonical bytes)."""
    topic, state = event["type"].encode(), event["state"].encode()
    oid = uuid.UUID(event["aggregate_id"]).bytes
    fixed = struct.pack(">q16sqq", event["position"], oid, event["aggregate_version"],
                        event["recorded_at_us"])  # fmt: skip
    canonical = fixed + struct.pack(">i", len(topic)) + topic + struct.pack(">i", len(state))
    return sha256(prev + canonical + state)


def check_export(lines: list[str], verifier_key: str) -> int:
    """Everything an auditor checks in an export, offline; the number of events."""
    head = json.loads(lines[0])
    assert head["kind"] == "checkpoint"
    _, size, root = check_note(head["checkpoint"], verifier_key)
    prev = None
    for text in lines[1:]:
        event = json.loads(text)
        assert prev is None or bytes.fromhex(event["prev_hash"]) == prev, "broken link"
        digest = chain_hash(bytes.fromhex(event["prev_hash"]), event)
        assert digest.hex() == event["hash"], "content does not match its hash"
        path = [bytes.fromhex(p) for p in event["inclusion_path"]]
        leaf = sha256(b"\x00" + digest)
        assert root_from_path(event["leaf_index"], size, leaf, path) == root, "not in the tree"
        prev = digest
    return len(lines) - 1


@pytest.fixture
def audited(ledger: Ledger, database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An auditor's client on 9 products, the position after the fourth skipped."""
    register_products(ledger, 4)
    with database.connect(autocommit=True) as conn:
        conn.execute("SELECT nextval('ledger_events_notification_id_seq')")  # a gap, as a
    register_products(ledger, 5, start=10)  # failed transaction leaves one
    with api_client(database) as client:
        yield client, bearer(issue(database, Role.AUDITOR))


def test_no_checkpoint_yet_is_a_404_problem(audited: Any) -> None:
    client, headers = audited

    assert_problem(client.get("/v1/checkpoints/latest", headers=headers), 404, "not-found")


def test_the_latest_checkpoint_verifies_with_the_published_key(
    audited: Any, database: Database
) -> None:
    client, headers = audited
    sign_checkpoint(database, KEY)

    latest = client.get("/v1/checkpoints/latest", headers=headers).json()
    key = client.get("/v1/checkpoints/public-key", headers=headers).json()

    assert key["verifier_key"] == KEY.verifier.text()
    origin, size, root = check_note(latest["checkpoint"], key["verifier_key"])
    assert (origin, size, root.hex()) == ("ledger.test/audit", 9, latest["root_hash"])
    forged = latest["checkpoint"].replace("\n9\n", "\n8\n")
    with pytest.raises(InvalidSignature):
        check_note(forged, key["verifier_key"])


def test_inclusion_proofs_map_positions_to_leaves_across_a_gap_and_verify(
    audited: Any, database: Database
) -> None:
    client, headers = audited
    signed = sign_checkpoint(database, KEY)
    assert signed is not None

    after_gap = client.get("/v1/proofs/inclusion?position=6", headers=headers).json()
    older = client.get("/v1/proofs/inclusion?position=2&tree_size=5", headers=headers).json()

    assert (after_gap["leaf_index"], after_gap["tree_size"]) == (4, 9)
    leaf = sha256(b"\x00" + bytes.fromhex(after_gap["entry"]))
    path = [bytes.fromhex(p) for p in after_gap["inclusion_path"]]
    assert root_from_path(4, 9, leaf, path) == signed.root_hash
    assert root_from_path(5, 9, leaf, path) != signed.root_hash
    assert (older["leaf_index"], older["tree_size"]) == (1, 5)
    old_path = [bytes.fromhex(p) for p in older["inclusion_path"]]
    old_leaf = sha256(b"\x00" + bytes.fromhex(older["entry"]))
    assert root_from_path(1, 5, old_leaf, old_path) == bytes.fromhex(older["root_hash"])


def test_a_consistency_proof_links_two_tree_sizes(audited: Any) -> None:
    client, headers = audited

    proof = client.get("/v1/proofs/consistency?from=3&to=9", headers=headers).json()

    assert (proof["from"], proof["to"]) == (3, 9)
    assert len(proof["consistency_path"]) >= 2
    assert proof["from_root_hash"] != proof["to_root_hash"]


def test_unknown_positions_and_impossible_sizes_are_problems_that_append_nothing(
    audited: Any, database: Database
) -> None:
    client, headers = audited
    before = event_count(database)

    gap = client.get("/v1/proofs/inclusion?position=5&tree_size=9", headers=headers)
    beyond = client.get("/v1/proofs/inclusion?position=1&tree_size=99", headers=headers)
    backwards = client.get("/v1/proofs/consistency?from=5&to=3", headers=headers)
    zero = client.get("/v1/proofs/consistency?from=0&to=3", headers=headers)

    assert_problem(gap, 404, "not-found")
    assert_problem(beyond, 422, "invalid-range")
    assert_problem(backwards, 422, "invalid-range")
    assert_problem(zero, 422, "invalid-request")
    assert event_count(database) == before


def test_an_auditor_downloads_an_export_that_checks_offline_and_fails_when_altered(
    audited: Any, database: Database
) -> None:
    client, headers = audited
    sign_checkpoint(database, KEY)
    verifier = client.get("/v1/checkpoints/public-key", headers=headers).json()["verifier_key"]

    response = client.get("/v1/audit/export?from_position=2&to_position=8", headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/jsonl")
    lines = response.text.splitlines()
    assert check_export(lines, verifier) == 6
    assert [json.loads(line)["position"] for line in lines[1:]] == [2, 3, 4, 6, 7, 8]
    altered = json.loads(lines[3])
    altered["state"] = altered["state"].replace("infusion", "INFUSION")
    with pytest.raises(AssertionError, match="content does not match"):
        check_export([lines[0], lines[1], lines[2], json.dumps(altered)], verifier)


def test_an_export_beyond_the_latest_checkpoint_is_a_409_without_a_key(
    audited: Any, database: Database, ledger: Ledger
) -> None:
    client, headers = audited
    sign_checkpoint(database, KEY)
    register_products(ledger, 1, start=50)

    response = client.get("/v1/audit/export?from_position=1&to_position=99", headers=headers)

    assert_problem(response, 409, "not-checkpointed")


def test_an_aggregate_is_shown_as_it_was_at_each_version(database: Database) -> None:
    with api_client(database) as client:
        operator = issue(database, Role.OPERATOR)
        product = product_body(9100)
        gtin = product["gtin"]
        writes = [("/v1/products", product), ("/v1/parties", party_body("SUP-V")),
                  ("/v1/parties", party_body("HOSP-V")),
                  ("/v1/lots/receipts", receipt_body(gtin, "V1", 50, supplier="SUP-V")),
                  ("/v1/shipments", shipment_body(gtin, "V1", 20, consignee="HOSP-V"))]  # fmt: skip
        for number, (path, body) in enumerate(writes):
            response = client.post(path, json=body, headers=bearer(operator, f"v-{number}"))
            assert response.status_code == 201, response.text
        lot = lot_id(Gtin(product["gtin"]), "V1")
        headers = bearer(issue(database, Role.REGULATOR))

        first = client.get(f"/v1/aggregates/{lot}?version=1", headers=headers).json()
        received = client.get(f"/v1/aggregates/{lot}?version=2", headers=headers).json()
        now = client.get(f"/v1/aggregates/{lot}", headers=headers).json()
        missing = client.get(f"/v1/aggregates/{lot}?version=99", headers=headers)
        unknown = client.get(f"/v1/aggregates/{uuid.uuid4()}", headers=headers)

    assert first["version"] == 1 and now["version"] > 1
    assert first["type"] == now["type"] and first["type"].endswith(":Lot")
    assert first["state"] != now["state"]
    assert (first["state"]["received"], first["state"]["in_transit"]) == (0, {})
    assert received["state"]["received"] == 50 and received["state"]["in_transit"] == {}
    assert now["state"]["received"] == 50 and now["state"]["in_transit"] != {}
    assert assert_problem(missing, 404, "not-found")["latest_version"] == now["version"]
    assert_problem(unknown, 404, "not-found")
