"""The checkpoint signer (streams/agents/signing.py) on the real broker and the real engine: every partition's
tree signed the first time, then only the trees that grew, and all of them on demand; never a tree that does not
extend its partition's latest published checkpoint. Each test signs for a log origin of its own, so the session
worker's checkpoints (of its own engine's trees) are not its partitions' latest."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from projections.tree import COLUMNS, TreeWriter, load_edge
from streams import settings
from streams.agents import signing as signer
from streams.domain.checkpoint import open_note, parse_checkpoint
from streams.auth.checkpoint_keys import checkpoint_signer, checkpoint_verifiers
from streams.kafka import checkpoints
from streams.kafka.admin import ensure_topics

pytestmark = pytest.mark.integration


def test_a_checkpoint_is_signed_for_the_trees_that_grew_and_for_all_on_demand(kafka, db, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    monkeypatch.setattr(signer, "client", lambda: db)
    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", f"test.tyndau/{uuid.uuid4().hex[:8]}")
    ensure_topics(kafka)
    first = asyncio.run(signer.checkpoint_now())
    assert [r["trees"][0]["partition"] for r in first] == list(range(settings.PARTITIONS))
    for record in first:   # each the signed checkpoint of its partition's tree as the engine holds it
        head = parse_checkpoint(open_note(record["note"], list(checkpoint_verifiers()))[0])
        edge = load_edge(db, record["trees"][0]["partition"])
        assert (head.size, head.root) == (edge.size, edge.root())
    assert asyncio.run(signer.checkpoint_now()) == []
    writer = TreeWriter(db)
    rows, after = writer.rows([(1, writer.edge(1).last_offset + 1, b"one more record", None)])
    db.insert("merkle_nodes", rows, column_names=COLUMNS)
    [grown] = asyncio.run(signer.checkpoint_now())
    assert grown["trees"][0]["partition"] == 1 and grown["trees"][0]["tree_size"] == first[1]["trees"][0]["tree_size"] + 1
    assert len(asyncio.run(signer.checkpoint_now(force=True))) == settings.PARTITIONS


def test_no_checkpoint_during_a_rebuild_and_never_a_tree_that_does_not_extend_the_latest(kafka, db, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    monkeypatch.setattr(signer, "client", lambda: db)
    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", f"test.tyndau/{uuid.uuid4().hex[:8]}")
    ensure_topics(kafka)
    writer = TreeWriter(db)
    for partition in (0, 1):   # two leaves each at least, whatever else ran
        for _ in range(2):
            rows, _ = writer.rows([(partition, writer.edge(partition).last_offset + 1, b"a record", None)])
            db.insert("merkle_nodes", rows, column_names=COLUMNS)
            writer.forget([partition])
    edges = {p: load_edge(db, p) for p in range(settings.PARTITIONS)}
    now = datetime.now(timezone.utc)
    # Signed before, with the deployment's key: partition 0 with a bigger tree (the table is behind the log),
    # partition 1 with another history of the same size (a rewritten table).
    asyncio.run(checkpoints.publish([
        checkpoints.checkpoint_record(0, edges[0].size + 5, bytes(32), checkpoint_signer(), now),
        checkpoints.checkpoint_record(1, edges[1].size - 1, bytes(32), checkpoint_signer(), now)]))
    monkeypatch.setattr(signer.rebuild, "state", "running")
    assert asyncio.run(signer.checkpoint_now(force=True)) == []
    monkeypatch.setattr(signer.rebuild, "state", "done")
    signed = asyncio.run(signer.checkpoint_now(force=True))
    assert [r["trees"][0]["partition"] for r in signed] == list(range(2, settings.PARTITIONS))
    # A later checkpoint of that size that the tree does extend (of two the same size, the later is the latest).
    size = edges[1].size - 1
    asyncio.run(checkpoints.publish([checkpoints.checkpoint_record(1, size, load_edge_prefix(db, 1, size),
                                                                   checkpoint_signer(), now)]))
    assert 1 in [r["trees"][0]["partition"] for r in asyncio.run(signer.checkpoint_now(force=True))]


def load_edge_prefix(db, partition: int, size: int) -> bytes:
    from projections.proofs import inclusion_proofs

    return inclusion_proofs(db, partition, [], size)[0]
