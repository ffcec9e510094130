"""The compacted topic appeals.schemas: every writer schema, keyed by its fingerprint, so a consumer
with nothing but broker access can decode any event ever written."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaProducer

from .. import settings, topics
from ..avro import codec
from .security import connection
from .topic_reader import TopicReader


def all_writer_schemas() -> dict[str, str]:
    """fingerprint (16 hex digits) -> full schema JSON, for the current files and every released version."""
    out: dict[str, str] = {}
    for directory in [None, *codec.released_versions()]:
        for name in codec.TOP_LEVEL:
            if codec.schema_path(name, directory).exists():
                out.setdefault(codec.load(name, directory).fingerprint.hex(), codec.schema_json(name, directory))
    return out


async def publish_schemas(bootstrap: str | None = None) -> int:
    producer = AIOKafkaProducer(**connection(bootstrap), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        schemas = all_writer_schemas()
        for fingerprint, schema in schemas.items():
            await producer.send(topics.SCHEMAS, key=fingerprint.encode(), value=schema.encode())
        await producer.flush()
        return len(schemas)
    finally:
        await producer.stop()


async def read_schemas(bootstrap: str | None = None) -> dict[bytes, dict]:
    """fingerprint bytes -> schema (parsed JSON), read from the schemas topic from its beginning."""
    found: dict[bytes, dict] = {}
    async with TopicReader(bootstrap or settings.KAFKA_BOOTSTRAP, topics.SCHEMAS) as reader:
        async for _, records in reader.batches():
            for record in records:
                if record.value is not None:
                    found[bytes.fromhex(record.key.decode())] = json.loads(record.value)
    return found


def publish_schemas_sync(bootstrap: str | None = None) -> int:
    return asyncio.run(publish_schemas(bootstrap))
