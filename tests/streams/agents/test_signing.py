"""The checkpoint signer (streams/agents/signing.py) on the real broker and the real engine: every partition's
tree signed the first time, then only the trees that grew, and all of them on demand."""

from __future__ import annotations

import asyncio

import pytest

from projections.tree import COLUMNS, TreeWriter, load_edge
from streams import settings
from streams.agents import signing as signer
from streams.domain.checkpoint import open_note, parse_checkpoint
from streams.auth.checkpoint_keys import checkpoint_verifiers
from streams.kafka.admin import ensure_topics

pytestmark = pytest.mark.integration


def test_a_checkpoint_is_signed_for_the_trees_that_grew_and_for_all_on_demand(kafka, db, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    monkeypatch.setattr(signer, "client", lambda: db)
    monkeypatch.setattr(signer, "_signed", {})
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


def test_no_checkpoint_during_a_rebuild_and_never_a_smaller_tree(kafka, db, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    monkeypatch.setattr(signer, "client", lambda: db)
    sizes = {p: load_edge(db, p).size for p in range(settings.PARTITIONS)}
    monkeypatch.setattr(signer, "_signed", {0: (sizes[0] + 5, bytes(32))})   # as if a bigger tree had been signed
    monkeypatch.setattr(signer.rebuild, "state", "running")
    assert asyncio.run(signer.checkpoint_now(force=True)) == []
    monkeypatch.setattr(signer.rebuild, "state", "done")
    signed = asyncio.run(signer.checkpoint_now(force=True))
    assert [r["trees"][0]["partition"] for r in signed] == list(range(1, settings.PARTITIONS))
