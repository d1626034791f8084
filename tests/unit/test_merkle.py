"""RFC 9162 Merkle trees: roots, inclusion and consistency proofs checked by an independent
verifier written here from the RFC's text (§2.1.1, §2.1.3.2, §2.1.4.2)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from ledger.integrity import merkle


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as §2.1.1 defines it."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + rfc_mth(entries[:k]) + rfc_mth(entries[k:]))


def rfc_verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes
) -> bool:
    """§2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = sha256(b"\x01" + r + p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def rfc_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """§2.1.4.2, step by step (for first < second)."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            sr = sha256(b"\x01" + sr + c)
        fn //= 2
        sn //= 2
    return fr == first_hash and sr == second_hash and sn == 0


def entries_of(size: int) -> list[bytes]:
    return [sha256(i.to_bytes(8, "big")) for i in range(size)]


def stored_tree(entries: list[bytes]) -> dict[merkle.Node, bytes]:
    """Every perfect subtree, as the checkpointer stores them."""
    store: dict[merkle.Node, bytes] = {}
    builder = merkle.TreeBuilder()
    for entry in entries:
        for level, index, digest in builder.append(merkle.leaf_hash(entry)):
            store[(level, index)] = digest
    return store


def lookup_in(store: dict[merkle.Node, bytes]) -> merkle.NodeLookup:
    def lookup(needed: set[merkle.Node]) -> Mapping[merkle.Node, bytes]:
        return {node: store[node] for node in needed}

    return lookup


sizes = st.integers(min_value=1, max_value=2000)


@given(size=sizes, data=st.data())
def test_every_inclusion_proof_verifies_and_fails_for_a_wrong_leaf_index_or_root(
    size: int, data: st.DataObject
) -> None:
    entries = entries_of(size)
    lookup = lookup_in(stored_tree(entries))
    tree_size = data.draw(st.integers(1, size), label="tree_size")
    index = data.draw(st.integers(0, tree_size - 1), label="index")
    root = rfc_mth(entries[:tree_size])
    leaf = sha256(b"\x00" + entries[index])

    proof = merkle.inclusion_proof(index, tree_size, lookup)

    assert merkle.root_at(tree_size, lookup) == root
    assert rfc_verify_inclusion(index, tree_size, leaf, proof, root)
    assert merkle.verify_inclusion(index, tree_size, leaf, proof, root)
    wrong_leaf = sha256(b"\x00" + entries[index] + b"x")
    assert not rfc_verify_inclusion(index, tree_size, wrong_leaf, proof, root)
    assert not rfc_verify_inclusion(index, tree_size, leaf, proof, sha256(root))
    if tree_size > 1:
        other = (index + data.draw(st.integers(1, tree_size - 1), label="shift")) % tree_size
        assert not rfc_verify_inclusion(other, tree_size, leaf, proof, root)
        assert not merkle.verify_inclusion(other, tree_size, leaf, proof, root)


@given(size=sizes, data=st.data())
def test_every_consistency_proof_verifies_and_fails_for_a_wrong_root_or_size(
    size: int, data: st.DataObject
) -> None:
    entries = entries_of(size)
    lookup = lookup_in(stored_tree(entries))
    second = data.draw(st.integers(1, size), label="second")
    first = data.draw(st.integers(1, second), label="first")
    first_root, second_root = rfc_mth(entries[:first]), rfc_mth(entries[:second])

    proof = merkle.consistency_proof(first, second, lookup)

    assert merkle.verify_consistency(first, second, first_root, second_root, proof)
    if first == second:
        assert proof == []
        return
    assert rfc_verify_consistency(first, second, first_root, second_root, proof)
    rewritten = rfc_mth([b"rewritten", *entries[1:first]])
    assert not rfc_verify_consistency(first, second, rewritten, second_root, proof)
    assert not merkle.verify_consistency(first, second, rewritten, second_root, proof)
    assert not rfc_verify_consistency(first, second, first_root, sha256(second_root), proof)
    if first > 1:
        assert not rfc_verify_consistency(first - 1, second, first_root, second_root, proof)


@given(size=st.integers(0, 300), cut=st.integers(0, 300))
def test_a_tree_resumed_from_its_right_edge_grows_to_the_same_root(size: int, cut: int) -> None:
    entries = entries_of(size)
    cut = min(cut, size)
    store = stored_tree(entries[:cut])
    edge = [store[node] for node in merkle.cover(0, cut)]

    resumed = merkle.TreeBuilder(cut, edge)
    for entry in entries[cut:]:
        resumed.append(merkle.leaf_hash(entry))

    assert resumed.root() == rfc_mth(entries)


def test_the_hashes_are_the_rfcs_with_their_domain_separation() -> None:
    assert merkle.leaf_hash(b"abc") == sha256(b"\x00abc")
    assert merkle.node_hash(b"l", b"r") == sha256(b"\x01lr")
    assert merkle.tree_root([]) == sha256(b"")
    # Three leaves split 2 + 1: MTH = node(node(l0, l1), l2).
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(3)]
    expected = merkle.node_hash(merkle.node_hash(leaves[0], leaves[1]), leaves[2])
    assert merkle.tree_root(leaves) == expected
