"""The AsyncAPI 3 document of tyndau's topics, generated from the topic contract (streams/topics.py) and schemas/.

Building it starts no worker: it imports the contract, the codec and the OpenAPI command schemas only.
"""

from __future__ import annotations

import json
from typing import Any

from .. import settings, topics
from ..avro import codec
from ..domain.checkpoint import parse_signer, parse_verifier
from ..topics import AUTH_HEADER, COMMAND_ID_HEADER, REQUEST_ID_HEADER, SOURCE_HEADER, TopicSpec, topic_specs
from .openapi import openapi_document

AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
BINDING_VERSION = "0.5.0"

MESSAGES = {
    topics.COMMANDS: ("Command", None),
    topics.EVENTS: ("AppealEvent", codec.EVENT),
    topics.REJECTED: ("CommandRejected", codec.REJECTION),
    topics.PUBLIC: ("PublicAppealEvent", codec.PUBLIC_EVENT),
    topics.SCHEMAS: ("WriterSchema", None),
    topics.ACCESS: ("AccessRecorded", codec.ACCESS_RECORD),
    topics.REVOCATIONS: ("CredentialRevoked", None),
    topics.KEYS: ("AppealDataKey", codec.DATA_KEY),
    topics.CHECKPOINTS: ("LedgerCheckpoint", codec.CHECKPOINT),
}
KEYS = {
    topics.ACCESS: "the object accessed: an appeal id, a command id, a token's jti, a key file's name",
    topics.REVOCATIONS: "the revoked token's jti",
    topics.SCHEMAS: "CRC-64-AVRO fingerprint of the schema's parsing canonical form, 16 lowercase hex digits",
    topics.REJECTED: "appeal id when the command named one (null otherwise)",
    topics.KEYS: "appeal id; a record with a null value (header tyndau-erased: the erasure's access id) destroys the key",
    topics.CHECKPOINTS: "the number of the partition of appeals.events whose tree the checkpoint signs (decimal)",
}


def channel_id(topic: str) -> str:
    head, *rest = topic.split(".")
    return head + "".join(part.capitalize() for part in rest)


def topic_configuration(spec: TopicSpec) -> dict[str, Any]:
    config: dict[str, Any] = {"cleanup.policy": spec.config["cleanup.policy"].split(",")}
    for name in ("retention.ms", "retention.bytes"):
        if name in spec.config:
            config[name] = int(spec.config[name])
    return config


def message(topic: str) -> dict[str, Any]:
    name, record = MESSAGES[topic]
    key = {"type": "string", "description": KEYS.get(topic, "appeal id")}
    out: dict[str, Any] = {"name": name, "bindings": {"kafka": {"key": key, "bindingVersion": BINDING_VERSION}}}
    if record is not None:
        out.update(
            contentType="application/octet-stream",
            summary=f"Avro {record}, single-object encoded: C3 01, the writer schema's CRC-64-AVRO fingerprint "
                    "(8 bytes, little-endian), the Avro binary body.",
            payload={"schemaFormat": AVRO_FORMAT, "schema": json.loads(codec.schema_json(record))},
        )
        if topic == topics.EVENTS:
            out["headers"] = {"type": "object", "properties": {
                SOURCE_HEADER: {"type": "string", "description": "partition:offset of the command in appeals.commands "
                                                                 "this event was appended for (UTF-8)"},
                COMMAND_ID_HEADER: {"type": "string", "description": "the event's command_id (UTF-8), so a reader "
                                                                     "waiting for a command's outcome need not decode"},
            }}
    elif topic == topics.COMMANDS:
        schemas = openapi_document()["components"]["schemas"]
        command = {"oneOf": [schemas[k] for k in schemas if k.endswith("Command") and k != "Command"]}
        for variant in command["oneOf"]:
            if "citizen" in variant["properties"]:
                variant["properties"]["citizen"] = schemas["Citizen"]
        out.update(contentType="application/json", summary=f"A command, one JSON object; header {REQUEST_ID_HEADER} correlates the outcome.",
                   payload=command)
        out["headers"] = {"type": "object", "required": [AUTH_HEADER], "properties": {
            REQUEST_ID_HEADER: {"type": "string", "description": "the sender's request id, copied to its rejection"},
            AUTH_HEADER: {"type": "string", "description": "the API's assertion (an EdDSA JWT, audience tyndau-ledger) "
                                                           "naming the principal, bound to the SHA-256 of the command's "
                                                           "bytes and its command_id; without a valid one the command is "
                                                           "rejected unauthenticated"},
        }}
    elif topic == topics.REVOCATIONS:
        out.update(contentType="application/json", summary="A revoked credential; workers refuse its token from then on.",
                   payload={"type": "object", "required": ["jti", "revoked_at", "by"], "properties": {
                       "jti": {"type": "string"}, "revoked_at": {"type": "string", "format": "date-time"},
                       "by": {"type": "string", "description": "the administrator who revoked it"}}})
    else:
        out.update(contentType="application/json", summary="An Avro writer schema (JSON, named types inlined).",
                   payload={"type": "object"})
    return out


def checkpoint_verifier_keys() -> list[str]:
    """The deployment's checkpoint verifier keys (TYNDAU_CHECKPOINT_KEY's, then TYNDAU_CHECKPOINT_KEYS_PREVIOUS)."""
    return [str(parse_signer(settings.CHECKPOINT_KEY.strip()).verifier),
            *(str(parse_verifier(k)) for k in settings.CHECKPOINT_KEYS_PREVIOUS)]


def asyncapi_document(partitions: int | None = None) -> dict[str, Any]:
    channels, operations, messages = {}, {}, {}
    for spec in topic_specs(partitions):
        cid = channel_id(spec.name)
        name = MESSAGES[spec.name][0]
        messages[name] = message(spec.name)
        channels[cid] = {
            "address": spec.name,
            "description": spec.doc,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"kafka": {"topic": spec.name, "partitions": spec.partitions, "replicas": settings.REPLICATION,
                                   "topicConfiguration": topic_configuration(spec), "bindingVersion": BINDING_VERSION}},
        }
        action = "receive" if spec.name == topics.COMMANDS else "send"
        operations[f"{action}{cid[0].upper()}{cid[1:]}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": ("tyndau reads commands from it" if action == "receive" else "tyndau writes it"),
            "messages": [{"$ref": f"#/channels/{cid}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "tyndau topics", "version": "1.0.0",
                 "description": "The ledger of citizens' appeals: what tyndau reads and writes on Kafka. Topics keyed by "
                                "appeal id are partitioned by it (murmur2), so each appeal's records stay in order.",
                 # The verifier keys of appeals.checkpoints' signatures (C2SP NAME+KEYID+KEY), current one first.
                 "x-checkpoint-keys": checkpoint_verifier_keys()},
        "defaultContentType": "application/octet-stream",
        "servers": {"kafka": {"host": settings.KAFKA_BOOTSTRAP.split(",")[0], "protocol": "kafka",
                              "description": "The Kafka cluster (TYNDAU_KAFKA)."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
