"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1 over a partition's event hashes, in log order.

Leaf i is the 32-byte `hash` of the partition's i-th event; hashing as in §2.1.1: a leaf is SHA-256(0x00 ‖ leaf),
a node SHA-256(0x01 ‖ left ‖ right), the empty tree SHA-256 of nothing. The tree is read through a function
`perfect(level, index)`: the hash of the 2**level leaves from index * 2**level on (level 0: a leaf's hash), which
a store keeps as the leaves arrive (every completed perfect subtree once: about 2 hashes per leaf), so a root, an
inclusion proof or a consistency proof reads O(log² n) of them and never the whole partition.

Proofs (§2.1.3 inclusion, §2.1.4 consistency) and their verification follow the RFC's algorithms, so any
implementation of RFC 9162 or RFC 6962 checks them; README "Checkpoints" states them for a third party.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, Sequence

Perfect = Callable[[int, int], bytes]
EMPTY_ROOT = hashlib.sha256(b"").digest()


_HEX_HASH = re.compile(r"[0-9a-f]{64}")


def record_leaf(value: bytes | None, event_hash: Any = None) -> bytes:
    """A record's leaf: its event's hash (64 lowercase hex digits, as the ledger writes it) as 32 bytes, or for a
    record that is no event the SHA-256 of its bytes (of no bytes for a record without a value), so that removing
    any record changes the tree."""
    if isinstance(event_hash, str) and _HEX_HASH.fullmatch(event_hash):
        return bytes.fromhex(event_hash)
    return hashlib.sha256(value or b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(perfect: Perfect, start: int, end: int) -> bytes:
    """MTH of the leaves [start, end), start a multiple of the largest power of two not above end - start (as in
    every range the RFC's recursions visit)."""
    n = end - start
    if n <= 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0 and start % n == 0:
        return perfect(n.bit_length() - 1, start // n)
    k = split(n)
    return node_hash(range_hash(perfect, start, start + k), range_hash(perfect, start + k, end))


def root(perfect: Perfect, size: int) -> bytes:
    return range_hash(perfect, 0, size)


def inclusion_path(perfect: Perfect, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of §2.1.3.1, the sibling nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index - start < k:
            path.append(range_hash(perfect, start + k, end))
            end = start + k
        else:
            path.append(range_hash(perfect, start, start + k))
            start += k
    return path[::-1]


def consistency_proof(perfect: Perfect, old: int, size: int) -> list[bytes]:
    """PROOF(old, D[size]) of §2.1.4.1: that the tree of `old` leaves is a prefix of the tree of `size`."""
    if not 0 <= old <= size:
        raise ValueError(f"a tree of {old} cannot precede one of {size}")
    if old in (0, size):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, size, True
    m = old
    while True:
        n = end - start
        if m == n:
            if not whole:
                proof.append(range_hash(perfect, start, end))
            break
        k = split(n)
        if m <= k:
            proof.append(range_hash(perfect, start + k, end))
            end = start + k
        else:
            proof.append(range_hash(perfect, start, start + k))
            start, m, whole = start + k, m - k, False
    return proof[::-1]


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """§2.1.3.2: does `leaf` (an event hash) sit at `index` of the tree of `size` whose root is `expected_root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected_root


def verify_consistency(old: int, size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """§2.1.4.2: is the tree of `old` leaves with `old_root` a prefix of the tree of `size` with `new_root`?"""
    if not 0 <= old <= size:
        return False
    if old == size:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT   # the empty tree precedes every tree
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:   # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class MemoryTree:
    """The perfect subtrees of a list of leaves, appended one at a time: what a store keeps, in memory (for tests,
    `tyndau verify --witness` over a partition read from the log, and proofs checked by hand)."""

    def __init__(self, leaves: Sequence[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Adds a leaf; the (level, index, hash) of every perfect subtree it completes, its own leaf hash first."""
        made = [(0, self.size, leaf_hash(leaf))]
        self.levels[0].append(made[0][2])
        level = 0
        while len(self.levels[level]) % 2 == 0:
            pair = self.levels[level][-2:]
            if len(self.levels) == level + 1:
                self.levels.append([])
            self.levels[level + 1].append(node_hash(*pair))
            level += 1
            made.append((level, len(self.levels[level]) - 1, self.levels[level][-1]))
        return made

    def perfect(self, level: int, index: int) -> bytes:
        return self.levels[level][index]

    def root(self, size: int | None = None) -> bytes:
        return root(self.perfect, self.size if size is None else size)
