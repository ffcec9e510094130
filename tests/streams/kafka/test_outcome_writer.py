"""streams/kafka/outcome_writer.py on the real broker: records in order per partition, in bounded batches, readable on return."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.memory_records import MemoryRecords

from streams import settings
from streams.kafka.outcome_writer import OutcomeWriter
from tests.support.kafka_topics import private_topic

pytestmark = pytest.mark.integration
LIMIT = settings.LEDGER_RECORD_BATCH_BYTES


async def record_batches(bootstrap: str, topic: str, partition: int) -> list[list[tuple]]:
    """The partition's record batches as stored: each a list of (offset, key, value, headers)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        tp = TopicPartition(topic, partition)
        await client.add_topic(topic)
        leader = client.cluster.leader_for_partition(tp)
        size = 16 * 1024 * 1024
        response = await client.send(leader, FetchRequest(0, 1, size, 0, [(topic, [(partition, 0, size)])]))
        out = []
        for _, partitions in response.topics:
            for _, error_code, _, *data in partitions:
                assert error_code == 0
                records = MemoryRecords(data[-1])
                while records.has_next():
                    out.append([(r.offset, r.key, r.value, r.headers) for r in records.next_batch()])
        return out
    finally:
        await client.close()


async def ends_now(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
        return {tp.partition: end for tp, end in ends.items()}
    finally:
        await consumer.stop()


def test_records_go_to_their_partitions_in_order_with_headers_readable_on_return(kafka, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    records = [(n % 3, f"key-{n}".encode(), f"value-{n}".encode(),
                [("tyndau-command", f"{n % 3}:{n}".encode()), ("n", b"%d" % n)]) for n in range(12)]
    records.append((1, None, b"no key", []))

    async def run():
        topic = await private_topic(kafka, "outcome-writer", 3)
        writer = OutcomeWriter()
        try:
            await writer.write(topic, records)
            ends = await ends_now(kafka, topic, 3)   # at once: write() returned only once the records were there
            stored = {p: await record_batches(kafka, topic, p) for p in range(3)}
            await writer.write(topic, [])             # nothing to write: returns, writes nothing
            return ends, stored, await ends_now(kafka, topic, 3)
        finally:
            await writer.stop()

    ends, stored, after_empty = asyncio.run(asyncio.wait_for(run(), 60))
    assert ends == {0: 4, 1: 5, 2: 4} == after_empty
    for partition in range(3):
        expected = [(key, value, headers) for p, key, value, headers in records if p == partition]
        assert len(stored[partition]) == 1, "one record batch per partition"
        got = stored[partition][0]
        assert [offset for offset, *_ in got] == list(range(len(expected)))
        assert [(key, value, list(headers)) for _, key, value, headers in got] == expected


def test_more_than_the_record_batch_limit_is_split_into_several_batches_in_order(kafka, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    size = LIMIT // 3 + 1000   # two fit in a batch, a third does not
    big = [(0, b"k%d" % n, bytes([65 + n]) * size, [("n", b"%d" % n)]) for n in range(7)]
    huge = (0, b"huge", b"z" * (LIMIT + 10_000), [])   # over the limit alone: a batch of its own
    records = big[:5] + [huge] + big[5:] + [(1, b"small", b"s", [])]

    async def run():
        topic = await private_topic(kafka, "outcome-writer", 2)
        writer = OutcomeWriter()
        try:
            await writer.write(topic, records)
            return await ends_now(kafka, topic, 2), await record_batches(kafka, topic, 0), await record_batches(kafka, topic, 1)
        finally:
            await writer.stop()

    ends, batches, other = asyncio.run(asyncio.wait_for(run(), 60))
    assert ends == {0: 8, 1: 1}
    assert [[key for _, key, _, _ in batch] for batch in batches] == [
        [b"k0", b"k1"], [b"k2", b"k3"], [b"k4"], [b"huge"], [b"k5", b"k6"]]
    for batch in batches:
        assert len(batch) == 1 or sum(len(value) for _, _, value, _ in batch) <= LIMIT
    flat = [record for batch in batches for record in batch]
    assert [offset for offset, *_ in flat] == list(range(8))
    assert [(key, value, list(headers)) for _, key, value, headers in flat] == [(k, v, h) for p, k, v, h in records if p == 0]
    assert [[key for _, key, _, _ in batch] for batch in other] == [[b"small"]]
