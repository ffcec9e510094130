"""The Merkle tree of each partition of appeals.events, kept in ClickHouse as the projector writes (table
merkle_nodes, migration 012): every perfect subtree once, so roots and proofs need O(log² n) nodes, which the
queries look up by the table's key.

The leaves are the partition's committed records in log order, as the projector receives them (read_committed:
aborted records and transaction markers are none): leaf i is the i-th one's event hash, 32 bytes, or for a record
that is no event (it does not decode, or its hash is not 64 hex digits) the SHA-256 of its bytes, so that
removing any record changes the tree. Each partition's right edge (one node per set bit of its size) is kept in
memory; a new writer loads it from the table, and records at or below the last leaf's offset (a replay) are
skipped. A batch's rows go in with its other rows, and the edge advances only once they are in.
"""

from __future__ import annotations

from typing import Any, Iterable

from streams.avro import codec
from streams.domain import merkle

from .clickhouse import run_query

COLUMNS = ["partition", "level", "node_index", "hash", "offset"]


def leaf_of(value: bytes | None, event: dict[str, Any] | None = None) -> bytes:
    """A record's leaf (merkle.record_leaf): its event's 32-byte hash, or the SHA-256 of the record when it is no event."""
    if event is None and value is not None:
        try:
            event = codec.decode(value)
        except Exception:   # not the ledger's writing: its bytes stand for it
            event = None
    return merkle.record_leaf(value, event.get("hash") if isinstance(event, dict) else None)


class Edge:
    """A partition's tree as far as it is written: its size, the last leaf's offset, and its right edge
    [(level, index, hash)], the highest level first."""

    def __init__(self, size: int = 0, last_offset: int = -1, nodes: list[tuple[int, int, bytes]] | None = None):
        self.size, self.last_offset, self.nodes = size, last_offset, list(nodes or [])
        self.generation = 0   # the writer's count of forgets of its partition when this edge was made

    def copy(self) -> "Edge":
        edge = Edge(self.size, self.last_offset, self.nodes)
        edge.generation = self.generation
        return edge

    def append(self, leaf: bytes, offset: int) -> list[list[Any]]:
        """Adds a leaf; the rows of the nodes it completes (the leaf's own first)."""
        index = self.size
        made = [(0, index, merkle.leaf_hash(leaf))]
        self.nodes.append(made[0])
        while len(self.nodes) >= 2 and self.nodes[-1][0] == self.nodes[-2][0]:
            (level, _, left), (_, right_index, right) = self.nodes[-2], self.nodes[-1]
            parent = (level + 1, right_index >> 1, merkle.node_hash(left, right))
            self.nodes[-2:] = [parent]
            made.append(parent)
        self.size, self.last_offset = index + 1, offset
        return [[None, level, i, h, offset if level == 0 else 0] for level, i, h in made]

    def root(self) -> bytes:
        """The root of the tree of `size` leaves, from its right edge alone."""
        if not self.nodes:
            return merkle.EMPTY_ROOT
        top = self.nodes[-1][2]
        for _, _, left in reversed(self.nodes[:-1]):
            top = merkle.node_hash(left, top)
        return top


class TreeWriter:
    def __init__(self, db) -> None:
        self.db = db
        self.edges: dict[int, Edge] = {}
        self.generations: dict[int, int] = {}

    def reset(self) -> None:
        """Forget every edge (the table was emptied for a rebuild)."""
        self.forget(set(self.edges) | set(self.generations))

    def forget(self, partitions) -> None:
        """Forget these partitions' edges: another projector may have written their trees since (a rebalance),
        so the next batch reads each edge from the table again instead of appending at a stale size. An edge a
        batch computed before (its write still under way) is not kept afterwards (`advance`)."""
        for partition in partitions:
            self.edges.pop(partition, None)
            self.generations[partition] = self.generations.get(partition, 0) + 1

    def edge(self, partition: int) -> Edge:
        if partition not in self.edges:
            self.edges[partition] = load_edge(self.db, partition)
        return self.edges[partition]

    def rows(self, records: Iterable[tuple[int, int, bytes, dict[str, Any] | None]]) -> tuple[list[list[Any]], dict[int, Edge]]:
        """The rows a batch adds, from (partition, offset, value, event or None) in log order per partition, and
        the edges after it, to keep once the rows are in (`advance`)."""
        after: dict[int, Edge] = {}
        out: list[list[Any]] = []
        for partition, offset, value, event in records:
            edge = after.get(partition)
            if edge is None:
                edge = after[partition] = self.edge(partition).copy()
                edge.generation = self.generations.get(partition, 0)
            if offset <= edge.last_offset:
                continue   # a replay: this leaf is in
            for row in edge.append(leaf_of(value, event), offset):
                row[0] = partition
                out.append(row)
        return out, after

    def advance(self, after: dict[int, Edge]) -> None:
        self.edges.update({p: e for p, e in after.items() if e.generation == self.generations.get(p, 0)})


def load_edge(db, partition: int) -> Edge:
    [row] = run_query("merkle_size", {"partition": partition}, db)
    size = int(row["size"])
    if not size:
        return Edge()
    nodes = [(int(r["level"]), int(r["node_index"]), bytes.fromhex(r["hash"]))
             for r in run_query("merkle_frontier", {"partition": partition, "size": size}, db)]
    if [level for level, _, _ in nodes] != [b for b in reversed(range(size.bit_length())) if size >> b & 1]:
        raise RuntimeError(f"the Merkle tree of partition {partition} is incomplete in ClickHouse ({size} leaves): "
                           "rebuild the projections (tyndau rebuild)")
    return Edge(size, int(row["last_offset"]), nodes)


def perfect_reader(db, partition: int):
    """merkle.Perfect over the stored nodes of a partition (one query per node: for proofs, not for bulk)."""
    def perfect(level: int, index: int) -> bytes:
        rows = run_query("merkle_node", {"partition": partition, "level": level, "index": index}, db)
        if not rows:
            raise KeyError(f"no node ({level}, {index}) in the tree of partition {partition}")
        return bytes.fromhex(rows[0]["hash"])
    return perfect
