"""The AsyncAPI 3 document of tyndau's topics, generated from the topic specifications and schemas/."""

from __future__ import annotations

import json
from typing import Any

from . import codec, settings
from .kafka_admin import TopicSpec, topic_specs

AVRO_FORMAT = "application/vnd.apache.avro;version=1.9.0"
BINDING_VERSION = "0.5.0"

MESSAGES = {
    settings.COMMANDS_TOPIC: ("Command", None),
    settings.EVENTS_TOPIC: ("AppealEvent", codec.EVENT),
    settings.REJECTED_TOPIC: ("CommandRejected", codec.REJECTION),
    settings.PUBLIC_TOPIC: ("PublicAppealEvent", codec.PUBLIC_EVENT),
    settings.SCHEMAS_TOPIC: ("WriterSchema", None),
}
KEYS = {
    settings.SCHEMAS_TOPIC: "CRC-64-AVRO fingerprint of the schema's parsing canonical form, 16 lowercase hex digits",
    settings.REJECTED_TOPIC: "appeal id when the command named one (null otherwise)",
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
        if topic == settings.EVENTS_TOPIC:
            from .ledger import SOURCE_HEADER
            from .outcomes import COMMAND_ID_HEADER
            out["headers"] = {"type": "object", "properties": {
                SOURCE_HEADER: {"type": "string", "description": "partition:offset of the command in appeals.commands "
                                                                 "this event was appended for (UTF-8)"},
                COMMAND_ID_HEADER: {"type": "string", "description": "the event's command_id (UTF-8), so a reader "
                                                                     "waiting for a command's outcome need not decode"},
            }}
    elif topic == settings.COMMANDS_TOPIC:
        from .api import openapi_document   # the command schemas, from the one field specification
        schemas = openapi_document()["components"]["schemas"]
        command = {"oneOf": [schemas[k] for k in schemas if k.endswith("Command") and k != "Command"]}
        for variant in command["oneOf"]:
            if "citizen" in variant["properties"]:
                variant["properties"]["citizen"] = schemas["Citizen"]
        out.update(contentType="application/json", summary="A command, one JSON object; header tyndau-request-id correlates the outcome.",
                   payload=command)
    else:
        out.update(contentType="application/json", summary="An Avro writer schema (JSON, named types inlined).",
                   payload={"type": "object"})
    return out


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
        action = "receive" if spec.name == settings.COMMANDS_TOPIC else "send"
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
                                "appeal id are partitioned by it (murmur2), so each appeal's records stay in order."},
        "defaultContentType": "application/octet-stream",
        "servers": {"kafka": {"host": settings.KAFKA_BOOTSTRAP.split(",")[0], "protocol": "kafka",
                              "description": "The Kafka cluster (TYNDAU_KAFKA)."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
