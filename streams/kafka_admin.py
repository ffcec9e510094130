"""Creating and checking tyndau's topics on the broker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from . import settings

UNLIMITED = "-1"
# The largest record batch each topic accepts, set explicitly (not left to the broker's default):
# a command is at most 64 KB (README), a rejection keeps at most that much of it, and the ledger
# writes record batches of at most 128 KB plus one record.
MAX_MESSAGE_BYTES = str(1024 * 1024)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]
    doc: str


def topic_specs(partitions: int | None = None) -> list[TopicSpec]:
    n = partitions or settings.PARTITIONS
    specs = [
        TopicSpec(settings.COMMANDS_TOPIC, n, {"cleanup.policy": "delete", "retention.ms": str(30 * 24 * 3600 * 1000)},
                  "Requests to change appeals (JSON), keyed by appeal id."),
        TopicSpec(settings.EVENTS_TOPIC, n, {"cleanup.policy": "delete", "retention.ms": UNLIMITED, "retention.bytes": UNLIMITED},
                  "The ledger: Avro AppealEvent, keyed by appeal id, kept forever. Co-partitioned with appeals.commands."),
        TopicSpec(settings.REJECTED_TOPIC, n, {"cleanup.policy": "delete", "retention.ms": UNLIMITED, "retention.bytes": UNLIMITED},
                  "Avro CommandRejected: every command the ledger refused, with the reason."),
        TopicSpec(settings.PUBLIC_TOPIC, n, {"cleanup.policy": "delete", "retention.ms": UNLIMITED, "retention.bytes": UNLIMITED},
                  "Avro PublicAppealEvent: the ledger without personal data, for the open-data portal and other agencies."),
        TopicSpec(settings.SCHEMAS_TOPIC, 1, {"cleanup.policy": "compact", "retention.ms": UNLIMITED},
                  "Every writer schema ever used, keyed by its CRC-64-AVRO fingerprint (16 hex digits); value: the schema JSON."),
    ]
    for spec in specs:
        spec.config["max.message.bytes"] = MAX_MESSAGE_BYTES
    return specs


async def _ensure_topics(bootstrap: str, specs: list[TopicSpec]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                await admin.create_topics([
                    NewTopic(s.name, s.partitions, settings.REPLICATION, topic_configs=s.config) for s in missing
                ])
            except TopicAlreadyExistsError:
                pass
        described = await admin.describe_topics([s.name for s in specs])
        counts = {d["topic"]: len(d["partitions"]) for d in described}
        commands = counts.get(settings.COMMANDS_TOPIC)
        for other in (settings.EVENTS_TOPIC, settings.REJECTED_TOPIC, settings.PUBLIC_TOPIC):
            if counts.get(other) != commands:
                raise SystemExit(
                    f"{settings.COMMANDS_TOPIC} has {commands} partitions but {other} has {counts.get(other)}; "
                    "they must be equal (the ledger writes each command's outcome to the partition of the command)"
                )
    finally:
        await admin.close()


def ensure_topics(bootstrap: str | None = None, partitions: int | None = None) -> None:
    asyncio.run(_ensure_topics(bootstrap or settings.KAFKA_BOOTSTRAP, topic_specs(partitions)))


async def topic_partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics`; SystemExit naming the fix if one of them does not exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    out = []
    for entry in described:
        if entry.get("error_code") or not entry["partitions"]:
            raise SystemExit(f"topic {entry['topic']} does not exist on {bootstrap}; run `tyndau topics` or start a worker")
        out += [TopicPartition(entry["topic"], p["partition"]) for p in sorted(entry["partitions"], key=lambda p: p["partition"])]
    return out


async def _cluster_ready(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        await admin.close()


def cluster_ready(bootstrap: str) -> bool:
    return asyncio.run(_cluster_ready(bootstrap))
