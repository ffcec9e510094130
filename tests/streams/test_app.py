"""The Faust application: broker addresses, an idempotent acks=all producer, and the tolerant header reader."""

from __future__ import annotations

import asyncio
import os
import string
import subprocess
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
