"""streams/kafka/topic_reader.py against the real broker: a topic read up to the end it had on entry, never waiting."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.kafka.topic_reader import TopicReader
from tests.support.kafka_topics import private_topic

pytestmark = pytest.mark.integration


async def produce(bootstrap: str, topic: str, records: list[tuple[int, bytes]]) -> list[tuple[int, int, bytes]]:
    """Send (partition, value) records; their (partition, offset, value) as the broker acknowledged them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=value, partition=partition) for partition, value in records]
        return [(m.partition, m.offset, value) for m, (_, value) in zip([await f for f in futures], records)]
    finally:
        await producer.stop()


async def read(reader: TopicReader) -> list[tuple[int, int, bytes]]:
    out = []
    async for tp, records in reader.batches():
        assert all(r.topic == reader.topic and r.partition == tp.partition for r in records)
        out += [(tp.partition, r.offset, r.value) for r in records]
    return out


async def markers_written(bootstrap: str, topic: str, ends: dict[int, int]) -> None:
    """Until the last stable offsets are `ends`: the coordinator writes a transaction's markers a
    moment after the commit (or abort) returns, and until then the transaction is open."""
    tps = [TopicPartition(topic, p) for p in ends]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed")
    await consumer.start()
    try:
        while {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()} != ends:
            await asyncio.sleep(0.05)
    finally:
        await consumer.stop()


def test_reads_exactly_the_records_present_at_entry_from_every_partition(kafka):
    async def run():
        topic = await private_topic(kafka, "topic-reader", 3)
        counts = {0: 5, 1: 1, 2: 7}
        present = await produce(kafka, topic, [(p, f"{p}-{i}".encode()) for p in counts for i in range(counts[p])])
        async with TopicReader(kafka, topic, max_records=2) as reader:   # several fetches per partition
            assert reader.total == 13
            later = await produce(kafka, topic, [(p, f"later-{p}".encode()) for p in counts])
            got = await read(reader)
            assert reader.total == 13
        return present, later, got

    present, later, got = asyncio.run(asyncio.wait_for(run(), 30))
    assert sorted(got) == sorted(present)
    assert len(got) == len(set(got)) == 13, "each record once"
    for partition in (0, 1, 2):
        mine = [offset for p, offset, _ in got if p == partition]
        assert mine == sorted(mine), "in log order within a partition"
    assert not set(later) & set(got), "records written during the read are not included"


def test_an_empty_topic_ends_at_once(kafka):
    async def run():
        topic = await private_topic(kafka, "topic-reader", 2)
        async with TopicReader(kafka, topic) as reader:
            started = time.monotonic()
            got = await read(reader)
            return reader.total, got, time.monotonic() - started

    total, got, seconds = asyncio.run(asyncio.wait_for(run(), 30))
    assert (total, got) == (0, [])
    assert seconds < 0.5


def test_a_commit_marker_at_the_end_does_not_make_it_wait(kafka):
    """A transaction's commit (and an abort's) marker takes the last offset, where no record is to be read."""
    async def run():
        topic = await private_topic(kafka, "topic-reader", 2)
        plain = await produce(kafka, topic, [(1, b"plain")])
        producer = AIOKafkaProducer(bootstrap_servers=kafka, transactional_id=f"test-topic-reader-{uuid.uuid4()}")
        await producer.start()
        try:
            async with producer.transaction():
                committed = [await producer.send_and_wait(topic, value, partition=0) for value in (b"t1", b"t2")]
            await producer.begin_transaction()
            await producer.send_and_wait(topic, b"aborted", partition=1)
            await producer.abort_transaction()
        finally:
            await producer.stop()
        await markers_written(kafka, topic, {0: 3, 1: 3})
        async with TopicReader(kafka, topic) as reader:
            ends = {tp.partition: end for tp, end in reader.ends.items()}
            started = time.monotonic()
            got = await asyncio.wait_for(read(reader), 10)
            return plain, committed, ends, got, time.monotonic() - started

    plain, committed, ends, got, seconds = asyncio.run(asyncio.wait_for(run(), 60))
    assert ends == {0: 3, 1: 3}, "each partition ends with a control marker"
    assert sorted(got) == sorted(plain + [(m.partition, m.offset, v) for m, v in zip(committed, (b"t1", b"t2"))])
    assert seconds < 3
