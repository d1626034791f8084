"""Merkle trees with RFC 9162 hashing: tree heads, audit paths and their verification.

Pure functions, no storage. A tree over leaves ``D[0:n]`` has the root ``MTH(D[0:n])``
(RFC 9162 §2.1.1): a leaf hashes as ``SHA-256(0x00 || entry)``, an inner node as
``SHA-256(0x01 || left || right)``, and a range of ``n > 1`` leaves splits at ``k``, the
largest power of two smaller than ``n``. Every subtree that the RFC's recursion visits is
either perfect (``2^level`` leaves starting at a multiple of ``2^level``) or splits into
perfect ones, one per bit of its size, largest first; so a store of perfect subtrees
(``(level, index)`` covering leaves ``[index * 2^level, (index + 1) * 2^level)``) answers
any root or proof with a few lookups.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]
"""A perfect subtree: ``(level, index)``; level 0 is a leaf."""
Range = tuple[int, int]
"""Leaves ``[start, end)``."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree (RFC 9162 §2.1.1)."""


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 || entry)``."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size >= 2``)."""
    return 1 << ((size - 1).bit_length() - 1)


def cover(start: int, end: int) -> list[Node]:
    """The perfect subtrees whose roots make up ``MTH(D[start:end])``, left to right.

    ``start`` must be where the RFC's recursion can begin a subtree (0, or a multiple of a
    power of two at least ``end - start``), as it is for every range in a proof.
    """
    nodes = []
    size = end - start
    while size:
        level = size.bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
        size -= 1 << level
    return nodes


def root_of(nodes: Sequence[bytes]) -> bytes:
    """The root of a range from the hashes of its ``cover``, left to right."""
    if not nodes:
        return EMPTY_ROOT
    root = nodes[-1]
    for left in reversed(nodes[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose roots form ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(old_size: int, size: int) -> list[Range]:
    """The ranges whose roots form ``PROOF(old_size, D[0:size])`` (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= size:
        raise ValueError(f"no consistency proof from {old_size} to {size}")
    ranges: list[Range] = []
    start, end, m, whole = 0, size, old_size, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        ranges.append((start, end))
    return ranges[::-1]


def nodes_needed(ranges: Iterable[Range]) -> set[Node]:
    """Every perfect subtree needed to compute the roots of ``ranges``."""
    return {node for start, end in ranges for node in cover(start, end)}


def assemble(ranges: Sequence[Range], hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof: the root of each range, from the hashes of the perfect subtrees."""
    return [root_of([hashes[node] for node in cover(start, end)]) for start, end in ranges]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that an inclusion proof leads to (RFC 9162 §2.1.3.2).

    Raises:
        ValueError: when the proof cannot be for this leaf and size.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("the proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the path")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree ``root``."""
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` is a prefix of ``root`` (§2.1.4.2)."""
    if old_size == size:
        return not proof and old_root == root
    if not 0 < old_size < size:
        return False
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == root and sn == 0


class TreeBuilder:
    """Grows a tree leaf by leaf, keeping only its right edge (a compact range).

    Each ``append`` gives the perfect subtrees it completes, so a caller can store them (or
    keep the few a proof needs) without holding the whole tree.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        """Resume a tree of ``size`` leaves from the hashes of ``cover(0, size)``."""
        if len(edge) != len(cover(0, size)):
            raise ValueError(f"a tree of {size} leaves has {len(cover(0, size))} edge nodes")
        self.size = size
        self._edge: list[tuple[int, bytes]] = [
            (level, digest) for (level, _), digest in zip(cover(0, size), edge, strict=True)
        ]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; return the subtrees completed, ``(level, index, hash)``."""
        index = self.size
        self.size += 1
        completed = [(0, index, leaf)]
        level, digest = 0, leaf
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            digest = node_hash(left, digest)
            level += 1
            completed.append((level, index >> level, digest))
        self._edge.append((level, digest))
        return completed

    def root(self) -> bytes:
        """``MTH`` of the leaves so far."""
        return root_of([digest for _, digest in self._edge])


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """``MTH`` of the given leaf hashes, straight from the RFC's definition."""
    builder = TreeBuilder()
    for leaf in leaves:
        builder.append(leaf)
    return builder.root()


NodeLookup = Callable[[set[Node]], Mapping[Node, bytes]]
"""Gives the hashes of the asked perfect subtrees (from a store, or computed)."""


def inclusion_proof(index: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """``PATH(index, D[0:size])`` from a store of perfect subtrees."""
    ranges = inclusion_ranges(index, size)
    return assemble(ranges, lookup(nodes_needed(ranges)))


def consistency_proof(old_size: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """``PROOF(old_size, D[0:size])`` from a store of perfect subtrees."""
    if old_size == size:
        return []
    ranges = consistency_ranges(old_size, size)
    return assemble(ranges, lookup(nodes_needed(ranges)))


def root_at(size: int, lookup: NodeLookup) -> bytes:
    """``MTH(D[0:size])`` from a store of perfect subtrees."""
    nodes = cover(0, size)
    hashes = lookup(set(nodes))
    return root_of([hashes[node] for node in nodes])


def batch_inclusion_ranges(indexes: Sequence[int], size: int) -> list[Range]:
    """The ranges whose roots, with the leaves at ``indexes``, give ``MTH(D[0:size])``.

    They are the largest subtrees of the RFC's recursion (§2.1.1) holding none of those
    leaves, left to right: together the nodes of every included leaf's audit path, each
    once, less those the included leaves give themselves. ``indexes`` ascend, distinct.
    """
    outside = bool(indexes) and not 0 <= indexes[0] <= indexes[-1] < size
    if outside or any(a >= b for a, b in itertools.pairwise(indexes)):
        raise ValueError(f"leaves must ascend, distinct, within a tree of {size}")
    ranges: list[Range] = []

    def visit(start: int, end: int, low: int, high: int) -> None:
        if low == high:
            ranges.append((start, end))
        elif high - low < end - start:  # not every leaf of the range is included
            middle = start + split_point(end - start)
            cut = bisect.bisect_left(indexes, middle, low, high)
            visit(start, middle, low, cut)
            visit(middle, end, cut, high)

    if size:
        visit(0, size, 0, len(indexes))
    return ranges
