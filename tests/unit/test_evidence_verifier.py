"""The bundle verifier's parts on hand-built data: checkpoints, chain hashes, inclusion
proofs (with shared nodes) and the comparison of impact lists."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle
from ledger.checkpoint_note import SigningKey, TreeHead
from ledger.evidence.bundle import verifier_script
from ledger.evidence.verifier import (
    BundleRejected,
    InclusionChecker,
    chain_hash,
    check_events,
    first_difference,
    impact_csv,
    read_verifier_key,
    verify_checkpoint,
)
from ledger.store.chain import event_hash

ORIGIN = "medical-device-ledger/test"


def signed_checkpoint(size: int = 7, root: bytes = b"\x11" * 32) -> tuple[SigningKey, str]:
    key = SigningKey(ORIGIN, Ed25519PrivateKey.generate())
    head = TreeHead(ORIGIN, size, root, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    return key, key.sign(head)


def test_a_checkpoint_signed_by_the_ledger_verifies_with_its_verifier_key() -> None:
    key, note = signed_checkpoint(size=1234, root=b"\xab" * 32)
    name, public = read_verifier_key(key.verifier.text())

    assert verify_checkpoint(note, name, public) == (1234, b"\xab" * 32)


def test_an_altered_checkpoint_fails_its_signature() -> None:
    key, note = signed_checkpoint(size=1234)
    name, public = read_verifier_key(key.verifier.text())

    with pytest.raises(BundleRejected, match="signature does not verify"):
        verify_checkpoint(note.replace("1234", "1235", 1), name, public)


def test_a_checkpoint_checked_with_another_key_is_rejected() -> None:
    _, note = signed_checkpoint()
    other = SigningKey(ORIGIN, Ed25519PrivateKey.generate())
    name, public = read_verifier_key(other.verifier.text())

    with pytest.raises(BundleRejected, match="no signature by the key"):
        verify_checkpoint(note, name, public)


def test_a_verifier_key_whose_id_does_not_match_is_rejected() -> None:
    key, _ = signed_checkpoint()
    name, hex_id, encoded = key.verifier.text().split("+", 2)
    wrong = f"{name}+{'00000000' if hex_id != '00000000' else '11111111'}+{encoded}"

    with pytest.raises(BundleRejected, match="key id"):
        read_verifier_key(wrong)


@given(
    position=st.integers(1, 2**62),
    version=st.integers(1, 2**40),
    recorded=st.integers(-(2**60), 2**60),
    topic=st.text(max_size=40),
    state=st.text(max_size=200),
    prev=st.binary(min_size=32, max_size=32),
    aggregate=st.uuids(),
)
def test_the_chain_hash_of_a_record_is_the_stores_hash(
    position: int,
    version: int,
    recorded: int,
    topic: str,
    state: str,
    prev: bytes,
    aggregate: UUID,
) -> None:
    record = {"position": position, "aggregate_id": str(aggregate),
              "aggregate_version": version, "recorded_at_us": recorded, "type": topic,
              "state": state, "prev_hash": prev.hex()}  # fmt: skip

    assert chain_hash(record) == event_hash(
        prev,
        position=position,
        originator_id=aggregate.bytes,
        originator_version=version,
        recorded_at_us=recorded,
        topic=topic,
        state=state.encode(),
    )


def tree(size: int) -> tuple[list[bytes], bytes, dict[merkle.Node, bytes]]:
    leaves = [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(size)]
    nodes: dict[merkle.Node, bytes] = {(0, i): leaf for i, leaf in enumerate(leaves)}
    level = 0
    while (1 << (level + 1)) <= size:
        for i in range(size >> (level + 1)):
            nodes[(level + 1, i)] = merkle.node_hash(
                nodes[(level, 2 * i)], nodes[(level, 2 * i + 1)]
            )
        level += 1
    root = merkle.root_of([nodes[node] for node in merkle.cover(0, size)])
    return leaves, root, nodes


def proof(index: int, size: int, nodes: dict[merkle.Node, bytes]) -> list[str]:
    """The audit path in hex, as bundles carry it."""
    return [step.hex() for step in merkle.assemble(merkle.inclusion_ranges(index, size), nodes)]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_every_proof_of_a_tree_verifies_in_any_order_with_shared_nodes(
    size: int, data: st.DataObject
) -> None:
    leaves, root, nodes = tree(size)
    order = data.draw(st.permutations(range(size)))
    checker = InclusionChecker(size, root)

    assert all(checker.check(i, leaves[i], proof(i, size, nodes)) for i in order)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(2, 300), data=st.data())
def test_a_wrong_leaf_fails_even_after_its_neighbours_were_verified(
    size: int, data: st.DataObject
) -> None:
    leaves, root, nodes = tree(size)
    checker = InclusionChecker(size, root)
    for i in data.draw(st.lists(st.integers(0, size - 1), max_size=20)):
        assert checker.check(i, leaves[i], proof(i, size, nodes))
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index))

    assert not checker.check(index, leaves[other], proof(index, size, nodes))
    assert not checker.check(index, b"\x00" * 32, proof(index, size, nodes))
    path = [bytes.fromhex(step) for step in proof(index, size, nodes)]
    assert merkle.verify_inclusion(index, size, leaves[index], path, root)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(2, 200), data=st.data())
def test_a_proof_with_a_changed_step_fails_on_a_fresh_checker(
    size: int, data: st.DataObject
) -> None:
    leaves, root, nodes = tree(size)
    index = data.draw(st.integers(0, size - 1))
    path = proof(index, size, nodes)
    step = data.draw(st.integers(0, len(path) - 1))
    path[step] = hashlib.sha256(bytes.fromhex(path[step])).hexdigest()

    assert not InclusionChecker(size, root).check(index, leaves[index], path)
    assert not InclusionChecker(size, root).check(index, leaves[index], path[:-1])
    assert not InclusionChecker(size, root).check(size, leaves[index], path)
    assert not InclusionChecker(size, root).check(index, leaves[index], [*path[:-1], "zz"])


def test_the_first_difference_names_the_path_and_both_values() -> None:
    stated = {"consignees": [{"gln": "1", "quantity": 5}, {"gln": "2", "quantity": 3}]}
    computed = {"consignees": [{"gln": "1", "quantity": 5}, {"gln": "2", "quantity": 4}]}

    assert first_difference(stated, stated) is None
    assert first_difference(stated, computed) == (
        "impact.consignees[1].quantity states 3; the events give 4"
    )
    assert "states 1 entries; the events give 2" in str(
        first_difference({"consignees": computed["consignees"][:1]}, computed)
    )
    assert first_difference({"a": 1}, {"a": 1.0}) is not None


def test_the_csv_has_one_row_per_consignee_with_every_column() -> None:
    impact = {"consignees": [{"gln": "1", "units": 5}, {"gln": "2", "lots": ["A"]}]}

    assert impact_csv(impact).splitlines() == ["gln,units,lots", "1,5,", '2,,"[""A""]"']


def records(count: int) -> tuple[list[dict[str, Any]], bytes]:
    """``count`` chained event records with their inclusion paths, and the tree's root."""
    chained: list[dict[str, Any]] = []
    prev = bytes(32)
    for position in range(1, count + 1):
        state = json.dumps({"consignee": f"HOSP-{position}", "quantity": position})
        record = {"kind": "event", "position": position, "recorded_at_us": 10**15 + position,
                  "type": "ledger.domain.lot:Lot.ShipmentDispatched",
                  "aggregate_id": str(UUID(int=position)), "aggregate_version": 1,
                  "state": state, "payload": json.loads(state), "prev_hash": prev.hex(),
                  "leaf_index": position - 1}  # fmt: skip
        prev = chain_hash(record)
        chained.append({**record, "hash": prev.hex()})
    leaves = [merkle.leaf_hash(bytes.fromhex(r["hash"])) for r in chained]
    nodes: dict[merkle.Node, bytes] = {(0, i): leaf for i, leaf in enumerate(leaves)}
    for level in range(1, count.bit_length()):
        for i in range(count >> level):
            nodes[(level, i)] = merkle.node_hash(
                nodes[(level - 1, 2 * i)], nodes[(level - 1, 2 * i + 1)]
            )
    for record in chained:
        record["inclusion_path"] = proof(record["leaf_index"], count, nodes)
    return chained, merkle.root_of([nodes[node] for node in merkle.cover(0, count)])


def test_events_verify_whether_written_compactly_or_not() -> None:
    chained, root = records(13)
    compact = [json.dumps(r, separators=(",", ":")).encode() for r in chained]
    reordered = [
        json.dumps(r, sort_keys=True, indent=1).replace("\n", "").encode() for r in chained
    ]

    assert [e["position"] for e in check_events(compact, 13, root)] == list(range(1, 14))
    assert check_events(reordered, 13, root) == check_events(compact, 13, root)


def test_an_event_whose_payload_is_not_its_state_is_named() -> None:
    chained, root = records(5)
    chained[2]["payload"]["quantity"] = 99
    lines = [json.dumps(r).encode() for r in chained]

    with pytest.raises(BundleRejected, match="event 3: its payload is not its stored state"):
        check_events(lines, 5, root)


def test_events_out_of_order_are_rejected() -> None:
    chained, root = records(5)
    lines = [json.dumps(r).encode() for r in (chained[1], chained[0])]

    with pytest.raises(BundleRejected, match="not in ascending position order"):
        check_events(lines, 5, root)


@settings(max_examples=200)
@given(fold=st.text())
def test_the_bundled_script_carries_the_folds_source_exactly(fold: str) -> None:
    namespace: dict[str, Any] = {"__name__": "verify_bundle"}

    exec(compile(verifier_script(fold), "verify_bundle.py", "exec"), namespace)

    assert namespace["RECALL_IMPACT_FOLD_SOURCE"] == fold
