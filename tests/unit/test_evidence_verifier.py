"""The bundle verifier's parts on hand-built data: checkpoints, chain hashes, batch
inclusion proofs, event lines and the comparison of impact lists."""

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

from ledger.integrity import merkle
from ledger.integrity.checkpoint_note import SigningKey, TreeHead
from ledger.integrity.evidence.bundle import event_line, verifier_script
from ledger.integrity.evidence.verifier import (
    BundleRejected,
    chain_hash,
    check_events,
    first_difference,
    impact_csv,
    read_inclusion_proof,
    read_verifier_key,
    root_from_leaves,
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


@pytest.mark.parametrize(
    "text",
    [
        "00000000-0000-0000-0000-0000000001--",  # 15 bytes, which packing would pad
        "00000000-0000-0000-0000-00000000010A",
        "00000000 0000-0000-0000-000000000100",
        "000000000-000-0000-0000-000000000100",
        "00000000-0000-0000-0000-0000-00000100",
    ],
)
def test_an_aggregate_id_not_in_the_canonical_uuid_form_is_not_hashed(text: str) -> None:
    record = {"position": 1, "aggregate_id": "00000000-0000-0000-0000-000000000100",
              "aggregate_version": 1, "recorded_at_us": 0, "type": "t", "state": "{}",
              "prev_hash": "00" * 32}  # fmt: skip
    chain_hash(record)

    with pytest.raises(ValueError, match="canonical form"):
        chain_hash({**record, "aggregate_id": text})


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


def batch_proof(
    indexes: list[int], size: int, nodes: dict[merkle.Node, bytes]
) -> dict[tuple[int, int], bytes]:
    """The batch inclusion proof of the leaves at ``indexes``, as bundles carry it."""
    ranges = merkle.batch_inclusion_ranges(indexes, size)
    return dict(zip(ranges, merkle.assemble(ranges, nodes), strict=True))


def runs(indexes: list[int], leaves: list[bytes]) -> list[tuple[int, list[bytes]]]:
    """The leaves at ``indexes`` (ascending) in runs of consecutive leaves."""
    found: list[tuple[int, list[bytes]]] = []
    for i in indexes:
        if found and found[-1][0] + len(found[-1][1]) == i:
            found[-1][1].append(leaves[i])
        else:
            found.append((i, [leaves[i]]))
    return found


leaf_sets = st.integers(1, 300).flatmap(
    lambda size: st.tuples(st.just(size), st.sets(st.integers(0, size - 1), min_size=1).map(sorted))
)


@settings(max_examples=150, deadline=None)
@given(case=leaf_sets)
def test_any_set_of_leaves_with_its_batch_proof_gives_the_trees_root(
    case: tuple[int, list[int]],
) -> None:
    size, indexes = case
    leaves, root, nodes = tree(size)

    assert root_from_leaves(size, runs(indexes, leaves), batch_proof(indexes, size, nodes)) == root


@settings(max_examples=100, deadline=None)
@given(case=leaf_sets)
def test_the_batch_proof_is_the_audit_paths_nodes_each_once(case: tuple[int, list[int]]) -> None:
    size, indexes = case
    paths = {r for i in indexes for r in merkle.inclusion_ranges(i, size)}
    ranges = merkle.batch_inclusion_ranges(indexes, size)

    assert len(set(ranges)) == len(ranges) and set(ranges) <= paths
    assert not any(start <= i < end for start, end in ranges for i in indexes)


@pytest.mark.parametrize("indexes", [[3, 2], [1, 1], [-1], [8]])
def test_a_batch_proof_needs_distinct_ascending_leaves_of_the_tree(indexes: list[int]) -> None:
    with pytest.raises(ValueError, match="ascend, distinct, within a tree of 8"):
        merkle.batch_inclusion_ranges(indexes, 8)


@settings(max_examples=100, deadline=None)
@given(case=leaf_sets, data=st.data())
def test_a_changed_leaf_or_node_does_not_give_the_root(
    case: tuple[int, list[int]], data: st.DataObject
) -> None:
    size, indexes = case
    leaves, root, nodes = tree(size)
    proof = batch_proof(indexes, size, nodes)
    changed = list(leaves)
    at = data.draw(st.sampled_from(indexes))
    changed[at] = hashlib.sha256(changed[at]).digest()

    assert root_from_leaves(size, runs(indexes, changed), proof) != root
    if proof:
        node = data.draw(st.sampled_from(sorted(proof)))
        altered = {**proof, node: hashlib.sha256(proof[node]).digest()}
        assert root_from_leaves(size, runs(indexes, leaves), altered) != root


@settings(max_examples=100, deadline=None)
@given(case=leaf_sets, data=st.data())
def test_a_missing_or_unneeded_node_is_named(
    case: tuple[int, list[int]], data: st.DataObject
) -> None:
    size, indexes = case
    leaves, _, nodes = tree(size)
    proof = batch_proof(indexes, size, nodes)
    if proof:
        node = data.draw(st.sampled_from(sorted(proof)))
        with pytest.raises(
            BundleRejected, match=rf"lacks the node of leaves \[{node[0]}, {node[1]}\)"
        ):
            root_from_leaves(
                size, runs(indexes, leaves), {k: v for k, v in proof.items() if k != node}
            )
    extra = (indexes[0], indexes[0] + 1)
    with pytest.raises(
        BundleRejected, match=rf"a node no event needs, of leaves \[{extra[0]}, {extra[1]}\)"
    ):
        root_from_leaves(size, runs(indexes, leaves), {**proof, extra: leaves[indexes[0]]})


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


def records(count: int) -> tuple[list[dict[str, Any]], bytes, dict[merkle.Node, bytes]]:
    """``count`` chained event records, the root of their tree, and its nodes."""
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
    return chained, merkle.root_of([nodes[node] for node in merkle.cover(0, count)]), nodes


def checked(lines: list[bytes], chained: list[dict[str, Any]], count: int) -> list[Any]:
    """``check_events`` over ``lines`` holding ``chained`` (records of a tree of ``count``)."""
    _, root, nodes = records(count)
    proof = batch_proof([r["leaf_index"] for r in chained], count, nodes)
    return check_events(lines, size=count, root=root, proof=proof)


def test_events_verify_whether_written_as_bundles_do_or_otherwise() -> None:
    chained, _, _ = records(13)
    bundled = [event_line(r) for r in chained]
    reordered = [
        json.dumps(json.loads(line), sort_keys=True, indent=1).replace("\n", "").encode()
        for line in bundled
    ]

    assert [e["position"] for e in checked(bundled, chained, 13)] == list(range(1, 14))
    assert checked(reordered, chained, 13) == checked(bundled, chained, 13)
    assert bundled[0].endswith(b',"payload":' + chained[0]["state"].encode() + b"}\n")


def test_a_state_spanning_lines_is_written_reencoded_and_verifies() -> None:
    chained, _, _ = records(1)
    record = {**chained[0], "state": '{"consignee": "HOSP-1",\n "quantity": 1}'}
    record["hash"] = chain_hash(record).hex()
    line = event_line(record)

    assert line.count(b"\n") == 1 and b',"payload":{"consignee":"HOSP-1","quantity":1}}' in line
    leaf = merkle.leaf_hash(bytes.fromhex(record["hash"]))
    (event,) = check_events([line], size=1, root=leaf, proof={})
    assert event["payload"] == {"consignee": "HOSP-1", "quantity": 1}


def test_a_state_beyond_ascii_is_written_as_its_own_text_and_verifies() -> None:
    (record,), _, _ = records(1)
    record = {**record, "state": '{"consignee": "Zürich \u2028 Spital \U0001f3e5"}'}
    record["payload"] = json.loads(record["state"])
    record["hash"] = chain_hash(record).hex()
    line = event_line(record)

    assert line.endswith(b',"payload":' + record["state"].encode() + b"}\n")
    leaf = merkle.leaf_hash(bytes.fromhex(record["hash"]))
    (event,) = check_events([line], size=1, root=leaf, proof={})
    assert event["payload"] == {"consignee": "Zürich \u2028 Spital \U0001f3e5"}


def test_a_subset_of_scattered_events_verifies_with_its_batch_proof() -> None:
    chained, root, nodes = records(40)
    chosen = [r for r in chained if r["position"] % 7 in (1, 2)]
    proof = batch_proof([r["leaf_index"] for r in chosen], 40, nodes)
    lines = [event_line(r) for r in chosen]

    assert len(check_events(lines, size=40, root=root, proof=proof)) == len(chosen)
    with pytest.raises(BundleRejected, match=r"lacks the node of leaves \[8, 12\)"):
        check_events(lines[:3] + lines[4:], size=40, root=root, proof=proof)
    rebuilt = batch_proof([r["leaf_index"] for r in chosen if r["position"] != 9], 40, nodes)
    assert len(check_events(lines[:3] + lines[4:], size=40, root=root, proof=rebuilt)) == 11
    forged = {**rebuilt, (8, 12): merkle.leaf_hash(b"not an event")}
    with pytest.raises(BundleRejected, match="do not lead to the checkpoint's root"):
        check_events(lines[:3] + lines[4:], size=40, root=root, proof=forged)


def test_an_event_whose_payload_is_not_its_state_is_named() -> None:
    chained, _, _ = records(5)
    bundled = [event_line(r) for r in chained]
    bundled[2] = bundled[2].replace(b'"quantity": 3}}', b'"quantity": 99}}')
    chained[2]["payload"]["quantity"] = 99
    plain = [json.dumps(r).encode() for r in chained]

    for lines in (bundled, plain):
        with pytest.raises(BundleRejected, match="event 3: its payload is not its stored state"):
            checked(lines, chained, 5)


def test_events_out_of_order_are_rejected() -> None:
    chained, _, _ = records(5)
    lines = [event_line(r) for r in (chained[1], chained[0])]

    with pytest.raises(BundleRejected, match="not in ascending position order"):
        checked(lines, [chained[0], chained[1]], 5)


def test_an_event_beyond_the_checkpoints_tree_is_rejected() -> None:
    chained, root, _ = records(5)

    with pytest.raises(BundleRejected, match="event 5: leaf 4 is not in the checkpoint"):
        check_events([event_line(r) for r in chained], size=4, root=root, proof={})


def test_the_proof_file_must_be_for_the_checkpoints_tree() -> None:
    text = json.dumps({"tree_size": 9, "nodes": [{"start": 8, "end": 9, "hash": "ab" * 32}]})

    assert read_inclusion_proof(text, 9) == {(8, 9): bytes.fromhex("ab" * 32)}
    with pytest.raises(BundleRejected, match="for a tree of 9 leaves, the checkpoint's has 10"):
        read_inclusion_proof(text, 10)
    with pytest.raises(BundleRejected, match="holds a bad node"):
        read_inclusion_proof(text.replace('"start": 8', '"start": 8.0'), 9)
    with pytest.raises(BundleRejected, match="names a range twice"):
        read_inclusion_proof(text.replace("]", ', {"start": 8, "end": 9, "hash": "00"}]'), 9)
    with pytest.raises(BundleRejected, match="cannot be read"):
        read_inclusion_proof("[]", 9)


@settings(max_examples=200)
@given(fold=st.text())
def test_the_bundled_script_carries_the_folds_source_exactly(fold: str) -> None:
    namespace: dict[str, Any] = {"__name__": "verify_bundle"}

    exec(compile(verifier_script(fold), "verify_bundle.py", "exec"), namespace)

    assert namespace["RECALL_IMPACT_FOLD_SOURCE"] == fold
