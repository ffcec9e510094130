"""The Faust application: broker addresses, an idempotent acks=all producer, and the tolerant header reader."""

from __future__ import annotations

import asyncio
import os
import string
import subprocess
import zlib
import sys
from pathlib import Path

import pytest
from faust.transport.drivers.aiokafka import Producer as FaustAIOKafkaProducer
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from streams import settings
from streams.app import IdempotentProducer, app, broker_urls

ROOT = Path(__file__).resolve().parents[2]
hosts = st.builds("{}:{}".format, st.text(alphabet=string.ascii_lowercase + string.digits + ".-", min_size=1, max_size=16),
                  st.integers(1, 65535))
blanks = st.sampled_from(["", " ", "  ", "\t"])


@pytest.mark.parametrize("bootstrap, urls", [
    ("127.0.0.1:9092", ["kafka://127.0.0.1:9092"]),
    ("b1:9092,b2:9093", ["kafka://b1:9092", "kafka://b2:9093"]),
    (" b1:9092 , b2:9093 ", ["kafka://b1:9092", "kafka://b2:9093"]),
    ("b1:9092,,b2:9093,", ["kafka://b1:9092", "kafka://b2:9093"]),
    ("", []),
    (" , ", []),
])
def test_broker_urls(bootstrap, urls):
    assert broker_urls(bootstrap) == urls


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(blanks, hosts, blanks), min_size=1, max_size=5))
def test_broker_urls_keep_every_server_in_order_whatever_the_spaces(servers):
    bootstrap = ",".join(before + host + after for before, host, after in servers)
    assert broker_urls(bootstrap) == [f"kafka://{host}" for _, host, _ in servers]


def test_the_app_connects_to_the_configured_brokers():
    assert [str(url) for url in app.conf.broker] == broker_urls(settings.KAFKA_BOOTSTRAP)
    assert app.conf.id == settings.APP_ID


def test_the_app_builds_the_idempotent_producer_with_acks_all():
    producer = app._new_producer()
    assert isinstance(producer, IdempotentProducer)
    assert not app.in_transaction, "at-least-once: faust's own producer would ask for nothing extra here"
    assert FaustAIOKafkaProducer._settings_extra(producer) == {}
    assert producer._settings_extra() == {"acks": "all", "enable_idempotence": True}
    assert app.conf.producer_acks == -1 and app.conf.processing_guarantee.value == "at_least_once"


def test_the_kafka_client_it_creates_is_idempotent_with_acks_all():
    async def client_settings():
        client = app._new_producer()._new_producer()
        try:
            return client._txn_manager is not None, client._sender._acks
        finally:
            await client.stop()

    idempotent, acks = asyncio.run(client_settings())
    assert idempotent and acks == -1     # aiokafka keeps acks="all" as -1


def test_the_app_uses_the_configured_partitions_and_replication():
    assert app.conf.topic_partitions == settings.PARTITIONS
    assert app.conf.topic_replication_factor == settings.REPLICATION


def test_importing_the_app_installs_the_tolerant_header_reader():
    """In a fresh process, so no other module has installed it first."""
    code = ("from aiokafka.consumer import fetcher; before = fetcher.MemoryRecords\n"
            "import streams.app\n"
            "from streams.kafka.records import TolerantRecords\n"
            "print(before is not TolerantRecords, fetcher.MemoryRecords is TolerantRecords)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TYNDAU_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_the_fast_delivery_recognises_only_a_not_yet_started_wait_on_that_very_event():
    """ReadCommittedConsumer.wait_first runs a record's delivery directly only for Faust's
    `wait_first(callback(record), suspend_flow.wait())`; anything else keeps Faust's own wait."""
    from streams.app import _is_wait_of

    async def check() -> None:
        event, other = asyncio.Event(), asyncio.Event()
        waiting = event.wait()
        assert _is_wait_of(waiting, event)
        assert not _is_wait_of(waiting, other)
        other_wait = other.wait()
        assert not _is_wait_of(other_wait, event)
        sleeping = asyncio.sleep(0)
        assert not _is_wait_of(sleeping, event)
        for coro in (waiting, other_wait, sleeping):
            coro.close()
        started = asyncio.ensure_future(event.wait())
        await asyncio.sleep(0)
        assert not _is_wait_of(started, event)   # a task, not a coroutine of Event.wait
        started.cancel()

    asyncio.run(check())


def test_commands_are_never_dropped_by_faust_s_read_marks():
    """Faust's fetch loop drops a record below a partition's read mark, and counts the offsets between the mark and
    a later record as a gap it may commit; a mark set past records a seek reads again lost a range of commands.
    The ledger's commands have no mark (it puts them in order itself); every other topic keeps Faust's."""
    import importlib

    from faust.types import TP

    from streams import topics
    from streams.app import DELIVER_EVERY_RECORD, ReadMarks, app

    importlib.import_module("streams.agents.ledger")   # registers the commands topic
    assert topics.COMMANDS in DELIVER_EVERY_RECORD
    marks = app.consumer._read_offset
    assert isinstance(marks, ReadMarks)
    commands, events = TP(topics.COMMANDS, 0), TP(topics.EVENTS, 0)
    marks[commands], marks[events] = 600, 600
    assert marks[commands] is None and marks[events] == 600
    assert marks[TP(topics.EVENTS, 1)] is None   # unset, as Faust's defaultdict gives


@pytest.mark.integration
def test_a_partition_without_a_committed_offset_is_read_again_from_its_beginning(kafka):
    """After a rebalance Faust seeks back to the committed offsets to re-read what it fetched and dropped; for a
    partition nobody committed, aiokafka would leave the position at what was fetched (those commands were
    never judged). Committed partitions go back to their offset; changelog partitions are left alone."""
    import uuid

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from streams.app import seek_to_committed

    stream, changelog = f"seek-stream-{uuid.uuid4().hex[:6]}", f"seek-changelog-{uuid.uuid4().hex[:6]}"

    async def check() -> dict:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        await admin.create_topics([NewTopic(stream, 3, 1), NewTopic(changelog, 1, 1)])
        await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        for partition in range(3):
            for n in range(10):
                await producer.send_and_wait(stream, b"v%d" % n, partition=partition)
        for n in range(10):
            await producer.send_and_wait(changelog, b"c%d" % n, partition=0)
        await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=f"seek-{uuid.uuid4().hex[:6]}",
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            parts = [TopicPartition(stream, p) for p in range(3)] + [TopicPartition(changelog, 0)]
            consumer.assign(parts)
            await consumer.commit({parts[1]: 4, parts[2]: 0})   # partition 0 has no committed offset
            for part in parts:
                consumer.seek(part, 10)   # as if all of it had been fetched (and dropped)
            committed = await seek_to_committed(consumer, {changelog})
            return {"committed": {tp.partition if tp.topic == stream else "changelog": v for tp, v in committed.items()},
                    "positions": {tp.partition if tp.topic == stream else "changelog": await consumer.position(tp) for tp in parts}}
        finally:
            await consumer.stop()

    found = asyncio.run(check())
    assert found["committed"] == {0: None, 1: 4, 2: 0, "changelog": None}
    assert found["positions"] == {0: 0, 1: 4, 2: 0, "changelog": 10}


def test_an_assignment_made_when_the_worker_had_another_url_is_kept():
    """A static member restarted within its session timeout gets its previous assignment back, with the URL it
    had then (another HTTP port): Faust's assignor asserted the URL and the group coordination ended there."""
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
    from faust.assignor.client_assignment import ClientAssignment, ClientMetadata
    from faust.assignor.partition_assignor import PartitionAssignor

    assignor = app.assignor
    metadata = ClientMetadata(assignment=ClientAssignment(actives={}, standbys={}), url="http://127.0.0.1:1",
                              changelog_distribution={}, external_topic_distribution={}, topic_groups={})
    assignment = ConsumerProtocolMemberAssignment(1, [], zlib.compress(metadata.dumps()))
    with pytest.raises(AssertionError):
        PartitionAssignor.on_assignment(assignor, assignment)
    assignor.on_assignment(assignment)
    assert str(assignor._url) == str(app.conf.canonical_url) != "http://127.0.0.1:1"
