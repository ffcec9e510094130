"""The compacted topic appeals.schemas: every writer schema, keyed by its fingerprint, so a consumer
with nothing but broker access can decode any event ever written."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from . import codec, settings
from .kafka_admin import topic_partitions


def all_writer_schemas() -> dict[str, str]:
    """fingerprint (16 hex digits) -> full schema JSON, for the current files and every released version."""
    out: dict[str, str] = {}
    for directory in [None, *codec.released_versions()]:
        for name in codec.TOP_LEVEL:
            if codec.schema_path(name, directory).exists():
                out.setdefault(codec.load(name, directory).fingerprint.hex(), codec.schema_json(name, directory))
    return out


async def publish_schemas(bootstrap: str | None = None) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap or settings.KAFKA_BOOTSTRAP, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        schemas = all_writer_schemas()
        for fingerprint, schema in schemas.items():
            await producer.send(settings.SCHEMAS_TOPIC, key=fingerprint.encode(), value=schema.encode())
        await producer.flush()
        return len(schemas)
    finally:
        await producer.stop()


async def read_schemas(bootstrap: str | None = None) -> dict[bytes, dict]:
    """fingerprint bytes -> schema (parsed JSON), read from the schemas topic from its beginning."""
    bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
    partitions = await topic_partitions(bootstrap, [settings.SCHEMAS_TOPIC])
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:   # an explicit seek: seek_to_beginning() after end_offsets() may fetch nothing
            consumer.seek(tp, starts[tp])
        found: dict[bytes, dict] = {}
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    if record.value is not None:
                        found[bytes.fromhex(record.key.decode())] = json.loads(record.value)
                    if record.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return found
    finally:
        await consumer.stop()


def publish_schemas_sync(bootstrap: str | None = None) -> int:
    return asyncio.run(publish_schemas(bootstrap))
