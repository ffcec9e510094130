"""Signing the checkpoints of every partition's Merkle tree (README "Checkpoints"): what the projector's timer
(streams/agents/checkpoints.py) and `tyndau checkpoint` (POST /v1/admin/checkpoint) both do. Registers nothing
with the app, so the API may import it.

A tree's head is read from ClickHouse, so it covers only records the projector has written, which are committed
records of the log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from projections.clickhouse import client, in_db_thread
from projections.tree import load_edge

from .. import settings
from ..auth.checkpoint_keys import checkpoint_signer
from ..kafka import checkpoints
from .rebuild import rebuild

log = logging.getLogger(__name__)
_signed: dict[int, tuple[int, bytes]] = {}   # partition → (size, root) this process last signed


def heads(db=None) -> list[tuple[int, int, bytes]]:
    """(partition, size, root) of every partition of appeals.events, as ClickHouse holds its tree."""
    db = db or client()
    out = []
    for partition in range(settings.PARTITIONS):
        edge = load_edge(db, partition)
        out.append((partition, edge.size, edge.root()))
    return out


async def checkpoint_now(force: bool = False) -> list[dict[str, Any]]:
    """Sign and publish the checkpoint of each partition whose tree changed since this process last signed it
    (every partition with `force`); the records written."""
    if rebuild.state == "running":   # the trees are being built again: they are not the log's yet
        log.info("a rebuild is running: no checkpoint until it is done")
        return []
    now = datetime.now(timezone.utc)
    signer = checkpoint_signer()
    records = []
    for partition, size, root in await in_db_thread(heads):
        signed = _signed.get(partition)
        if signed is not None and size < signed[0]:   # a tree never shrinks: the table is behind the log
            log.warning("partition %d's tree holds %d records, fewer than the %d signed: not signing it", partition,
                        size, signed[0])
            continue
        if force or signed != (size, root):
            records.append(checkpoints.checkpoint_record(partition, size, root, signer, now))
    if records:
        await checkpoints.publish(records)
        for r in records:
            head = r["trees"][0]
            _signed[head["partition"]] = (head["tree_size"], bytes.fromhex(head["root"]))
        log.info("signed checkpoints of %d partitions: %s", len(records),
                 ", ".join(f"{r['trees'][0]['partition']}@{r['trees'][0]['tree_size']}" for r in records))
    return records
