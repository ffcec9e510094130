"""The topic contract against the live broker: AsyncAPI, schemas topic, public feed, Apache Avro interop."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import tarfile

import avro.io
import avro.schema
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.avro import codec
from streams.contracts.asyncapi import asyncapi_document
from streams.kafka.schemas_topic import read_schemas
from streams.settings import ROOT
from tests.support.kafka_reading import read_all

pytestmark = pytest.mark.integration
SPECS_VERSION = "6.11.1"


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


def test_apache_avro_decodes_every_event_type_from_the_live_topic(kafka, contract_appeals):
    schemas = asyncio.run(read_schemas(kafka))
    assert {s.fingerprint for s in codec.writers().values()} <= set(schemas), "every writer schema is on appeals.schemas"
    seen = {}
    for record in read_all(kafka, "appeals.events"):
        event = decode_with_apache_avro(record.value, schemas)
        seen.setdefault(event["event_type"], event)
        assert event["appeal_id"] == record.key.decode()
    assert set(seen) == set(codec.PAYLOAD_RECORDS), f"types on the topic: {sorted(seen)}"
    assert seen["filed"]["payload"]["citizen"] is None and seen["filed"]["sealed"]["ciphertext"]   # sealed (issue 15)
    assert seen["filed"]["citizen_ref"]
    rejected = [decode_with_apache_avro(r.value, schemas) for r in read_all(kafka, "appeals.rejected")[:50]]
    assert rejected and all(r["reason"] for r in rejected)


def test_the_asyncapi_copy_is_generated_from_the_code():
    from streams.contracts.asyncapi import asyncapi_document
    committed = json.loads((codec.settings.ROOT / "deploy" / "asyncapi.json").read_text())
    generated = asyncapi_document()
    committed["servers"] = generated["servers"]   # the host comes from the environment
    assert committed == generated, "deploy/asyncapi.json is stale: run `tyndau asyncapi --out deploy/asyncapi.json`"
