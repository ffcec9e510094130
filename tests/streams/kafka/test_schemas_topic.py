"""streams/kafka/schemas_topic.py against the real broker: every writer schema published by fingerprint and read back."""

from __future__ import annotations

import asyncio
import json
import uuid

import fastavro
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastavro import schema as avro_schema

from streams import topics
from streams.avro import codec
from streams.kafka.schemas_topic import all_writer_schemas, publish_schemas, read_schemas

pytestmark = pytest.mark.integration


def fingerprint_of(schema: dict) -> bytes:
    canonical = avro_schema.to_parsing_canonical_form(fastavro.parse_schema(schema, _write_hint=False))
    return bytes.fromhex(avro_schema.fingerprint(canonical, "CRC-64-AVRO"))


async def end_of_schemas_topic(bootstrap: str) -> int:
    tp = TopicPartition(topics.SCHEMAS, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        return (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()


def test_every_writer_schema_is_published_and_read_back_by_its_fingerprint(kafka):
    published = asyncio.run(publish_schemas(kafka))
    found = asyncio.run(read_schemas(kafka))
    expected = {}
    for directory in [None, *codec.released_versions()]:
        for name in codec.TOP_LEVEL:
            if codec.schema_path(name, directory).exists():
                expected.setdefault(codec.load(name, directory).fingerprint, json.loads(codec.schema_json(name, directory)))
    assert codec.released_versions(), "the released versions are part of what is published"
    assert published == len(expected) == len(all_writer_schemas())
    assert set(codec.writers()) == set(expected)
    assert {fp: found.get(fp) for fp in expected} == expected
    for fp in expected:
        assert fingerprint_of(found[fp]) == fp, "the schema on the topic is the one its key names"


def test_republishing_changes_nothing_a_reader_sees(kafka):
    asyncio.run(publish_schemas(kafka))
    before, end_before = asyncio.run(read_schemas(kafka)), asyncio.run(end_of_schemas_topic(kafka))
    published = asyncio.run(publish_schemas(kafka))
    after, end_after = asyncio.run(read_schemas(kafka)), asyncio.run(end_of_schemas_topic(kafka))
    assert end_after == end_before + published, "republished as new records of the same keys"
    assert after == before


def test_the_reader_keeps_the_last_value_of_each_key(kafka):
    tag = uuid.uuid4().hex[:10]
    first = {"type": "record", "name": f"kz.tyndau.test.First{tag}", "fields": [{"name": "n", "type": "long"}]}
    last = {"type": "record", "name": f"kz.tyndau.test.Last{tag}", "fields": [{"name": "s", "type": "string"}]}
    key = fingerprint_of(last)

    async def write():
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            for schema in (first, last):
                await producer.send_and_wait(topics.SCHEMAS, json.dumps(schema).encode(), key=key.hex().encode())
        finally:
            await producer.stop()

    asyncio.run(write())
    found = asyncio.run(read_schemas(kafka))
    assert found[key] == last
    assert fingerprint_of(first) not in found
