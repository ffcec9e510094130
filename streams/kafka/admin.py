"""Creating and checking tyndau's topics on the broker (their contract: streams/topics.py)."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from .. import settings, topics
from ..topics import TopicSpec, topic_specs


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
        commands = counts.get(topics.COMMANDS)
        for other in topics.CO_PARTITIONED:
            if counts.get(other) != commands:
                raise SystemExit(
                    f"{topics.COMMANDS} has {commands} partitions but {other} has {counts.get(other)}; "
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


def check_partition_count(bootstrap: str | None = None) -> None:
    """SystemExit unless appeals.commands has TYNDAU_PARTITIONS partitions: the ledger checks that
    each command is on its appeal's partition, which it computes from that number."""
    bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
    actual = len(asyncio.run(topic_partitions(bootstrap, [topics.COMMANDS])))
    if actual != settings.PARTITIONS:
        raise SystemExit(f"{topics.COMMANDS} has {actual} partitions but TYNDAU_PARTITIONS is {settings.PARTITIONS}; "
                         f"set TYNDAU_PARTITIONS={actual} (the ledger checks that each command is on its appeal's partition)")


def cluster_ready(bootstrap: str) -> bool:
    return asyncio.run(_cluster_ready(bootstrap))
