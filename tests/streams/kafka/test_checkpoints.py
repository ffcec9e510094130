"""appeals.checkpoints against the real broker (streams/kafka/checkpoints.py): a checkpoint record is a C2SP signed
note over the tlog-checkpoint of its partition's log, its Avro record decodes back, and the latest of each
partition is found from the end of the topic."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from streams import settings
from streams.domain.checkpoint import Signer, open_note, parse_checkpoint
from streams.kafka import checkpoints
from streams.kafka.admin import ensure_topics

SIGNER = Signer("tyndau-kafka-test", bytes([9]) * 32)
NOW = datetime(2001, 1, 2, 9, tzinfo=timezone.utc)   # before any checkpoint a worker of the session signs


def test_a_record_carries_the_signed_note_of_its_partitions_checkpoint():
    root = hashlib.sha256(b"root").digest()
    record = checkpoints.checkpoint_record(2, 41, root, SIGNER, NOW)
    text, [verifier] = open_note(record["note"], [SIGNER.verifier])
    head = parse_checkpoint(text)
    assert (head.origin, head.size, head.root) == (f"{settings.CHECKPOINT_ORIGIN}/2", 41, root)
    assert record["trees"] == [{"partition": 2, "tree_size": 41, "root": root.hex()}]
    assert record["key_id"] == f"tyndau-kafka-test+{SIGNER.verifier.key_id.hex()}"
    assert verifier.verify(text.encode(), record["signature"])
    assert base64.b64decode(record["note"].split()[-1])[4:] == record["signature"]
    back = checkpoints.decode(checkpoints.encode(record))
    assert {k: back[k] for k in ("origin", "trees", "key_id", "note", "signature")} == {
        k: record[k] for k in ("origin", "trees", "key_id", "note", "signature")}


@pytest.mark.integration
def test_the_latest_checkpoint_of_every_partition_is_read_from_the_end(kafka):
    ensure_topics(kafka)
    first = [checkpoints.checkpoint_record(p, 5, hashlib.sha256(bytes([p])).digest(), SIGNER, NOW)
             for p in range(settings.PARTITIONS)]
    later = NOW + timedelta(hours=1)
    second = [checkpoints.checkpoint_record(p, 9, hashlib.sha256(bytes([p, 1])).digest(), SIGNER, later)
              for p in range(settings.PARTITIONS)]
    asyncio.run(checkpoints.publish(first, kafka))
    asyncio.run(checkpoints.publish(second, kafka))
    found = asyncio.run(checkpoints.latest([SIGNER.verifier], kafka, look_back=2))   # a small window: it must look further back itself
    assert sorted(found) == list(range(settings.PARTITIONS))
    for p, record in found.items():   # ours, or one a worker of the session signed since
        assert record["written_at"] >= later and (record["written_at"] > later or record["note"] == second[p]["note"])


@pytest.mark.integration
def test_of_two_checkpoints_of_a_partition_the_larger_tree_is_the_latest(kafka):
    """A smaller tree published after a larger one (a replica's stale signer) does not replace it."""
    ensure_topics(kafka)
    partition = 1
    big = checkpoints.checkpoint_record(partition, 10**9, hashlib.sha256(b"big").digest(), SIGNER, NOW)
    small = checkpoints.checkpoint_record(partition, 3, hashlib.sha256(b"small").digest(), SIGNER, NOW)
    asyncio.run(checkpoints.publish([big, small], kafka))
    assert asyncio.run(checkpoints.latest([SIGNER.verifier], kafka))[partition]["note"] == big["note"]


@pytest.mark.integration
def test_only_a_checkpoint_signed_by_a_known_key_and_saying_what_its_note_says_counts(kafka):
    """Whoever may write the topic could publish a bigger tree: not signed by the deployment's key, or with fields
    that are not its note's, it is not the latest (nor would it stop the signer)."""
    ensure_topics(kafka)
    partition = 2
    honest = checkpoints.checkpoint_record(partition, 10**10, hashlib.sha256(b"honest").digest(), SIGNER, NOW)
    stranger = checkpoints.checkpoint_record(partition, 10**11, hashlib.sha256(b"x").digest(),
                                             Signer("tyndau-kafka-test", bytes([8]) * 32), NOW)
    relabelled = dict(honest, trees=[dict(honest["trees"][0], tree_size=10**12)])
    moved = dict(honest, trees=[dict(honest["trees"][0], partition=3, tree_size=10**12)])
    assert checkpoints.genuine(honest, [SIGNER.verifier])
    assert not any(checkpoints.genuine(r, [SIGNER.verifier]) for r in (stranger, relabelled, moved))
    asyncio.run(checkpoints.publish([honest, stranger, relabelled, moved], kafka))
    found = asyncio.run(checkpoints.latest([SIGNER.verifier], kafka))
    assert found[partition]["note"] == honest["note"] and found[partition]["trees"] == honest["trees"]
    assert found.get(3, {}).get("trees", [{}])[0].get("tree_size") != 10**12
