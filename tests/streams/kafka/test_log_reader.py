"""streams/kafka/log_reader.py against the real broker: the exact bytes at given (partition, offset) places of appeals.events."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams import settings, topics
from streams.avro import codec
from streams.domain.appeal import decide
from streams.domain.chain import seal
from streams.domain.commands import parse_command
from streams.kafka.log_reader import LogReader
from tests.support.appeals import FIELDS

pytestmark = pytest.mark.integration
RECORDED_AT = datetime(2099, 3, 2, 4, tzinfo=timezone.utc)
LAST = settings.PARTITIONS - 1   # appeals.events has settings.PARTITIONS partitions


def filing(tag: str) -> tuple[bytes, bytes]:
    """(key, value) of a real, sealed filing of an appeal of this test's own, in 2099 so no deadline
    passes for it: what the ledger would write, so other readers of the shared topic take it in stride."""
    appeal_id = f"logreader-{tag}-{uuid.uuid4().hex[:10]}"
    command = parse_command({"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id,
                             "at": "2099-03-02T09:00:00+05:00", **FIELDS["file"]})
    return appeal_id.encode(), codec.encode_event(seal(decide(None, command, RECORDED_AT)))


async def write_one_by_one(bootstrap: str, records: list[tuple[int, bytes, bytes]]) -> dict[tuple[int, int], bytes]:
    """Each (partition, key, value) as its own request; the places the broker gave them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        out = {}
        for partition, key, value in records:
            meta = await producer.send_and_wait(topics.EVENTS, value, key=key, partition=partition)
            out[(meta.partition, meta.offset)] = value
        return out
    finally:
        await producer.stop()


async def write_one_batch(bootstrap: str, partition: int, records: list[tuple[bytes, bytes]]) -> dict[tuple[int, int], bytes]:
    """All records as a single record batch; record i is at the batch's base offset + i."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_batch_size=512 * 1024)
    await producer.start()
    try:
        batch = producer.create_batch()
        for key, value in records:
            assert batch.append(key=key, value=value, timestamp=None) is not None, "the batch holds them all"
        meta = await (await producer.send_batch(batch, topics.EVENTS, partition=partition))
        return {(partition, meta.offset + i): value for i, (_, value) in enumerate(records)}
    finally:
        await producer.stop()


async def stable_end(bootstrap: str, tp: TopicPartition, beyond: int) -> int:
    """The partition's last stable offset once it is past `beyond`: the coordinator writes a commit
    marker a moment after the commit returns, and until then the transaction is open."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed")
    await consumer.start()
    try:
        while (end := (await consumer.end_offsets([tp]))[tp]) <= beyond:
            await asyncio.sleep(0.05)
        return end
    finally:
        await consumer.stop()


def fetch(bootstrap: str, places: list[tuple[int, int]], **options) -> dict[tuple[int, int], bytes]:
    async def run():
        reader = LogReader(bootstrap, **options)
        try:
            return await reader.fetch(places)
        finally:
            await reader.stop()
    return asyncio.run(asyncio.wait_for(run(), 30))


def test_fetch_returns_the_exact_bytes_at_each_place_several_per_partition(kafka):
    written = asyncio.run(write_one_by_one(kafka, [(p, *filing(f"p{p}n{n}")) for n in range(3) for p in (0, 1)]))
    assert len(written) == 6 and {p for p, _ in written} == {0, 1}
    places = list(written)[::-1] + [list(written)[2]]   # any order, one place asked twice
    got = fetch(kafka, places)
    assert got == written
    assert all(type(v) is bytes for v in got.values())


def test_fetch_finds_records_deep_inside_a_record_batch_larger_than_its_fetch_size(kafka):
    written = asyncio.run(write_one_batch(kafka, LAST, [filing(f"b{n}") for n in range(60)]))
    places = sorted(written)
    assert sum(len(v) for v in written.values()) > 4 * 4096, "the batch is far larger than one fetch of the reader below"
    wanted = [places[57], places[5], places[31], places[32]]
    assert fetch(kafka, wanted, max_bytes=4096) == {p: written[p] for p in wanted}
    assert fetch(kafka, [places[-1]]) == {places[-1]: written[places[-1]]}


def test_places_with_no_record_are_left_out(kafka):
    """A transaction's commit marker takes an offset of the log that holds no record."""
    key, value = filing("tx")

    async def run():
        producer = AIOKafkaProducer(bootstrap_servers=kafka, transactional_id=f"test-log-reader-{uuid.uuid4()}")
        await producer.start()
        try:
            async with producer.transaction():
                meta = await producer.send_and_wait(topics.EVENTS, value, key=key, partition=LAST)
        finally:
            await producer.stop()
        tp = TopicPartition(topics.EVENTS, LAST)
        end = await stable_end(kafka, tp, beyond=meta.offset + 1)
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign([tp])
            consumer.seek(tp, meta.offset)
            offsets = set()
            while await consumer.position(tp) < end:
                offsets |= {r.offset for r in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])}
        finally:
            await consumer.stop()
        return meta.offset, sorted(set(range(meta.offset, end)) - offsets)

    offset, gaps = asyncio.run(asyncio.wait_for(run(), 30))
    assert gaps, "the marker's offset is a gap in the records"
    assert fetch(kafka, [(LAST, gaps[0]), (LAST, offset)]) == {(LAST, offset): value}
    assert fetch(kafka, [(LAST, gaps[0])]) == {}


def test_a_place_past_the_end_of_the_partition_is_left_out(kafka):
    written = asyncio.run(write_one_by_one(kafka, [(0, *filing("end"))]))
    (partition, offset), = written
    assert fetch(kafka, [(partition, offset), (partition, offset + 10**9)]) == written
