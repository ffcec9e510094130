"""streams/kafka/admin.py against the real broker: topics created to their contract, idempotently, and checked."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid

import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from streams import settings, topics
from streams.devtools.broker import free_port
from streams.kafka import admin
from streams.topics import TopicSpec, topic_specs
from tests.support.kafka_topics import create_topics

CHECKED_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "max.message.bytes", "min.insync.replicas",
                   "delete.retention.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio", "segment.ms",
                   "unclean.leader.election.enable", "message.timestamp.type")


async def _describe(bootstrap: str, names: list[str]) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    """Partition counts and (the checked) configs of these topics, as the broker reports them."""
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await client.start()
    try:
        described = await client.describe_topics(names)
        responses = await client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await client.close()
    counts = {d["topic"]: len(d["partitions"]) for d in described if not d["error_code"]}
    configs: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            assert resource["error_code"] == 0, resource
            configs[resource["resource_name"]] = {e["config_names"]: e["config_value"] for e in resource["config_entries"]
                                                  if e["config_names"] in CHECKED_CONFIGS}
    return counts, configs


def wait_visible(bootstrap: str, names: list[str], timeout: float = 15) -> None:
    """Until the broker's metadata shows these topics (it does a moment after CreateTopics returns)."""
    async def run() -> None:
        client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        await client.start()
        try:
            deadline = time.monotonic() + timeout
            while not all(not d["error_code"] and d["partitions"] for d in await client.describe_topics(names)):
                assert time.monotonic() < deadline, f"topics {names} did not appear"
                await asyncio.sleep(0.1)
        finally:
            await client.close()
    asyncio.run(run())


def describe(bootstrap: str, names: list[str]) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
    return asyncio.run(_describe(bootstrap, names))


def delete_topics(bootstrap: str, names: list[str]) -> None:
    async def run() -> None:
        client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        await client.start()
        try:
            await client.delete_topics(names)
        finally:
            await client.close()
    asyncio.run(run())


def assert_configured(actual: dict[str, str], spec: TopicSpec) -> None:
    """The broker holds each setting the spec gives (the others are the broker's defaults)."""
    assert {"cleanup.policy", "retention.ms", "max.message.bytes"} <= set(spec.config), spec.name
    assert {k: actual.get(k) for k in spec.config} == spec.config, spec.name


def renamed(specs: list[TopicSpec], suffix: str, partitions: dict[str, int] | None = None) -> list[TopicSpec]:
    """The contract's topics under names of this test's own (and optionally other partition counts)."""
    return [dataclasses.replace(s, name=f"{s.name}.{suffix}", partitions=(partitions or {}).get(s.name, s.partitions),
                                config=dict(s.config)) for s in specs]


def use_names(monkeypatch, suffix: str) -> None:
    """Point the co-partitioning check at the renamed topics (it names the contract's topics)."""
    monkeypatch.setattr(topics, "COMMANDS", f"{topics.COMMANDS}.{suffix}")
    monkeypatch.setattr(topics, "CO_PARTITIONED", tuple(f"{name}.{suffix}" for name in topics.CO_PARTITIONED))


@pytest.mark.integration
def test_ensure_topics_creates_every_topic_of_the_contract_with_its_partitions_and_configs(kafka, monkeypatch):
    suffix = f"admin-{uuid.uuid4().hex[:8]}"
    specs = renamed(topic_specs(3), suffix)
    names = [s.name for s in specs]
    commands, events, schemas = (f"{name}.{suffix}" for name in (topics.COMMANDS, topics.EVENTS, topics.SCHEMAS))
    use_names(monkeypatch, suffix)
    try:
        asyncio.run(admin._ensure_topics(kafka, specs))
        wait_visible(kafka, names)
        counts, configs = describe(kafka, names)
        assert counts == {s.name: s.partitions for s in specs}
        assert counts[schemas] == 1 and counts[events] == 3
        for spec in specs:
            assert_configured(configs[spec.name], spec)
        assert configs[schemas]["cleanup.policy"] == "compact"
        assert configs[events]["retention.ms"] == "-1"
        assert configs[commands]["retention.ms"] == topics.COMMANDS_RETENTION_MS
        assert {c["max.message.bytes"] for c in configs.values()} == {topics.MAX_MESSAGE_BYTES}

        asyncio.run(admin._ensure_topics(kafka, specs))   # again: nothing to create, nothing changes
        assert describe(kafka, names) == (counts, configs)
    finally:
        delete_topics(kafka, names)


@pytest.mark.integration
def test_ensure_topics_on_the_session_broker_is_idempotent_and_its_topics_match_the_contract(kafka):
    names = [s.name for s in topic_specs()]
    before = describe(kafka, names)
    admin.ensure_topics(kafka)
    admin.ensure_topics(kafka)
    counts, configs = describe(kafka, names)
    assert (counts, configs) == before
    assert counts == {s.name: s.partitions for s in topic_specs()}
    assert counts[topics.EVENTS] == settings.PARTITIONS
    for spec in topic_specs():
        assert_configured(configs[spec.name], spec)
    admin.check_partition_count(kafka)   # TYNDAU_PARTITIONS agrees with the topics


@pytest.mark.integration
def test_check_partition_count_names_the_setting_that_would_agree(kafka, monkeypatch):
    monkeypatch.setattr(settings, "PARTITIONS", settings.PARTITIONS + 3)
    with pytest.raises(SystemExit) as refused:
        admin.check_partition_count(kafka)
    assert f"set TYNDAU_PARTITIONS={settings.PARTITIONS - 3}" in str(refused.value)


@pytest.mark.integration
def test_co_partitioned_topics_with_unequal_partition_counts_are_refused(kafka, monkeypatch):
    suffix = f"admin-{uuid.uuid4().hex[:8]}"
    specs = renamed(topic_specs(3), suffix, partitions={topics.REJECTED: 2})
    names = [s.name for s in specs]
    commands, rejected = f"{topics.COMMANDS}.{suffix}", f"{topics.REJECTED}.{suffix}"
    try:
        asyncio.run(admin._ensure_topics(kafka, specs))   # the check names the contract's topics: these pass unchecked
        wait_visible(kafka, names)
        assert describe(kafka, [commands, rejected])[0] == {commands: 3, rejected: 2}
        use_names(monkeypatch, suffix)                     # now they are the co-partitioned ones
        for _ in range(2):   # refused on every start, the topics being there
            with pytest.raises(SystemExit) as refused:
                asyncio.run(admin._ensure_topics(kafka, specs))
            message = str(refused.value)
            assert f"{commands} has 3 partitions but {rejected} has 2" in message
            assert "must be equal" in message
    finally:
        delete_topics(kafka, names)


@pytest.mark.integration
def test_a_topic_the_broker_refuses_to_create_is_not_passed_over_in_silence(kafka, monkeypatch):
    """A replication factor larger than the cluster: the single broker refuses INVALID_REPLICATION_FACTOR."""
    monkeypatch.setattr(settings, "REPLICATION", 3)
    spec = renamed([topic_specs()[0]], f"admin-{uuid.uuid4().hex[:8]}")[0]
    try:
        with pytest.raises((SystemExit, KafkaError)):
            asyncio.run(admin._ensure_topics(kafka, [spec]))
    finally:
        assert spec.name not in asyncio.run(_list_topics(kafka))


@pytest.mark.integration
def test_topic_partitions_lists_every_partition_in_order(kafka):
    found = asyncio.run(admin.topic_partitions(kafka, [topics.EVENTS, topics.SCHEMAS]))
    assert found == [TopicPartition(topics.EVENTS, p) for p in range(settings.PARTITIONS)] + [TopicPartition(topics.SCHEMAS, 0)]


@pytest.mark.integration
def test_topic_partitions_of_a_missing_topic_exits_naming_the_fix(kafka):
    missing = f"appeals.missing-{uuid.uuid4().hex[:8]}"
    with pytest.raises(SystemExit) as refused:
        asyncio.run(admin.topic_partitions(kafka, [topics.EVENTS, missing]))
    message = str(refused.value)
    assert missing in message and kafka in message
    assert "`tyndau topics`" in message
    assert missing not in asyncio.run(_list_topics(kafka)), "asking about a topic does not create it"


async def _list_topics(bootstrap: str) -> list[str]:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    try:
        return await client.list_topics()
    finally:
        await client.close()


def test_cluster_ready_is_false_where_nothing_listens():
    assert admin.cluster_ready(f"127.0.0.1:{free_port()}") is False


@pytest.mark.integration
def test_cluster_ready_is_true_for_the_broker(kafka):
    assert admin.cluster_ready(kafka) is True


@pytest.mark.integration
def test_the_commands_topic_keeps_the_broker_s_append_time_or_the_worker_will_not_start(kafka, monkeypatch):
    """The ledger judges each assertion at its record's timestamp, which a sender must not choose."""
    admin.check_command_timestamps(kafka)   # the session's topics, made by ensure_topics
    suffix = f"ts-{uuid.uuid4().hex[:8]}"
    name = f"{topics.COMMANDS}.{suffix}"
    asyncio.run(create_topics(kafka, [name]))   # created without the setting: the sender's CreateTime
    monkeypatch.setattr(topics, "COMMANDS", name)
    try:
        with pytest.raises(SystemExit, match="message.timestamp.type=LogAppendTime"):
            admin.check_command_timestamps(kafka)
        # `tyndau up` upgrades a development broker's older topic; then the worker starts.
        assert admin.upgrade_development_topics(kafka) is True
        admin.check_command_timestamps(kafka)
        assert admin.upgrade_development_topics(kafka) is False
        [spec] = [s for s in topic_specs() if s.name == name]
        assert_configured(describe(kafka, [name])[1][name], spec)   # the contract's settings, all of them
    finally:
        delete_topics(kafka, [name])
