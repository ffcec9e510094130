"""Reading tyndau's topics from another system: subscribe, and get decoded records.

    import asyncio
    from streams.consumer import subscribe

    async def main():
        async for record in subscribe("appeals.public", bootstrap="broker:9092", group_id="open-data-portal"):
            print(record.value["appeal_id"], record.value["event_type"])

    asyncio.run(main())

Each message is Avro single-object encoded; the writer schema is found by its fingerprint
among the schemas this version knows, and otherwise fetched from the compacted topic
appeals.schemas, so records written by any version of tyndau decode. With `reader`, records
are resolved to that reader schema (a full record name from schemas/, e.g.
"kz.tyndau.PublicAppealEvent"), the Avro way: new fields get their defaults, dropped ones go.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, AsyncIterator

import fastavro
from aiokafka import AIOKafkaConsumer

from .. import settings, topics
from ..avro import codec
from ..kafka.records import tolerate_invalid_header_names
from ..kafka.schemas_topic import read_schemas
from ..kafka.security import connection

tolerate_invalid_header_names()   # one bad header name must not stop a subscriber


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: dict[str, Any]


class Decoder:
    """Decodes single-object messages, learning unknown writer schemas from appeals.schemas."""

    def __init__(self, bootstrap: str, reader: str | None = None):
        self.bootstrap, self.reader = bootstrap, reader
        self.extra: dict[bytes, Any] = {}

    async def decode(self, message: bytes) -> dict[str, Any]:
        fingerprint, body = codec.split_header(message)
        if fingerprint in codec.writers():
            return codec.decode(message, self.reader)
        if fingerprint not in self.extra:
            for fp, schema in (await read_schemas(self.bootstrap)).items():
                self.extra.setdefault(fp, fastavro.parse_schema(schema))
        writer = self.extra.get(fingerprint)
        if writer is None:
            raise codec.DecodeError(f"writer schema {fingerprint.hex()} is neither known here nor on {topics.SCHEMAS}")
        reader = codec.load(self.reader).parsed if self.reader else None
        return fastavro.schemaless_reader(io.BytesIO(body), writer, reader)


async def subscribe(topic: str = topics.PUBLIC, *, bootstrap: str | None = None, group_id: str | None = None,
                    from_beginning: bool = False, reader: str | None = None) -> AsyncIterator[Record]:
    """Decoded records of a tyndau topic, as they come (committed transactions only)."""
    bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
    consumer = AIOKafkaConsumer(topic, **connection(bootstrap), group_id=group_id, isolation_level="read_committed",
                                auto_offset_reset="earliest" if from_beginning else "latest",
                                enable_auto_commit=group_id is not None)
    decoder = Decoder(bootstrap, reader)
    await consumer.start()
    try:
        async for message in consumer:
            yield Record(message.topic, message.partition, message.offset,
                         message.key.decode() if message.key else None, await decoder.decode(message.value))
    finally:
        await consumer.stop()
