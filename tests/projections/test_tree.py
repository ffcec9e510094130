"""Each partition's Merkle tree in ClickHouse (projections/tree.py) against the real engine (embedded chDB): written in
batches, replays skipped, picked up by a new writer from the table alone, its root and proofs those of the RFC 9162
tree over the same leaves (streams/domain/merkle.py)."""

from __future__ import annotations

import hashlib
import random

import pytest

from projections.tree import COLUMNS, Edge, TreeWriter, leaf_of, load_edge, perfect_reader
from streams.domain import merkle


def partition() -> int:
    """A partition number of the test's own: the engine is shared by the session."""
    return random.randrange(1000, 65_000)


def leaves(n: int, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{seed}-{i}".encode()).digest() for i in range(n)]


def test_the_right_edge_gives_the_root_of_every_size():
    edge, tree = Edge(), merkle.MemoryTree()
    assert edge.root() == merkle.EMPTY_ROOT
    for i, leaf in enumerate(leaves(70)):
        edge.append(leaf, i)
        tree.append(leaf)
        assert edge.root() == tree.root() and edge.size == tree.size
        assert [level for level, _, _ in edge.nodes] == [b for b in reversed(range(edge.size.bit_length())) if edge.size >> b & 1]


def test_a_leaf_is_the_event_hash_or_the_hash_of_the_record():
    event = {"hash": "ab" * 32}
    assert leaf_of(b"whatever", event) == bytes.fromhex("ab" * 32)
    assert leaf_of(b"not avro") == hashlib.sha256(b"not avro").digest()
    assert leaf_of(b"x", {"hash": "AB" * 32}) == hashlib.sha256(b"x").digest()   # not the ledger's lowercase hex


def write(db, writer: TreeWriter, p: int, batch: list[tuple[int, bytes]]) -> int:
    rows, after = writer.rows((p, offset, leaf, {"hash": leaf.hex()}) for offset, leaf in batch)
    if rows:
        db.insert("merkle_nodes", rows, column_names=COLUMNS)
    writer.advance(after)
    return len(rows)


def test_batches_replays_and_a_new_writer_build_the_rfc_tree(db):
    p, data = partition(), leaves(137, seed=1)
    offsets = [3 * i + 1 for i in range(len(data))]   # offsets skip (transaction markers), leaf indexes do not
    writer = TreeWriter(db)
    write(db, writer, p, list(zip(offsets[:50], data[:50])))
    assert write(db, writer, p, list(zip(offsets[40:60], data[40:60]))) > 0       # 40..49 replayed: skipped
    later = TreeWriter(db)                                                       # a restart: the edge from the table
    assert load_edge(db, p).size == 60 and load_edge(db, p).last_offset == offsets[59]
    assert write(db, later, p, list(zip(offsets[:60], data[:60]))) == 0            # all of it a replay
    write(db, later, p, list(zip(offsets[60:], data[60:])))
    expected = merkle.MemoryTree(data)
    stored = perfect_reader(db, p)
    assert merkle.root(stored, 137) == expected.root() == later.edge(p).root()
    for size in (1, 2, 60, 64, 100, 137):
        assert merkle.root(stored, size) == expected.root(size)
    index = 77
    path = merkle.inclusion_path(stored, index, 137)
    assert merkle.verify_inclusion(data[index], index, 137, path, expected.root())
    proof = merkle.consistency_proof(stored, 60, 137)
    assert merkle.verify_consistency(60, 137, expected.root(60), expected.root(), proof)


def test_a_table_missing_a_node_of_the_edge_is_reported(db):
    p = partition()
    writer = TreeWriter(db)
    rows, after = writer.rows((p, i, leaf, None) for i, leaf in enumerate(leaves(5)))
    db.insert("merkle_nodes", [r for r in rows if not (r[1] == 2)], column_names=COLUMNS)   # the node of leaves 0..3 lost
    with pytest.raises(RuntimeError, match=f"the Merkle tree of partition {p} is incomplete"):
        load_edge(db, p)


def test_a_partition_forgotten_after_a_rebalance_is_read_again_and_not_overwritten(db):
    """Projector A held the partition, B wrote 5 more leaves while it was away; A, given it back, forgets its edge
    (streams/agents/projector.TreeStart) and goes on from B's size, so the table stays the tree of the log."""
    p, data = partition(), leaves(20, seed=3)
    a, b = TreeWriter(db), TreeWriter(db)
    write(db, a, p, list(zip(range(10), data[:10])))
    write(db, b, p, list(zip(range(15), data[:15])))   # B replays A's 10, adds 5
    a.forget([p])
    write(db, a, p, list(zip(range(10, 20), data[10:])))
    assert merkle.root(perfect_reader(db, p), 20) == merkle.MemoryTree(data).root()
