"""streams/kafka/rejection_index.py against the real broker: the command offsets rejections name, read backwards in chunks."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from streams import settings, topics
from streams.avro import codec
from streams.kafka.rejection_index import rejected_command_offsets_after
from tests.support.kafka_topics import create_topics


def rejection(source_offset: int, source_partition: int = 0) -> bytes:
    """A CommandRejected record as streams/agents/judge.py rejection_record fills it, encoded as the ledger writes it."""
    return codec.encode(codec.REJECTION, {
        "rejection_id": str(uuid.uuid4()), "request_id": None, "command_id": f"rejidx-{uuid.uuid4().hex[:8]}",
        "appeal_id": None, "command_type": "answer", "reason": "invalid_transition", "detail": "a test's rejection",
        "command": b"{}", "source_topic": topics.COMMANDS, "source_partition": source_partition,
        "source_offset": source_offset, "rejected_at": datetime.now(timezone.utc), "command_prefix": None,
        "command_sha256": None})


async def send(bootstrap: str, topic: str, records: list[tuple[int, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, value in records:
            await producer.send_and_wait(topic, value, key=b"k" if value is None else None, partition=partition)
    finally:
        await producer.stop()


@pytest.mark.integration
def test_finds_exactly_the_offsets_after_each_partitions_mark_over_several_chunks(kafka, monkeypatch):
    """On the shared appeals.rejected: source offsets far beyond any other test's, and only those compared."""
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    base = 10**12 + (uuid.uuid4().int % 10**6) * 1000
    mine = range(base, base + 1000)
    asyncio.run(send(kafka, topics.REJECTED, [(0, rejection(base + n)) for n in range(1, 11)] +
                     [(1, rejection(base + n, source_partition=1)) for n in range(1, 7)]))
    after = {0: base + 4, 1: base + 2, 2: base + 999}

    found = asyncio.run(asyncio.wait_for(rejected_command_offsets_after(after, chunk=3), 60))
    assert set(found) == {0, 1, 2}
    assert {p: {o for o in offsets if o in mine} for p, offsets in found.items()} == {
        0: set(range(base + 5, base + 11)), 1: set(range(base + 3, base + 7)), 2: set()}
    assert all(o > after[p] for p, offsets in found.items() for o in offsets)

    whole = asyncio.run(asyncio.wait_for(rejected_command_offsets_after({0: base}), 60))   # one chunk of 1000
    assert {o for o in whole[0] if o in mine} == set(range(base + 1, base + 11))


def test_nothing_asked_reads_nothing():
    assert asyncio.run(rejected_command_offsets_after({})) == {}


@pytest.mark.integration
def test_a_record_that_does_not_decode_is_skipped_and_the_reading_stops_at_the_mark(kafka, monkeypatch):
    """On a rejections topic of this test's own (the name monkeypatched), so the junk reaches no other reader."""
    topic = f"test.rejection-index-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    monkeypatch.setattr(topics, "REJECTED", topic)

    async def run():
        await create_topics(kafka, [topic])
        await send(kafka, topic, [(0, rejection(99)),       # before the mark: not read, rejections being in command order
                                  (0, rejection(4)), (0, rejection(10)),   # at or before the mark: the reading stops here
                                  (0, rejection(11)), (0, b"junk"), (0, rejection(12)), (0, None), (0, rejection(13)),
                                  (0, b"\xc3\x01" + bytes(8) + b"unknown writer")])
        return await rejected_command_offsets_after({0: 10}, chunk=2)

    assert asyncio.run(asyncio.wait_for(run(), 60)) == {0: {11, 12, 13}}
