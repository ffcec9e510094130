"""appeals.keys against the real broker (issue 15): an appeal's latest key record is found, a tombstone
destroys it with its access record in one transaction, and bytes this code did not write are refused."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from streams import settings, topics
from streams.domain.principals import Principal
from streams.domain.sealing import KeyUnavailable, LocalMasterKey, data_key_record, open_data_key
from streams.kafka.access import access_record
from streams.kafka.admin import ensure_topics
from streams.kafka.data_keys import Erased, destroy_keys, entry_of, key_value, lookup_keys
from streams.kafka.records import partition_of

MASTER = LocalMasterKey(os.urandom(32))


async def put(bootstrap: str, records: list[tuple[str, bytes | None]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for appeal_id, value in records:
            await producer.send_and_wait(topics.KEYS, value, key=appeal_id.encode(), partition=partition_of(appeal_id.encode()))
    finally:
        await producer.stop()


@pytest.mark.integration
def test_a_key_is_found_and_a_tombstone_erases_it_with_its_record(kafka, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    ensure_topics(kafka)
    ids = [f"dk-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    data_keys = {a: os.urandom(32) for a in ids}
    now = datetime.now(timezone.utc)
    asyncio.run(put(kafka, [(a, key_value(data_key_record(a, f"key-{a}", data_keys[a], MASTER, now))) for a in ids]))

    found = asyncio.run(lookup_keys(ids + ["dk-never-filed"]))
    assert set(found) == set(ids)
    assert all(open_data_key(found[a], MASTER) == data_keys[a] for a in ids)

    record = access_record(Principal("test-admin", "admin"), "erase_personal_data", "appeal", ids[0],
                           purpose="citizen's request", via="cli")
    asyncio.run(destroy_keys([record]))
    after = asyncio.run(lookup_keys(ids))
    assert isinstance(after[ids[0]], Erased) and abs((after[ids[0]].at - datetime.now(timezone.utc)).total_seconds()) < 60
    assert open_data_key(after[ids[1]], MASTER) == data_keys[ids[1]]   # the others untouched


def test_bytes_this_code_did_not_write_are_refused():
    with pytest.raises(KeyUnavailable):
        entry_of(b"\xc3\x01garbage", 0, "A-1")
    record = key_value(data_key_record("A-1", "k", os.urandom(32), MASTER, datetime.now(timezone.utc)))
    with pytest.raises(KeyUnavailable, match="appeal id is not its key"):
        entry_of(record, 0, "A-2")
    assert entry_of(None, 1_700_000_000_000, "A-1") == Erased(datetime.fromtimestamp(1_700_000_000, timezone.utc))


@pytest.mark.integration
def test_the_log_cleaner_removes_a_destroyed_key_and_keeps_its_tombstone(kafka):
    """appeals.keys' settings on a topic of this test's own, with segments rolled and compaction due at once
    (the contract rolls hourly and compacts within a day): the key record is gone from the log, the
    tombstone (the erasure's date) stays."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    spec = next(s for s in topics.topic_specs(1) if s.name == topics.KEYS)
    name = f"test.keys-{uuid.uuid4().hex[:8]}"
    config = {**spec.config, "segment.ms": "200", "max.compaction.lag.ms": "200", "min.insync.replicas": "1"}
    wrapped = key_value(data_key_record("A-1", "k", os.urandom(32), MASTER, datetime.now(timezone.utc)))

    async def run() -> list:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, 1, 1, topic_configs=config)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None, auto_offset_reset="earliest")
        await consumer.start()
        tp = TopicPartition(name, 0)
        try:
            await producer.send_and_wait(name, wrapped, key=b"A-1")
            await producer.send_and_wait(name, None, key=b"A-1")
            deadline = asyncio.get_running_loop().time() + 120
            while True:
                await asyncio.sleep(0.5)   # each new record rolls the segment before it, which the cleaner may then take
                await producer.send_and_wait(name, b"filler", key=f"filler-{uuid.uuid4().hex[:6]}".encode())
                consumer.assign([tp])
                await consumer.seek_to_beginning(tp)
                end = (await consumer.end_offsets([tp]))[tp]
                records = []
                while await consumer.position(tp) < end:
                    records += (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
                mine = [r for r in records if r.key == b"A-1"]
                if [r.value for r in mine] == [None] or asyncio.get_running_loop().time() > deadline:
                    return mine
        finally:
            await consumer.stop()
            await producer.stop()

    remaining = asyncio.run(run())
    assert [r.value for r in remaining] == [None], "the destroyed key is still on the log"


@pytest.mark.parametrize("known, erasure, replaced", [
    (None, False, True),        # an appeal's first key is its key
    ("key", False, False),      # a later one would make what the first sealed unreadable
    (None, True, True),         # an erasure before any key: erased all the same
    ("key", True, True),        # an erasure destroys the key
    ("erased", False, False),   # an erasure is final: no key after it
    ("erased", True, False),    # and its date is the first erasure's
])
def test_every_reader_of_the_keys_applies_one_rule(known, erasure, replaced):
    from streams.kafka.data_keys import replaces

    assert replaces(known, erasure) is replaced
