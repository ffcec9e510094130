"""RFC 9162 inclusion proofs of a partition's records against a tree size, from the nodes ClickHouse keeps
(projections/tree.py): which nodes a proof needs depends on the indexes and the size only, so they are found
first and read in a few queries, not one per node."""

from __future__ import annotations

from typing import Iterable

from streams.domain import merkle

from .clickhouse import run_query

MAX_KEYS = 1000   # the most ids a named query's array takes


def leaf_indexes(db, partition: int, offsets: Iterable[int]) -> dict[int, int]:
    """offset → leaf index of those records of the partition that are in the tree."""
    rows = run_query("merkle_leaves", {"partition": partition, "offsets": [str(o) for o in sorted(set(offsets))]}, db)
    return {int(r["offset"]): int(r["node_index"]) for r in rows}


def inclusion_proofs(db, partition: int, indexes: Iterable[int], size: int) -> tuple[bytes, dict[int, list[bytes]]]:
    """The root of the partition's first `size` leaves and, for each leaf index below `size`, its audit path."""
    wanted = sorted({i for i in indexes if 0 <= i < size})
    needed: set[tuple[int, int]] = set()

    def note(level: int, index: int) -> bytes:
        needed.add((level, index))
        return bytes(32)

    merkle.root(note, size)
    for i in wanted:
        merkle.inclusion_path(note, i, size)
    keys = sorted(f"{level}:{index}" for level, index in needed)
    nodes: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(keys), MAX_KEYS):
        for r in run_query("merkle_nodes", {"partition": partition, "keys": keys[start:start + MAX_KEYS]}, db):
            nodes[(int(r["level"]), int(r["node_index"]))] = bytes.fromhex(r["hash"])
    missing = needed - set(nodes)
    if missing:
        raise LookupError(f"the tree of partition {partition} lacks {len(missing)} of the nodes of a tree of {size}: "
                          "rebuild the projections (tyndau rebuild)")

    def perfect(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    return merkle.root(perfect, size), {i: merkle.inclusion_path(perfect, i, size) for i in wanted}
