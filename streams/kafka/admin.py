"""Creating and checking tyndau's topics on the broker (their contract: streams/topics.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import TopicPartition, errors
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from .. import settings, topics
from ..topics import TopicSpec, topic_specs
from .security import connection


async def _create_missing(admin: AIOKafkaAdminClient, bootstrap: str, specs: list[TopicSpec]) -> None:
    """Create the topics of `specs` the cluster lacks; SystemExit naming each one the broker refuses.
    (The CreateTopics response carries a per-topic error code; aiokafka returns it, it raises nothing.)"""
    existing = set(await admin.list_topics())
    missing = [s for s in specs if s.name not in existing]
    if not missing:
        return
    response = await admin.create_topics([NewTopic(s.name, s.partitions, settings.REPLICATION, topic_configs=s.config)
                                          for s in missing])
    refused = []
    for name, code, *message in response.topic_errors:
        if code and code != TopicAlreadyExistsError.errno:
            text = message[0] if message and message[0] else ""
            refused.append(f"{name}: {errors.for_code(code).__name__}" + (f" ({text})" if text else ""))
    if refused:
        raise SystemExit(f"the cluster at {bootstrap} refused to create {'; '.join(refused)}; check TYNDAU_REPLICATION "
                         f"(now {settings.REPLICATION}) and TYNDAU_PARTITIONS (now {settings.PARTITIONS})")


async def _described(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0) -> dict[str, int]:
    """Partition counts of `names`, once the cluster's metadata shows every one of them (a topic just
    created shows a moment later)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await admin.describe_topics(names)
        counts = {d["topic"]: len(d["partitions"]) for d in described if not d.get("error_code") and d["partitions"]}
        if len(counts) == len(set(names)) or asyncio.get_running_loop().time() > deadline:
            return counts
        await asyncio.sleep(0.2)


@asynccontextmanager
async def _admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client of the configured cluster, closed on the way out."""
    admin = AIOKafkaAdminClient(**connection(bootstrap), request_timeout_ms=15000)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def _ensure_topics(bootstrap: str, specs: list[TopicSpec]) -> None:
    async with _admin(bootstrap) as admin:
        await _create_missing(admin, bootstrap, specs)
        counts = await _described(admin, [s.name for s in specs])
        absent = sorted({s.name for s in specs} - set(counts))
        if absent:
            raise SystemExit(f"{', '.join(absent)} did not appear on {bootstrap} within 30 s of being created")
        commands = counts.get(topics.COMMANDS)
        for other in topics.CO_PARTITIONED:
            if counts.get(other) != commands:
                raise SystemExit(
                    f"{topics.COMMANDS} has {commands} partitions but {other} has {counts.get(other)}; "
                    "they must be equal (the ledger writes each command's outcome to the partition of the command)"
                )


def ensure_topics(bootstrap: str | None = None, partitions: int | None = None) -> None:
    asyncio.run(_ensure_topics(bootstrap or settings.KAFKA_BOOTSTRAP, topic_specs(partitions)))


async def topic_partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics`; SystemExit naming the fix if one of them does not exist."""
    async with _admin(bootstrap) as admin:
        described = await admin.describe_topics(topics)
    out = []
    for entry in described:
        if entry.get("error_code") or not entry["partitions"]:
            raise SystemExit(f"topic {entry['topic']} does not exist on {bootstrap}; run `tyndau topics` or start a worker")
        out += [TopicPartition(entry["topic"], p["partition"]) for p in sorted(entry["partitions"], key=lambda p: p["partition"])]
    return out


async def _cluster_ready(bootstrap: str, options: dict | None = None) -> bool:
    admin = AIOKafkaAdminClient(**connection(bootstrap, options), request_timeout_ms=3000)
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


async def _topic_config(bootstrap: str, topic: str, name: str) -> str | None:
    async with _admin(bootstrap) as admin:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    for response in responses:
        for resource in response.to_object()["resources"]:
            for entry in resource["config_entries"]:
                if entry["config_names"] == name:
                    return entry["config_value"]
    return None


def check_command_timestamps(bootstrap: str | None = None) -> None:
    """SystemExit unless appeals.commands stamps records with the broker's append time: the ledger
    judges each command's assertion at its record's timestamp, which a sender must not choose."""
    bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
    kind = asyncio.run(_topic_config(bootstrap, topics.COMMANDS, "message.timestamp.type"))
    if kind != "LogAppendTime":
        raise SystemExit(f"{topics.COMMANDS} keeps the senders' timestamps (message.timestamp.type={kind}); the ledger "
                         "judges assertions at the broker's append time. Set it: kafka-configs.sh --alter --entity-type "
                         f"topics --entity-name {topics.COMMANDS} --add-config message.timestamp.type=LogAppendTime")


async def _set_config(bootstrap: str, spec: TopicSpec) -> None:
    async with _admin(bootstrap) as admin:
        responses = await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=spec.config)])
    for response in responses:
        for code, message, *_ in response.resources:
            if code:
                raise SystemExit(f"the broker refused to configure {spec.name}: {errors.for_code(code).__name__} {message or ''}")


def upgrade_development_topics(bootstrap: str) -> bool:
    """Set appeals.commands to the broker's append time if an older tyndau created it without: for the
    development broker of `tyndau up` only (AlterConfigs replaces every setting of the topic with the
    contract's, which a production cluster's operators decide). True when it changed something."""
    try:
        check_command_timestamps(bootstrap)
        return False
    except SystemExit:
        [spec] = [s for s in topic_specs() if s.name == topics.COMMANDS]
        asyncio.run(_set_config(bootstrap, spec))
        check_command_timestamps(bootstrap)
        return True


def cluster_ready(bootstrap: str, options: dict | None = None) -> bool:
    """Whether the cluster answers; with `options`, connecting with those security options instead of the settings'."""
    return asyncio.run(_cluster_ready(bootstrap, options))
