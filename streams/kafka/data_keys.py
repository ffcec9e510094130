"""appeals.keys: each appeal's data key (Avro AppealDataKey, key: appeal id), and the tombstones that destroy them.

The topic is compacted and co-partitioned with appeals.events: an appeal's key lives at the partition its id
hashes to, written there by the ledger that owns that partition, in the transaction of the appeal's first
event. A tombstone (null value, header `tyndau-erased`: the erasure's access id) destroys the key; tombstones
are kept for ever (delete.retention.ms), so the date of an erasure stays readable as the tombstone's time,
while the key record it superseded is compacted away within KEYS_COMPACTION_LAG_MS.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from .. import settings, topics
from ..avro import codec
from ..domain.sealing import KeyUnavailable
from .records import partition_of
from .security import connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    """An appeal whose data key was destroyed: when (the tombstone's time)."""
    at: datetime


KeyEntry = dict[str, Any] | Erased   # an AppealDataKey record, or the erasure that replaced it


def key_value(record: dict[str, Any]) -> bytes:
    return codec.encode(codec.DATA_KEY, record)


def entry_of(value: bytes | None, timestamp_ms: int, appeal_id: str) -> KeyEntry:
    """What one record of appeals.keys says of its appeal (KeyUnavailable for bytes this code did not write)."""
    if value is None:
        return Erased(datetime.fromtimestamp(timestamp_ms / 1000, timezone.utc))
    try:
        record = codec.decode(value, codec.DATA_KEY)
    except Exception:   # noqa: BLE001 — any undecodable bytes
        raise KeyUnavailable("a record of appeals.keys that is not an AppealDataKey") from None
    if record.get("appeal_id") != appeal_id:
        raise KeyUnavailable("a record of appeals.keys whose appeal id is not its key")
    return record


def replaces(known: str | None, erasure: bool) -> bool:
    """Whether a record of appeals.keys replaces what a reader knows of its appeal (`known`: None, "key" or
    "erased"); the one rule of every reader (the ledger's disk, `lookup_keys`). An erasure is final: nothing
    after it counts, a second erasure included (its date is the first's). An erasure destroys a key. An
    appeal's first key is its key: a later one would make the fields it sealed unreadable."""
    if known == "erased":
        return False
    return erasure or known is None


async def records_between(consumer: AIOKafkaConsumer, tp: TopicPartition, start: int | None,
                          end: int) -> AsyncIterator[Any]:
    """Every committed record of `tp` from `start` (its beginning when None) up to offset `end` (exclusive)."""
    if start is None:
        await consumer.seek_to_beginning(tp)
    else:
        consumer.seek(tp, start)
    # The position, not the records: transaction markers take offsets no record is handed for.
    while await consumer.position(tp) < end:
        for record in (await consumer.getmany(tp, timeout_ms=1000, max_records=5000)).get(tp, []):
            if record.offset < end:
                yield record


def keys_consumer(bootstrap: str | None = None) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(**connection(bootstrap), group_id=None, enable_auto_commit=False,
                            isolation_level="read_committed", auto_offset_reset="earliest")


async def lookup_keys(appeal_ids: list[str], bootstrap: str | None = None) -> dict[str, KeyEntry]:
    """Each appeal's entry on appeals.keys, as the ledger reads them: its first key, or its erasure once there
    is one (appeals with neither are left out).

    It reads each partition concerned to its end: a compacted partition holds one record per appeal, about
    150 bytes, so this takes about a second per million appeals of the partition."""
    wanted: dict[int, set[str]] = {}
    for appeal_id in appeal_ids:
        wanted.setdefault(partition_of(appeal_id.encode()), set()).add(appeal_id)
    found: dict[str, KeyEntry] = {}
    if not wanted:
        return found
    consumer = keys_consumer(bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topics.KEYS, p) for p in sorted(wanted)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            ids = wanted[tp.partition]
            async for record in records_between(consumer, tp, None, ends[tp]):
                appeal_id = record.key.decode("utf-8", "replace") if record.key else ""
                if appeal_id in ids:
                    try:
                        entry = entry_of(record.value, record.timestamp, appeal_id)
                    except Exception as error:   # noqa: BLE001 — bytes of any shape: skipped
                        log.error("skipping %s[%d]@%d: %s", tp.topic, tp.partition, record.offset, type(error).__name__)
                        continue
                    known = found.get(appeal_id)
                    if replaces(None if known is None else "erased" if isinstance(known, Erased) else "key",
                                isinstance(entry, Erased)):
                        found[appeal_id] = entry
        return found
    finally:
        await consumer.stop()


async def destroy_keys(erasures: list[dict[str, Any]], bootstrap: str | None = None) -> None:
    """Destroy the data keys of these appeals: per AccessRecorded record (its `object` the appeal id), a
    tombstone on appeals.keys naming the record, and the record on appeals.access, all in one transaction:
    no key is destroyed without its record, and no record claims an erasure that did not happen."""
    if not erasures:
        return
    producer = AIOKafkaProducer(**connection(bootstrap), acks="all", enable_idempotence=True,
                                transactional_id=f"{settings.APP_ID}-erase-{uuid.uuid4()}")
    await producer.start()
    try:
        async with producer.transaction():
            sent = []
            for record in erasures:
                key = record["object"].encode()
                sent.append(await producer.send(topics.KEYS, key=key, value=None, partition=partition_of(key),
                                                headers=[(topics.ERASED_HEADER, record["access_id"].encode())]))
                sent.append(await producer.send(topics.ACCESS, key=key, value=codec.encode(codec.ACCESS_RECORD, record)))
            written = [await future for future in sent]
    finally:
        await producer.stop()
    # The broker answers the commit before the commit markers are on every partition: until then a
    # read_committed reader (lookup_keys, the ledgers) stops short of the tombstones. Once they are visible, an
    # erasure's caller reads what it did.
    await until_visible({TopicPartition(m.topic, m.partition): m.offset for m in written if m.topic == topics.KEYS},
                        bootstrap)


async def until_visible(offsets: dict[TopicPartition, int], bootstrap: str | None = None, timeout: float = 30.0) -> None:
    """Wait until a read_committed reader sees each partition up to and including its offset (its last stable
    offset is past it)."""
    last: dict[TopicPartition, int] = {}
    for tp, offset in offsets.items():
        last[tp] = max(offset, last.get(tp, -1))
    consumer = keys_consumer(bootstrap)
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while last:
            ends = await consumer.end_offsets(list(last))
            last = {tp: offset for tp, offset in last.items() if ends[tp] <= offset}
            if last and asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{topics.KEYS}: the erasures were committed, but are not visible yet")
            if last:
                await asyncio.sleep(0.05)
    finally:
        await consumer.stop()
