"""Inclusion proofs from the nodes ClickHouse keeps (projections/proofs.py), against the real engine (embedded chDB):
the root and the audit paths are those of the RFC 9162 tree over the same leaves, for any size of the tree."""

from __future__ import annotations

import hashlib
import random

import pytest

from projections.proofs import inclusion_proofs, leaf_indexes
from projections.tree import COLUMNS, TreeWriter
from streams.domain import merkle


def test_proofs_for_every_size_are_the_rfcs(db):
    p = random.randrange(1000, 65_000)
    leaves = [hashlib.sha256(f"proof-{i}".encode()).digest() for i in range(45)]
    writer = TreeWriter(db)
    rows, after = writer.rows((p, 10 + 2 * i, leaf, {"hash": leaf.hex()}) for i, leaf in enumerate(leaves))
    db.insert("merkle_nodes", rows, column_names=COLUMNS)
    assert leaf_indexes(db, p, [10, 12, 98, 99]) == {10: 0, 12: 1, 98: 44}   # offset 99 is no record's
    tree = merkle.MemoryTree(leaves)
    for size in (1, 2, 17, 32, 45):
        root, paths = inclusion_proofs(db, p, range(0, 45, 4), size)
        assert root == tree.root(size)
        assert sorted(paths) == [i for i in range(0, 45, 4) if i < size]
        for i, path in paths.items():
            assert path == merkle.inclusion_path(tree.perfect, i, size)
            assert merkle.verify_inclusion(leaves[i], i, size, path, root)


def test_a_tree_missing_nodes_says_so(db):
    p = random.randrange(1000, 65_000)
    writer = TreeWriter(db)
    rows, _ = writer.rows((p, i, hashlib.sha256(bytes([i])).digest(), None) for i in range(6))
    db.insert("merkle_nodes", [r for r in rows if (r[1], r[2]) != (1, 2)], column_names=COLUMNS)   # leaves 4-5's node lost
    with pytest.raises(LookupError, match=f"the tree of partition {p} lacks 1 of the nodes of a tree of 6"):
        inclusion_proofs(db, p, [0], 6)
