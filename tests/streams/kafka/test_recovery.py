"""streams/kafka/recovery.py on the real broker: the offset of the last record a read_committed reader sees, past
commit and abort markers and aborted batches longer than a window, never below the floor; and CommittedRecovery's
highwaters, which replace Faust's own."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faust.types import TP

from streams import settings
from streams.kafka.recovery import WINDOW, CommittedRecovery, last_visible_offsets
from tests.support.kafka_topics import private_topic

pytestmark = pytest.mark.integration

# What each partition of the test topic holds, written in this order: plain records (no transaction), records of a
# committed transaction (then its commit marker), records of an aborted one (then its abort marker).
PLAN = {
    0: [],
    1: [("plain", 5)],
    2: [("commit", 5)],
    3: [("commit", 3), ("abort", WINDOW + 50)],
    4: [("plain", WINDOW * 2 + 88)],
    5: [("commit", 2), ("abort", 10)],
    6: [("abort", 5)],
    7: [("commit", 3), ("commit", 2)],
    8: [("plain", 3), ("abort", 3), ("plain", 2)],
}
# The offset of each partition's last visible record (-1: none), worked out by hand from PLAN.
LAST_VISIBLE = {0: -1, 1: 4, 2: 4, 3: 2, 4: WINDOW * 2 + 87, 5: 1, 6: -1, 7: 5, 8: 8}


async def markers_written(bootstrap: str, topic: str, partition: int) -> None:
    """Return once the partition's transaction markers are in its log: the broker returns from EndTxn before its
    coordinator has written them, and a record sent meanwhile would land before the marker."""
    committed = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed")
    uncommitted = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_uncommitted")
    await committed.start()
    await uncommitted.start()
    try:
        tp = TopicPartition(topic, partition)
        for _ in range(100):
            if (await committed.end_offsets([tp]))[tp] == (await uncommitted.end_offsets([tp]))[tp]:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the transaction markers of {tp} were not written within 5 s")
    finally:
        await committed.stop()
        await uncommitted.stop()


async def fill(bootstrap: str, topic: str, plan: dict[int, list[tuple[str, int]]]) -> None:
    plain = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    transactional = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"test-recovery-{uuid.uuid4().hex[:8]}")
    await plain.start()
    await transactional.start()
    try:
        for partition, steps in plan.items():
            for n, (kind, count) in enumerate(steps):
                values = [f"{partition}-{n}-{kind}-{i}".encode() for i in range(count)]
                if kind == "plain":
                    await asyncio.gather(*[await plain.send(topic, v, partition=partition) for v in values])
                    continue
                await transactional.begin_transaction()
                await asyncio.gather(*[await transactional.send(topic, v, partition=partition) for v in values])
                if kind == "commit":
                    await transactional.commit_transaction()
                else:
                    await transactional.abort_transaction()
                await markers_written(bootstrap, topic, partition)
    finally:
        await transactional.stop()
        await plain.stop()


async def committed_view(bootstrap: str, topic: str, partitions: int) -> tuple[dict[TP, int], dict[TP, list[int]]]:
    """The end offsets (read_committed, as Faust's consumer gives its highwaters) and the offsets of every record a
    read_committed reader sees, per partition: the second is what the first is checked against."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        seen: dict[TP, list[int]] = {}
        for part in parts:
            offsets = seen[TP(topic, part.partition)] = []
            consumer.seek(part, 0)
            while await consumer.position(part) < ends[part]:
                offsets += [r.offset for r in (await consumer.getmany(part, timeout_ms=500)).get(part, [])]
        return {TP(topic, tp.partition): end for tp, end in ends.items()}, seen
    finally:
        await consumer.stop()


@pytest.fixture(scope="module")
def filled(kafka):
    """The topic of PLAN, its end offsets and what a read_committed reader sees in it."""
    async def run():
        topic = await private_topic(kafka, "recovery", partitions=len(PLAN))
        await fill(kafka, topic, PLAN)
        return topic, *(await committed_view(kafka, topic, len(PLAN)))

    topic, ends, seen = asyncio.run(asyncio.wait_for(run(), 60))
    # The plan does what it says: markers and aborted records lie between the last visible record and the end.
    assert {tp.partition: (offsets[-1] if offsets else -1) for tp, offsets in seen.items()} == LAST_VISIBLE
    assert ends[TP(topic, 2)] == 6, "a committed transaction's last offset is its commit marker"
    assert ends[TP(topic, 3)] - 1 - LAST_VISIBLE[3] > WINDOW, "the aborted batch is longer than a window"
    assert ends[TP(topic, 6)] == 6 and seen[TP(topic, 6)] == []
    return topic, ends, seen


def visible(kafka: str, ends: dict, floors: dict) -> dict:
    return asyncio.run(asyncio.wait_for(last_visible_offsets(ends, floors, kafka), 60))


def test_without_floors_the_result_is_each_partitions_last_visible_record(kafka, filled):
    topic, ends, _ = filled
    result = visible(kafka, ends, {})
    assert result == {TP(topic, p): offset for p, offset in LAST_VISIBLE.items()}
    assert visible(kafka, ends, {tp: None for tp in ends}) == result


@pytest.mark.parametrize("partition,floor,expected", [
    (1, 4, 4),        # plain records, the floor on the last one
    (1, 2, 4),        # records above the floor
    (2, 4, 4),        # the last record of a committed transaction: the marker above it is not a record
    (3, 2, 2),        # only aborted records (more than a window) above the floor
    (3, 10, 10),      # a floor above the last visible record: the floor
    (3, -1, 2),
    (4, 100, WINDOW * 2 + 87),
    (5, 1, 1),        # only aborted records above the floor
    (5, 0, 1),
    (6, -1, -1),      # nothing but aborted records
    (7, 2, 5),        # the second committed transaction above the floor
    (7, 5, 5),
    (8, 2, 8),        # plain records after an aborted transaction
    (0, -1, -1),
])
def test_the_result_never_goes_below_the_floor(kafka, filled, partition, floor, expected):
    topic, ends, seen = filled
    tp = TP(topic, partition)
    result = visible(kafka, {tp: ends[tp]}, {tp: floor})
    assert result == {tp: expected}
    assert expected == floor or expected in seen[tp]   # a record the ledger can fold, or the floor itself


def test_every_partition_is_answered_with_floors_for_some(kafka, filled):
    topic, ends, _ = filled
    floors = {TP(topic, 1): 4, TP(topic, 3): 2, TP(topic, 7): 2, TP(topic, 4): None}
    expected = {TP(topic, p): offset for p, offset in LAST_VISIBLE.items()} | {TP(topic, 1): 4, TP(topic, 3): 2}
    assert visible(kafka, ends, floors) == expected


# --- CommittedRecovery: Faust's highwaters, replaced --------------------------------------------------------------

class Highwaters:
    """The one thing Recovery._build_highwaters asks of Faust's consumer: its highwaters (read_committed end offsets)."""

    def __init__(self, ends: dict[TP, int | None]) -> None:
        self.ends = ends

    async def highwaters(self, *tps: TP) -> dict[TP, int | None]:
        return {tp: self.ends[tp] for tp in tps}


class PersistedTable:
    """A table as Recovery.tp_to_table holds it: what it already has on disk, per partition."""

    def __init__(self, floors: dict[TP, int | None]) -> None:
        self.floors = floors

    def persisted_offset(self, tp: TP) -> int | None:
        return self.floors[tp]


def test_committed_recovery_replaces_each_highwater_with_the_last_visible_record(kafka, filled, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)   # CommittedRecovery reads back through the settings' broker
    topic, ends, _ = filled
    recovery = CommittedRecovery(faust.App(f"test-recovery-{uuid.uuid4().hex[:6]}"), tables=None)
    tps = {TP(topic, p) for p in (0, 1, 2, 3, 5, 6)}
    table = PersistedTable({TP(topic, 3): 1, TP(topic, 5): 1, TP(topic, 6): None})
    recovery.tp_to_table = {tp: table for tp in table.floors}     # 0, 1 and 2: no table has them (floor None)
    highwaters = {tp: ends[tp] for tp in tps} | {TP(topic, 0): None}   # Faust's None: nothing known
    stale = TP(topic, 99)
    destination = Counter({stale: 7, TP(topic, 2): 1000, TP(topic, 3): 1000})

    asyncio.run(asyncio.wait_for(recovery._build_highwaters(Highwaters(highwaters), tps, destination, "active"), 60))
    assert dict(destination) == {TP(topic, 0): -1, TP(topic, 1): 4, TP(topic, 2): 4, TP(topic, 3): 2,
                                 TP(topic, 5): 1, TP(topic, 6): -1}


def test_faust_itself_would_wait_for_the_marker(kafka, filled):
    """Why CommittedRecovery exists: Faust's own highwater of a transactional partition is the marker's offset."""
    topic, ends, _ = filled
    recovery = faust.tables.recovery.Recovery(faust.App(f"test-recovery-{uuid.uuid4().hex[:6]}"), tables=None)
    destination: Counter = Counter()
    tp = TP(topic, 2)
    asyncio.run(recovery._build_highwaters(Highwaters({tp: ends[tp]}), {tp}, destination, "active"))
    assert dict(destination) == {tp: 5} != {tp: LAST_VISIBLE[2]}
