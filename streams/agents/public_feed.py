"""The public feed agent: appeals.events → appeals.public without personal data, exactly once.

Runs in a worker with the feed role as an app task with its own consumer group (topics.PUBLIC_FEED_GROUP,
`<app id>-public-feed`), which any number of feed processes share: each partition's batch is written in one
Kafka transaction together with its consumed offset, by that partition's own transactional producer, so a
crash neither loses nor repeats a public record and a paused process that lost the partition is fenced
(readers use isolation.level=read_committed).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import ProducerFenced

from .. import settings, topics
from ..app import app
from ..avro import codec
from ..domain.privacy import published_payload
from ..kafka.security import connection

log = logging.getLogger(__name__)
FEED_BATCH = 2000   # records fetched at once; each partition's share of them is one transaction
# Kafka's default. A feed transaction only sends what was encoded before it opened, but a loaded process
# (every role in one, `tyndau up`) can stall its event loop for seconds; the broker aborts a transaction
# open longer than this and the producer finds itself fenced. A stalled feed's open transaction holds back
# appeals.public's readers until then, or until the partition's next owner starts, which aborts it at once.
FEED_TRANSACTION_TIMEOUT_MS = 60_000


def feed_event(event: dict[str, Any], key: str) -> dict[str, Any]:
    """The ledger event as published: the citizen as a pseudonym, free text null, actor as a role only."""
    return {
        "event_id": event["event_id"], "appeal_id": event["appeal_id"], "sequence": event["sequence"],
        "event_type": event["event_type"], "occurred_at": event["occurred_at"], "recorded_at": event["recorded_at"],
        "actor_role": event["actor"]["role"], "region": event["region"], "body": event["body"],
        "payload": published_payload(event, key), "prev_hash": event["prev_hash"], "hash": event["hash"],
    }


class FeedProducers(ConsumerRebalanceListener):
    """One transactional producer per partition of appeals.events this process is given, created (and so
    fencing the partition's previous owner) before the first batch of it is read. Several feed processes
    share the partitions through the consumer group; each batch of a partition is one transaction together
    with its consumed offset."""

    def __init__(self) -> None:
        self.producers: dict[int, AIOKafkaProducer] = {}
        self.owned: set[int] = set()
        self.locks: dict[int, asyncio.Lock] = {}

    async def on_partitions_revoked(self, revoked) -> None:
        self.owned -= {tp.partition for tp in revoked}
        for partition in sorted({tp.partition for tp in revoked}):   # its next owner fences this producer anyway
            async with self.locks.setdefault(partition, asyncio.Lock()):
                producer = self.producers.pop(partition, None)
            if producer is not None:
                await producer.stop()

    async def on_partitions_assigned(self, assigned) -> None:
        self.owned |= {tp.partition for tp in assigned}
        for partition in sorted(self.owned):
            await self.producer_for(partition)

    async def producer_for(self, partition: int) -> AIOKafkaProducer:
        async with self.locks.setdefault(partition, asyncio.Lock()):
            return await self._producer(partition)

    async def _producer(self, partition: int) -> AIOKafkaProducer:
        """The partition's producer (its lock held), created the first time it is asked for after the partition
        was assigned, which fences its previous owner; a revoked partition's producer is stopped."""
        producer = self.producers.get(partition)
        if producer is None:
            producer = AIOKafkaProducer(**connection(), acks="all", enable_idempotence=True, linger_ms=5,
                                        transaction_timeout_ms=FEED_TRANSACTION_TIMEOUT_MS,
                                        transactional_id=f"{topics.PUBLIC_FEED_TRANSACTIONAL_ID}-{partition}")
            await producer.start()
            self.producers[partition] = producer
        return producer

    async def stop(self) -> None:
        for producer in self.producers.values():
            await producer.stop()
        self.producers = {}

    async def publish(self, tp: TopicPartition, records: list[Any]) -> None:
        async with self.locks.setdefault(tp.partition, asyncio.Lock()):
            if tp.partition not in self.owned:
                return   # revoked since these were fetched: the next owner reads them again from the committed offset
            producer = await self._producer(tp.partition)
            # The records are decoded and encoded before the transaction opens: it then only sends, and stays
            # far inside the broker's transaction timeout even when a loaded process runs slowly (the broker
            # aborts a transaction open longer, and the producer finds itself fenced).
            values = [(record.key, published(tp, record)) for record in records]
            try:
                async with producer.transaction():
                    for key, value in values:
                        if value is not None:
                            await producer.send(topics.PUBLIC, key=key, value=value, partition=tp.partition)
                    await producer.send_offsets_to_transaction({tp: records[-1].offset + 1}, topics.PUBLIC_FEED_GROUP)
            except ProducerFenced:
                log.critical("public feed fenced on partition %d while assigned to it; stopping", tp.partition)
                os._exit(70)


def published(tp: TopicPartition, record: Any) -> bytes | None:
    try:
        event = codec.decode(record.value)
        return codec.encode_event(feed_event(event, settings.PSEUDONYM_KEY), codec.PUBLIC_EVENT)
    except Exception as error:  # not the ledger's writing: the projector records it, verify reports it
        log.error("public feed: skipping %s[%d]@%d, not an event it can publish: %s",
                  tp.topic, tp.partition, record.offset, type(error).__name__)
        return None


@app.task
async def publish_public_feed() -> None:
    consumer = AIOKafkaConsumer(**connection(), group_id=topics.PUBLIC_FEED_GROUP,
                                enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed",
                                session_timeout_ms=10_000, heartbeat_interval_ms=2_000)
    producers = FeedProducers()
    consumer.subscribe([topics.EVENTS], listener=producers)
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=FEED_BATCH)
            for tp, records in batches.items():
                if records:
                    await producers.publish(tp, records)
    finally:
        await producers.stop()
        await consumer.stop()
