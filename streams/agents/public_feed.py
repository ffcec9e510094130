"""The public feed agent: appeals.events → appeals.public without personal data, exactly once.

Runs in the worker as an app task with its own consumer group (topics.PUBLIC_FEED_GROUP, `<app id>-public-feed`): each
batch is written in one Kafka transaction together with the consumed offsets, so a crash
neither loses nor repeats a public record (readers use isolation.level=read_committed).
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from .. import settings, topics
from ..app import app
from ..avro import codec
from ..domain.privacy import published_payload
from ..kafka.security import connection

log = logging.getLogger(__name__)


def feed_event(event: dict[str, Any], key: str) -> dict[str, Any]:
    """The ledger event as published: the citizen as a pseudonym, free text null, actor as a role only."""
    return {
        "event_id": event["event_id"], "appeal_id": event["appeal_id"], "sequence": event["sequence"],
        "event_type": event["event_type"], "occurred_at": event["occurred_at"], "recorded_at": event["recorded_at"],
        "actor_role": event["actor"]["role"], "region": event["region"], "body": event["body"],
        "payload": published_payload(event, key), "prev_hash": event["prev_hash"], "hash": event["hash"],
    }


@app.task
async def publish_public_feed() -> None:
    consumer = AIOKafkaConsumer(topics.EVENTS, **connection(), group_id=topics.PUBLIC_FEED_GROUP,
                                enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed",
                                session_timeout_ms=10_000, heartbeat_interval_ms=2_000)
    producer = AIOKafkaProducer(**connection(), transactional_id=topics.PUBLIC_FEED_TRANSACTIONAL_ID,
                                acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            if not batches:
                continue
            async with producer.transaction():
                offsets: dict[TopicPartition, int] = {}
                for tp, records in batches.items():
                    for record in records:
                        try:
                            event = codec.decode(record.value)
                            value = codec.encode_event(feed_event(event, settings.PSEUDONYM_KEY), codec.PUBLIC_EVENT)
                        except Exception as error:  # not the ledger's writing: the projector records it, verify reports it
                            log.error("public feed: skipping %s[%d]@%d, not an event it can publish: %s",
                                      tp.topic, tp.partition, record.offset, type(error).__name__)
                            continue
                        await producer.send(topics.PUBLIC, key=record.key, value=value, partition=tp.partition)
                    offsets[tp] = records[-1].offset + 1
                await producer.send_offsets_to_transaction(offsets, topics.PUBLIC_FEED_GROUP)
    finally:
        await producer.stop()
        await consumer.stop()
