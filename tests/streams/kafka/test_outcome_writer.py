"""streams/kafka/outcome_writer.py on the real broker: each partition's outcomes in one transaction, in order, in bounded
batches, readable on return; a worker whose partition moved is fenced by the broker."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import ProducerFenced
from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.record.memory_records import MemoryRecords

from streams import settings
from streams.kafka.outcome_writer import OutcomeWriter
from tests.support.kafka_topics import private_topic

pytestmark = pytest.mark.integration
LIMIT = settings.LEDGER_RECORD_BATCH_BYTES


async def record_batches(bootstrap: str, topic: str, partition: int) -> list[list[tuple]]:
    """The partition's record batches as stored: each a list of (offset, key, value, headers); markers left out."""
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
                    batch = records.next_batch()
                    if not batch.is_control_batch:   # leave out the transactions' commit markers
                        out.append([(r.offset, r.key, r.value, r.headers) for r in batch])
        return out
    finally:
        await client.close()


async def committed(bootstrap: str, topic: str, partition: int) -> list[bytes]:
    """The values a read_committed reader sees in the partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        values = []
        while await consumer.position(tp) < end:
            values += [r.value for r in (await consumer.getmany(tp, timeout_ms=500)).get(tp, [])]
        return values
    finally:
        await consumer.stop()


async def topics_and_writer(kafka: str, partitions: int, **names) -> tuple[str, str, OutcomeWriter]:
    events = await private_topic(kafka, "outcome-events", partitions)
    rejected = await private_topic(kafka, "outcome-rejected", partitions)
    writer = OutcomeWriter(events, rejected, transactional_prefix=f"test-{uuid.uuid4().hex[:8]}", **names)
    await writer.fence(set(range(partitions)))
    writer.assigned(set(range(partitions)))
    return events, rejected, writer


async def ends_now(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed")
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
    rejections = [(2, b"r", b"rejected-2", [])]

    async def run():
        events, rejected, writer = await topics_and_writer(kafka, 3)
        try:
            written = await writer.write(rejections, records)
            # at once: write() returned only once each partition's transaction was committed
            ends = await ends_now(kafka, events, 3)
            seen = {p: await committed(kafka, events, p) for p in range(3)}
            stored = {p: await record_batches(kafka, events, p) for p in range(3)}
            nothing = await writer.write([], [])             # nothing to write: returns, writes nothing
            return (written, ends, seen, stored, nothing, await ends_now(kafka, events, 3),
                    await committed(kafka, rejected, 2))
        finally:
            await writer.stop()

    written, ends, seen, stored, nothing, after_empty, rejected = asyncio.run(asyncio.wait_for(run(), 60))
    # each partition: its records, then the transaction's commit marker
    assert ends == {0: 5, 1: 6, 2: 5} == after_empty and nothing == {}
    assert written == {0: 3, 1: 4, 2: 3}, "the offset of each partition's last event"
    assert rejected == [b"rejected-2"]
    for partition in range(3):
        expected = [(key, value, headers) for p, key, value, headers in records if p == partition]
        assert seen[partition] == [value for _, value, _ in expected]
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
        events, _, writer = await topics_and_writer(kafka, 2)
        try:
            written = await writer.write([], records)
            return written, await record_batches(kafka, events, 0), await record_batches(kafka, events, 1)
        finally:
            await writer.stop()

    written, batches, other = asyncio.run(asyncio.wait_for(run(), 60))
    assert written == {0: 7, 1: 0}
    data = batches
    assert [[key for _, key, _, _ in batch] for batch in data] == [
        [b"k0", b"k1"], [b"k2", b"k3"], [b"k4"], [b"huge"], [b"k5", b"k6"]]
    for batch in data:
        assert len(batch) == 1 or sum(len(value) for _, _, value, _ in batch) <= LIMIT
    flat = [record for batch in data for record in batch]
    assert [offset for offset, *_ in flat] == list(range(8))
    assert [(key, value, list(headers)) for _, key, value, headers in flat] == [(k, v, h) for p, k, v, h in records if p == 0]
    assert [[key for _, key, _, _ in batch] for batch in other] == [[b"small"]]


def test_a_worker_whose_partition_moved_is_fenced_and_its_open_transaction_never_seen(kafka, monkeypatch):
    """Two writers with the same transactional ids, as two ledger workers: the one that takes partition 0
    over fences the other. The zombie's open transaction is aborted, its later write leaves nothing on the
    log, and the partition it still owns is written as before."""
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)

    async def run():
        events, rejected, zombie = await topics_and_writer(kafka, 2)
        successor = OutcomeWriter(events, rejected, transactional_prefix=zombie.transactional_prefix)
        try:
            producer = zombie.producers[0]
            await producer.begin_transaction()   # the zombie was mid-batch when it paused
            await (await producer.send(events, b"zombie-open", partition=0))
            await successor.fence({0})           # partition 0 moves: the broker aborts the zombie's transaction
            successor.assigned({0})
            with pytest.raises(ProducerFenced):  # the zombie resumes: its commit is refused
                await producer.commit_transaction()
            zombie.assigned({1})                 # the zombie learns it kept only partition 1
            late = await zombie.write([], [(0, b"k", b"zombie-late", []), (1, b"k", b"zombie-keeps-1", [])])
            new = await successor.write([], [(0, b"k", b"successor", [])])
            return late, new, await committed(kafka, events, 0), await committed(kafka, events, 1)
        finally:
            await zombie.stop()
            await successor.stop()

    late, new, partition0, partition1 = asyncio.run(asyncio.wait_for(run(), 90))
    assert set(late) == {1}, "the moved partition's outcomes are left out, not written"
    assert partition0 == [b"successor"] and 0 in new
    assert partition1 == [b"zombie-keeps-1"]
