"""The topic contract against the live broker: AsyncAPI, schemas topic, public feed, Apache Avro interop."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
import tarfile
import time
import uuid
from datetime import datetime

import avro.io
import avro.schema
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.avro import codec
from streams.contracts.asyncapi import asyncapi_document
from streams.kafka.schemas_topic import read_schemas
from tests.conftest import ROOT
from tests.kafka_reading import read_all
from tests.workload import ALMATY, CHANNELS, VALID_IINS, generate

pytestmark = pytest.mark.integration
SPECS_VERSION = "6.11.1"


@pytest.fixture(scope="module")
def published(worker, tmp_path_factory):
    work = generate(400, seed=31, prefix=f"contract-{uuid.uuid4().hex[:6]}", start=datetime(2038, 3, 1, 9, tzinfo=ALMATY), span_days=100)
    path = tmp_path_factory.mktemp("contract") / "commands.jsonl"
    work.write(path)
    done = worker.cli("publish", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    return work


def asyncapi_schema() -> dict:
    """The official AsyncAPI 3.0.0 JSON schema, from the @asyncapi/specs npm package (cached)."""
    cache = ROOT / ".cache" / "asyncapi"
    tarball = cache / f"asyncapi-specs-{SPECS_VERSION}.tgz"
    if not tarball.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", "--silent", f"@asyncapi/specs@{SPECS_VERSION}"], cwd=cache, check=True, capture_output=True, timeout=300)
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile("package/schemas/3.0.0-without-$id.json"))


def test_asyncapi_document_validates_and_matches_the_live_topics(kafka):
    import jsonschema

    document = asyncapi_document()
    errors = list(jsonschema.Draft7Validator(asyncapi_schema()).iter_errors(document))
    assert errors == [], [e.message[:300] for e in errors[:3]]

    async def live():
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:
            topics = [c["address"] for c in document["channels"].values()]
            described = {d["topic"]: len(d["partitions"]) for d in await admin.describe_topics(topics)}
            configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
            values = {}
            for response in configs:
                for resource in response.resources:
                    values[resource[3]] = {entry[0]: entry[1] for entry in resource[4]}
            return described, values
        finally:
            await admin.close()

    partitions, configs = asyncio.run(live())
    for channel in document["channels"].values():
        kafka_binding = channel["bindings"]["kafka"]
        topic = channel["address"]
        assert kafka_binding["partitions"] == partitions[topic], topic
        for name, value in kafka_binding["topicConfiguration"].items():
            live_value = configs[topic][name]
            expected = ",".join(value) if isinstance(value, list) else str(value)
            assert live_value == expected, (topic, name, live_value, expected)


def decode_with_apache_avro(message: bytes, schemas: dict[bytes, dict]) -> dict:
    """Avro specification, single-object encoding: 0xC3 0x01, 8-byte little-endian CRC-64-AVRO
    fingerprint, then the binary body; the writer schema comes from the schemas topic."""
    assert message[:2] == b"\xc3\x01"
    writer = avro.schema.parse(json.dumps(schemas[message[2:10]]))
    return avro.io.DatumReader(writer).read(avro.io.BinaryDecoder(io.BytesIO(message[10:])))


def test_apache_avro_decodes_every_event_type_from_the_live_topic(kafka, published):
    schemas = asyncio.run(read_schemas(kafka))
    assert {s.fingerprint for s in codec.writers().values()} <= set(schemas), "every writer schema is on appeals.schemas"
    seen = {}
    for record in read_all(kafka, "appeals.events"):
        event = decode_with_apache_avro(record.value, schemas)
        seen.setdefault(event["event_type"], event)
        assert event["appeal_id"] == record.key.decode()
    assert set(seen) == set(codec.PAYLOAD_RECORDS), f"types on the topic: {sorted(seen)}"
    assert seen["filed"]["payload"]["citizen"]["iin"]
    rejected = [decode_with_apache_avro(r.value, schemas) for r in read_all(kafka, "appeals.rejected")[:50]]
    assert rejected and all(r["reason"] for r in rejected)


def test_public_feed_is_in_step_and_carries_no_personal_data(kafka, published):
    wanted = {a: len(c) for a, c in published.events_by_appeal.items()}
    deadline = time.monotonic() + 60
    while True:
        records = read_all(kafka, "appeals.public")
        got: dict[str, list] = {}
        for r in records:
            event = codec.decode(r.value)
            if event["appeal_id"] in wanted:
                got.setdefault(event["appeal_id"], []).append(event)
        if {a: len(e) for a, e in got.items()} == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {a: [e["sequence"] for e in events] for a, events in got.items()} == {a: list(range(1, n + 1)) for a, n in wanted.items()}
    everything = b"".join(r.value for r in records)
    for secret in VALID_IINS + ["Азамат", "Жол жөндеу керек", "Жөнделді", "solved myself", "incomplete answer", "900101301234"]:
        assert secret.encode() not in everything, f"{secret!r} leaked to the public feed"
    def strings(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("hash", "prev_hash", "event_id", "citizen_ref"):   # hex digests and ids
                    yield from strings(v, k)
        elif isinstance(value, str):
            yield key, value
    for events in got.values():
        for event in events:
            for key, text in strings(event):
                assert not re.search(r"\d{12}", text), f"{key}={text!r} looks like an IIN on the public feed"
    filed = next(e for events in got.values() for e in events if e["event_type"] == "filed")
    assert len(filed["payload"]["citizen_ref"]) == 32 and filed["payload"]["channel"] in CHANNELS
    assert filed["region"] and filed["body"] and filed["actor_role"] == "citizen"


def test_tail_prints_live_events_of_one_region(worker, kafka):
    tail = subprocess.Popen([sys.executable, "-m", "streams.cli", "tail", "--topic", "appeals.public", "--region", "47",
                             "--limit", "1", "--format", "json"], env=worker.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(4)
    appeal_id = f"tail-{uuid.uuid4().hex[:8]}"
    for region, suffix in (("75", "x"), ("47", "")):
        status, _ = worker.post("/v1/commands", {"type": "file", "command_id": f"{appeal_id}{suffix}-1", "appeal_id": appeal_id + suffix,
                                                 "at": "2038-05-05T10:00:00+05:00", "region": region, "body": "aktau-akimat",
                                                 "category": "roads", "channel": "109", "citizen": {"iin": VALID_IINS[0], "name": "A"}})
        assert status == 201
    out, _ = tail.communicate(timeout=60)
    line = json.loads(out.strip().splitlines()[-1])
    assert line["appeal_id"] == appeal_id and line["region"] == "47" and "citizen" not in line["payload"]
