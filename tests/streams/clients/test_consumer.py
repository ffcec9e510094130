"""streams/clients/consumer.py against the real broker: decoded records, writer schemas learnt from appeals.schemas."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Callable

import fastavro
import pytest
from aiokafka import AIOKafkaProducer
from fastavro import schema as avro_schema

from streams import settings, topics
from streams.agents.public_feed import feed_event
from streams.avro import codec
from streams.clients import consumer
from streams.domain.appeal import decide
from streams.domain.chain import seal
from streams.domain.commands import parse_command
from tests.support.appeals import FIELDS, build
from tests.support.kafka_topics import private_topic

RECORDED_AT = datetime(2099, 3, 2, 4, tzinfo=timezone.utc)
ROOT = settings.ROOT


def filing() -> tuple[str, dict]:
    """A real, sealed filing of an appeal of this test's own, in 2099 (no deadline passes for it)."""
    appeal_id = f"consumer-{uuid.uuid4().hex[:12]}"
    command = parse_command({"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id,
                             "at": "2099-03-02T09:00:00+05:00", **FIELDS["file"]})
    return appeal_id, seal(decide(None, command, RECORDED_AT))


def ledger_record() -> tuple[bytes, bytes]:
    appeal_id, event = filing()
    return appeal_id.encode(), codec.encode_event(event)


def public_record() -> tuple[bytes, bytes]:
    appeal_id, event = filing()
    return appeal_id.encode(), codec.encode_event(feed_event(event, settings.PSEUDONYM_KEY), codec.PUBLIC_EVENT)


async def own_records(make: Callable[[], tuple[bytes, bytes]], count: int, topic: str | None, bootstrap: str) -> list[tuple]:
    """Subscribe (from the end) and write records until the subscriber yields one of them; then write `count`
    more and return (record, metadata, value) of each of those, as the subscriber yielded them."""
    stream = consumer.subscribe(bootstrap=bootstrap) if topic is None else consumer.subscribe(topic, bootstrap=bootstrap)
    topic = topic or topics.PUBLIC
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent: dict[str, tuple] = {}
    pending = asyncio.ensure_future(stream.__anext__())

    async def next_own(timeout: float) -> consumer.Record | None:
        nonlocal pending
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.wait({pending}, timeout=max(0.0, deadline - time.monotonic()))
            if not pending.done():
                return None
            record, pending = pending.result(), asyncio.ensure_future(stream.__anext__())
            if record.key in sent:
                return record
        return None

    async def write() -> None:
        key, value = make()
        meta = await producer.send_and_wait(topic, value, key=key)
        sent[key.decode()] = (meta, value)

    try:
        started = time.monotonic()
        while True:   # the subscriber starts at the end it finds, at a moment it does not report
            assert time.monotonic() - started < 30, "the subscriber yielded none of the records written"
            await write()
            if await next_own(1.0) is not None:
                break
        before = set(sent)
        for _ in range(count):
            await write()
        out = []
        while len(out) < count:
            record = await next_own(15)
            assert record is not None, "a record written after the subscriber had started did not come"
            if record.key not in before:
                out.append((record, *sent[record.key]))
        return out
    finally:
        pending.cancel()
        try:
            await pending
        except (asyncio.CancelledError, StopAsyncIteration):
            pass
        await stream.aclose()
        await producer.stop()


@pytest.mark.integration
@pytest.mark.parametrize("topic, make", [(topics.EVENTS, ledger_record), (None, public_record)],
                         ids=["events", "public-by-default"])
def test_subscribe_yields_decoded_records(kafka, topic, make):
    got = asyncio.run(asyncio.wait_for(own_records(make, 3, topic, kafka), 90))
    assert len(got) == 3
    for record, meta, value in got:
        assert isinstance(record, consumer.Record)
        assert (record.topic, record.partition, record.offset) == (topic or topics.PUBLIC, meta.partition, meta.offset)
        assert record.value == codec.decode(value)
        assert record.value["appeal_id"] == record.key
    if topic is None:
        assert all("iin" not in json.dumps(r.value["payload"], default=str) for r, _, _ in got), "the public form"


# --- writer schemas this process does not know -------------------------------------------------

def crc64_avro(data: bytes) -> int:
    """The Avro specification's CRC-64-AVRO (Rabin) fingerprint, computed here independently of fastavro."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def single_object_header(parsed_schema) -> bytes:
    canonical = avro_schema.to_parsing_canonical_form(parsed_schema)
    return b"\xc3\x01" + crc64_avro(canonical.encode()).to_bytes(8, "little")


def test_the_hand_made_header_is_the_one_the_codec_writes():
    _, events = build(["file"])
    message = codec.encode_event(events[0])
    assert message[:10] == single_object_header(codec.load(codec.EVENT).parsed)


@pytest.mark.integration
def test_a_writer_schema_unknown_here_is_found_on_the_schemas_topic_and_an_unknown_fingerprint_named(kafka):
    """A newer tyndau's AppealEvent (one more field, with a default), on a topic of this test's own."""
    note = f"note_{uuid.uuid4().hex[:8]}"
    variant = json.loads(codec.schema_json(codec.EVENT))
    variant["fields"].append({"name": note, "type": "string", "default": "none"})
    parsed = fastavro.parse_schema(variant, _write_hint=False)
    header = single_object_header(parsed)
    assert header[2:] not in codec.writers(), "a schema this process does not know"
    _, events = build(["file", "route"])
    event = events[1]
    body = io.BytesIO()
    fastavro.schemaless_writer(body, parsed, dict(event, payload=(codec.PAYLOAD_RECORDS[event["event_type"]], event["payload"]),
                                                  **{note: "from the future"}))
    stranger = b"\xc3\x01" + uuid.uuid4().bytes[:8]

    async def run():
        topic = await private_topic(kafka, "consumer")
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topics.SCHEMAS, json.dumps(variant).encode(), key=header[2:].hex().encode())
            await producer.send_and_wait(topic, header + body.getvalue(), key=b"A-1")
            await producer.send_and_wait(topic, stranger + b"\x00" * 20, key=b"A-1")
        finally:
            await producer.stop()
        out = {}
        for reader in (None, codec.EVENT):
            stream = consumer.subscribe(topic, bootstrap=kafka, from_beginning=True, reader=reader)
            try:
                first = await stream.__anext__()
                with pytest.raises(codec.DecodeError) as unknown:
                    await stream.__anext__()
            finally:
                await stream.aclose()
            out[reader] = first, str(unknown.value)
        return out

    out = asyncio.run(asyncio.wait_for(run(), 60))
    current = codec.decode(codec.encode_event(event))
    as_written, error = out[None]
    assert (as_written.offset, as_written.key) == (0, "A-1")
    assert as_written.value == dict(current, **{note: "from the future"})
    resolved, _ = out[codec.EVENT]
    assert resolved.value == current, "resolved to this version's AppealEvent: the new field dropped"
    assert stranger[2:].hex() in error and topics.SCHEMAS in error


def test_the_documented_import_path_is_the_same_function():
    from streams.consumer import Decoder, Record, subscribe
    assert subscribe is consumer.subscribe and Decoder is consumer.Decoder and Record is consumer.Record
    assert "from streams.consumer import subscribe" in (ROOT / "README.md").read_text()
