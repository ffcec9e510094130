"""The RFC 9162 Merkle tree (streams/domain/merkle.py): roots, inclusion and consistency proofs, checked against a
plain recursive reading of RFC 9162 §2.1 and by property-based tests (hypothesis), tampering included."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings, strategies as st

from streams.domain import merkle

leaves_st = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=70)


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 9162 §2.1.1, word for word."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = merkle.split(len(leaves))
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def test_known_roots():
    """RFC 9162 §2.1.1: the empty tree, one leaf, and the split at the largest power of two below n."""
    assert merkle.MemoryTree().root() == hashlib.sha256(b"").digest()
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    assert merkle.MemoryTree([a]).root() == hashlib.sha256(b"\x00" + a).digest()
    ab = merkle.node_hash(merkle.leaf_hash(a), merkle.leaf_hash(b))
    assert merkle.MemoryTree([a, b, c]).root() == merkle.node_hash(ab, merkle.leaf_hash(c))
    assert [merkle.split(n) for n in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]


@settings(max_examples=60, deadline=None)
@given(leaves_st)
def test_every_prefix_root_equals_the_rfcs_recursion(leaves):
    tree = merkle.MemoryTree(leaves)
    for size in range(len(leaves) + 1):
        assert tree.root(size) == mth(leaves[:size])


@settings(max_examples=60, deadline=None)
@given(leaves_st, st.data())
def test_an_inclusion_proof_verifies_and_fails_for_any_other_leaf_index_size_or_root(leaves, data):
    tree = merkle.MemoryTree(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    path = merkle.inclusion_path(tree.perfect, index, size)
    top = tree.root(size)
    assert merkle.verify_inclusion(leaves[index], index, size, path, top)
    assert not merkle.verify_inclusion(bytes(32) if leaves[index] != bytes(32) else b"\x01" * 32, index, size, path, top)
    if size > 1:
        other = (index + 1) % size
        assert leaves[other] == leaves[index] or not merkle.verify_inclusion(leaves[index], other, size, path, top)
        assert not merkle.verify_inclusion(leaves[index], index, size, path[:-1], top)
        tampered = [bytes(32)] + path[1:] if path[0] != bytes(32) else [b"\x01" * 32] + path[1:]
        assert not merkle.verify_inclusion(leaves[index], index, size, tampered, top)
    assert not merkle.verify_inclusion(leaves[index], index, size, path, hashlib.sha256(top).digest())
    assert not merkle.verify_inclusion(leaves[index], size, size, path, top)


@settings(max_examples=60, deadline=None)
@given(leaves_st, st.data())
def test_a_consistency_proof_verifies_a_prefix_and_fails_for_a_rewritten_one(leaves, data):
    tree = merkle.MemoryTree(leaves)
    size = data.draw(st.integers(1, len(leaves)))
    old = data.draw(st.integers(1, size))
    proof = merkle.consistency_proof(tree.perfect, old, size)
    assert merkle.verify_consistency(old, size, tree.root(old), tree.root(size), proof)
    if old < size:
        # The old tree's last leaf rewritten (or removed): no proof joins it to the new root.
        rewritten = merkle.MemoryTree(leaves[: old - 1] + [hashlib.sha256(leaves[old - 1]).digest()])
        assert not merkle.verify_consistency(old, size, rewritten.root(), tree.root(size), proof)
        assert not merkle.verify_consistency(old, size, tree.root(old), hashlib.sha256(tree.root(size)).digest(), proof)
        assert not merkle.verify_consistency(old, size, tree.root(old), tree.root(size), proof[:-1])
    else:
        assert proof == []


def test_a_tree_that_lost_its_last_leaf_is_not_consistent_with_an_earlier_checkpoint_of_it():
    """What `tyndau verify --witness` detects: a checkpoint of 5 leaves, a log now holding 4 of them and 3 new ones."""
    leaves = [bytes([i]) * 32 for i in range(8)]
    checkpoint = merkle.MemoryTree(leaves[:5])
    now = merkle.MemoryTree(leaves[:4] + [bytes([9]) * 32] * 3)
    proof = merkle.consistency_proof(now.perfect, 5, now.size)
    assert not merkle.verify_consistency(5, now.size, checkpoint.root(), now.root(), proof)
    honest = merkle.MemoryTree(leaves)
    assert merkle.verify_consistency(5, 8, checkpoint.root(), honest.root(), merkle.consistency_proof(honest.perfect, 5, 8))


def path_of(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, word for word."""
    if len(leaves) <= 1:
        return []
    k = merkle.split(len(leaves))
    return path_of(m, leaves[:k]) + [mth(leaves[k:])] if m < k else path_of(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1, word for word."""
    if m == len(leaves):
        return [] if whole else [mth(leaves)]
    k = merkle.split(len(leaves))
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


@settings(max_examples=40, deadline=None)
@given(leaves_st)
def test_the_proofs_are_the_rfcs_word_for_word(leaves):
    tree, n = merkle.MemoryTree(leaves), len(leaves)
    assert all(merkle.inclusion_path(tree.perfect, m, n) == path_of(m, leaves) for m in range(n))
    assert all(merkle.consistency_proof(tree.perfect, m, n) == (subproof(m, leaves, True) if 0 < m < n else [])
               for m in range(n + 1))


def test_only_the_empty_root_precedes_every_tree():
    tree = merkle.MemoryTree([bytes([1]) * 32, bytes([2]) * 32])
    assert merkle.verify_consistency(0, 2, merkle.EMPTY_ROOT, tree.root(), [])
    assert not merkle.verify_consistency(0, 2, tree.root(), tree.root(), [])
