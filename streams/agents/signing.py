"""Signing the checkpoints of every partition's Merkle tree (README "Checkpoints"): what the projector's timer
(streams/agents/checkpoints.py) and `tyndau checkpoint` (POST /v1/admin/checkpoint) both do. Registers nothing
with the app, so the API may import it.

A tree's head is read from ClickHouse, so it covers only records the projector has written, which are committed
records of the log; and it is signed only if it extends the partition's latest published checkpoint (whatever
process signed that one), so the signing key never signs two histories of a partition.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from projections.clickhouse import client, in_db_thread
from projections.proofs import inclusion_proofs
from projections.tree import load_edge

from .. import settings
from ..auth.checkpoint_keys import checkpoint_signer, checkpoint_verifiers
from ..kafka import checkpoints
from .rebuild import rebuild

log = logging.getLogger(__name__)


def heads(db=None, published: dict[int, tuple[int, bytes]] | None = None) -> list[tuple[int, int, bytes, str | None]]:
    """(partition, size, root, problem) of every partition of appeals.events, as ClickHouse holds its tree. A
    problem (not None) says why the tree must not be signed: it is incomplete, or it does not extend the partition's
    latest published checkpoint (`published`: partition → (size, root)) — the table is behind the log, or holds
    another history than the one signed; signing it would sign a fork."""
    db = db or client()
    out = []
    for partition in range(settings.PARTITIONS):
        try:
            edge = load_edge(db, partition)
            size, root, problem = edge.size, edge.root(), None
            old = (published or {}).get(partition)
            if old is not None and size < old[0]:
                problem = f"its tree holds {size} records, fewer than the {old[0]} of its latest checkpoint"
            elif old is not None and old[0] and inclusion_proofs(db, partition, [], old[0])[0] != old[1]:
                problem = f"its first {old[0]} records are not those its latest checkpoint signed"
        except (LookupError, RuntimeError) as error:   # a tree with nodes missing: the others are signed all the same
            size, root, problem = 0, b"", str(error)
        out.append((partition, size, root, problem))
    return out


async def checkpoint_now(force: bool = False) -> list[dict[str, Any]]:
    """Sign and publish the checkpoint of each partition whose tree changed since its latest checkpoint (every
    partition with `force`); the records written. A tree that does not extend its partition's latest published
    checkpoint is never signed (a log error names it)."""
    if rebuild.state == "running":   # the trees are being built again: they are not the log's yet
        log.info("a rebuild is running: no checkpoint until it is done")
        return []
    now = datetime.now(timezone.utc)
    signer = checkpoint_signer()
    found = await checkpoints.latest(list(checkpoint_verifiers()))
    published = {p: (r["trees"][0]["tree_size"], bytes.fromhex(r["trees"][0]["root"])) for p, r in found.items()}
    records = []
    for partition, size, root, problem in await in_db_thread(heads, None, published):
        if problem is not None:
            log.error("not signing partition %d: %s (rebuild the projections, then run tyndau verify --witness)",
                      partition, problem)
            continue
        if force or published.get(partition) != (size, root):
            records.append(checkpoints.checkpoint_record(partition, size, root, signer, now))
    if records:
        await checkpoints.publish(records)
        log.info("signed checkpoints of %d partitions: %s", len(records),
                 ", ".join(f"{r['trees'][0]['partition']}@{r['trees'][0]['tree_size']}" for r in records))
    return records
