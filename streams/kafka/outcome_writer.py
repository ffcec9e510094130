"""The ledger's writer of outcomes: one Kafka transaction per command partition and batch, fenced per partition.

Each command partition p has its own transactional id, `<app id>-ledger-<p>`. A worker given p opens a
producer with that id *before* its table recovers p (`fence`): the broker then aborts whatever a previous
owner left open and refuses every later write of that owner's producer (ProducerFenced). A worker that
paused past its session timeout (a long GC, a stalled VM) and resumes can therefore append nothing to a
partition that moved: the new owner's recovery read the log to its end after that fence. Readers of
appeals.events and appeals.rejected use isolation.level=read_committed.

A batch's data keys, rejections and events of one partition are one transaction: all are on the log, or
none, so an appeal's first event is never readable without its data key (appeals.keys).
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiokafka import AIOKafkaProducer
from aiokafka.errors import ProducerFenced
from aiokafka.producer.transaction_manager import TransactionState

from .. import settings, topics
from .security import connection

log = logging.getLogger(__name__)

Outgoing = tuple[int, bytes | None, bytes, list[tuple[str, bytes]]]   # (partition, key, value, headers)
# A batch's transaction takes well under a second. One left open (its writer stalled) holds back every
# read_committed reader of the partition until the broker aborts it: after 10 s, not Kafka's default 60 s.
TRANSACTION_TIMEOUT_MS = 10_000


class OutcomeWriter:
    """Transactional producers, one per command partition this worker owns.

    Outcomes go out as record batches (Faust's `Topic.send` costs a future, a callback and a buffer
    entry per record; at thousands of commands a second that was most of the ledger's time)."""

    def __init__(self, events_topic: str = topics.EVENTS, rejected_topic: str = topics.REJECTED,
                 transactional_prefix: str | None = None, keys_topic: str = topics.KEYS) -> None:
        self.events_topic, self.rejected_topic, self.keys_topic = events_topic, rejected_topic, keys_topic
        self.transactional_prefix = transactional_prefix or topics.LEDGER_TRANSACTIONAL_ID
        self.producers: dict[int, AIOKafkaProducer] = {}
        self.owned: set[int] = set()
        self.locks: dict[int, asyncio.Lock] = {}   # a partition's write and its producer's replacement never overlap

    def _lock(self, partition: int) -> asyncio.Lock:
        return self.locks.setdefault(partition, asyncio.Lock())

    async def fence(self, partitions: set[int]) -> None:
        """Take these partitions over: a new producer per transactional id fences any earlier one."""
        async def take(partition: int) -> None:
            async with self._lock(partition):
                old = self.producers.pop(partition, None)
                if old is not None:
                    await old.stop()
                producer = AIOKafkaProducer(**connection(), transactional_id=f"{self.transactional_prefix}-{partition}", acks="all",
                                            enable_idempotence=True, max_batch_size=settings.LEDGER_RECORD_BATCH_BYTES,
                                            client_id=f"{topics.LEDGER_CLIENT_ID}-{partition}", linger_ms=0,
                                            transaction_timeout_ms=TRANSACTION_TIMEOUT_MS)
                await producer.start()   # InitProducerId: from here on the previous owner's producer is fenced
                self.producers[partition] = producer

        await asyncio.gather(*(take(p) for p in sorted(partitions)))

    def assigned(self, partitions: set[int]) -> None:
        """The command partitions this worker owns in the current generation."""
        self.owned = set(partitions)

    async def stop(self) -> None:
        producers, self.producers = list(self.producers.values()), {}
        for producer in producers:
            await producer.stop()

    async def write(self, rejections: list[Outgoing], events: list[Outgoing],
                    keys: list[Outgoing] = ()) -> dict[int, int | None]:
        """Write each partition's data keys, rejections and events in one transaction and wait for its commit.

        Returns, per partition written, the offset of its last event (None if it had only rejections).
        A partition that moved to another worker is left out: its commands are judged there.
        Any other failure stops the worker before these commands' offsets can be committed, so they
        are judged again after the restart."""
        by_partition: dict[int, tuple[list[Outgoing], list[Outgoing], list[Outgoing]]] = {}
        for slot, records in enumerate((rejections, events, keys)):
            for record in records:
                by_partition.setdefault(record[0], ([], [], []))[slot].append(record)
        results = await asyncio.gather(*(self._write_partition(p, r, e, k) for p, (r, e, k) in by_partition.items()))
        return {p: last for p, (written, last) in zip(by_partition, results) if written}

    async def _write_partition(self, partition: int, rejections: list[Outgoing], events: list[Outgoing],
                               keys: list[Outgoing]) -> tuple[bool, int | None]:
        async with self._lock(partition):
            return await self._write_locked(partition, rejections, events, keys)

    async def _write_locked(self, partition: int, rejections: list[Outgoing], events: list[Outgoing],
                            keys: list[Outgoing]) -> tuple[bool, int | None]:
        producer = self.producers.get(partition)
        try:
            if producer is None or fenced(producer):
                raise ProducerFenced()   # not fenced in, or fenced out: another worker owns the partition
            async with producer.transaction():
                await _send(producer, self.keys_topic, partition, keys)
                await _send(producer, self.rejected_topic, partition, rejections)
                last = await _send(producer, self.events_topic, partition, events)
            return True, last
        except ProducerFenced:
            if producer is not None and self.producers.get(partition) is producer:
                del self.producers[partition]   # a fenced producer can never write again
            if partition not in self.owned:
                log.warning("appeals partition %d moved to another worker; its %d outcomes are left to it",
                            partition, len(rejections) + len(events))
                return False, None
            log.critical("fenced on appeals partition %d while still assigned to it: another worker wrote it since; "
                         "stopping so the partition is recovered from the log", partition)
            os._exit(70)
        except Exception as error:   # not durable: stop before the consumer commits past these commands
            log.critical("could not write to the ledger (partition %d): %r; stopping so no command is acknowledged",
                         partition, error)
            os._exit(70)


def fenced(producer: AIOKafkaProducer) -> bool:
    """True once the broker has fenced this producer (its transaction state is then final)."""
    return producer._txn_manager is not None and producer._txn_manager.state == TransactionState.FATAL_ERROR


async def _send(producer: AIOKafkaProducer, topic: str, partition: int, records: list[Outgoing]) -> int | None:
    """Send records in order as record batches; the offset of the last one once all are acknowledged."""
    if not records:
        return None
    sent: list[tuple[asyncio.Future, int]] = []
    batch, count = producer.create_batch(), 0
    for _, key, value, headers in records:
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:   # full
            sent.append((await producer.send_batch(batch, topic, partition=partition), count))
            batch, count = producer.create_batch(), 0
            # A new batch takes its first record whatever its size; the broker's limit applies.
            batch.append(key=key, value=value, timestamp=None, headers=headers)
        count += 1
    sent.append((await producer.send_batch(batch, topic, partition=partition), count))
    last = None
    for future, n in sent:
        metadata = await future
        last = metadata.offset + n - 1
    return last
