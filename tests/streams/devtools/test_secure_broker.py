"""The secured broker (streams/devtools/secure_broker.py) on the real Kafka: SASL/SCRAM-SHA-512 users and
the ACLs of streams/kafka/acls.py, so that each topic is written by its writers in streams/topics.py only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.conn import create_conn
from aiokafka.errors import (ClusterAuthorizationFailedError, KafkaConnectionError, SaslAuthenticationFailed,
                             TopicAuthorizationFailedError)

from streams import settings, topics
from streams.devtools.broker import BrokerError, free_port
from streams.devtools.secure_broker import SecureBroker
from streams.kafka import acls
from streams.kafka.admin import ensure_topics
from streams.settings import ROOT

pytestmark = pytest.mark.integration

NOBODY = "nobody"   # authenticates, but no ACL names it
USERS = {**{user: f"{user}-password" for user in acls.users()}, NOBODY: "nobody-password"}
CASES = [(user, topic) for topic in topics.WRITERS for user in acls.users()]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    secure = SecureBroker(tmp_path_factory.mktemp("kafka-sasl"), port=free_port(), heap="384m", users=USERS)
    secure.start()
    try:
        secure.apply_acls(acls.grants())
        # The topics come after the ACLs in the metadata log: once the broker shows them (ensure_topics
        # waits for that), it has applied every ACL too. Created as the operator, through tyndau's own code.
        with pytest.MonkeyPatch.context() as patch:
            for name, value in as_settings(secure.client_environment(secure.operator)).items():
                patch.setattr(settings, name, value)
            ensure_topics(secure.bootstrap)
        yield secure
    finally:
        secure.stop()


def as_settings(environment: dict[str, str]) -> dict[str, str]:
    names = {"TYNDAU_KAFKA": "KAFKA_BOOTSTRAP", "TYNDAU_KAFKA_SECURITY_PROTOCOL": "KAFKA_SECURITY_PROTOCOL",
             "TYNDAU_KAFKA_SASL_MECHANISM": "KAFKA_SASL_MECHANISM", "TYNDAU_KAFKA_USERNAME": "KAFKA_USERNAME",
             "TYNDAU_KAFKA_PASSWORD": "KAFKA_PASSWORD"}
    return {names[key]: value for key, value in environment.items()}


async def _write(options: dict, topic: str, idempotent: bool) -> int:
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=idempotent, request_timeout_ms=10000)
    await producer.start()
    try:
        return (await producer.send_and_wait(topic, key=b"k", value=uuid.uuid4().bytes)).offset
    finally:
        await producer.stop()


def write(broker: SecureBroker, user: str, topic: str, password: str | None = None, idempotent: bool = True) -> int:
    """The offset of a record `user` wrote to `topic` with acks=all (idempotent, as tyndau's producers are)."""
    return asyncio.run(_write(broker.client_options(user, password), topic, idempotent))


@pytest.mark.parametrize(("user", "topic"), CASES, ids=[f"{user}-{topic}" for user, topic in CASES])
def test_a_user_writes_exactly_the_topics_streams_topics_gives_it(broker, user, topic):
    if user in topics.WRITERS[topic]:
        assert write(broker, user, topic) >= 0
    else:
        with pytest.raises(TopicAuthorizationFailedError):
            write(broker, user, topic)


def test_only_the_ledger_writes_outcomes_and_only_the_api_writes_commands(broker):
    """The rule itself, on the broker, whatever the table says."""
    for outcome in (topics.EVENTS, topics.REJECTED, topics.PUBLIC):
        assert write(broker, "ledger", outcome) >= 0
        with pytest.raises(TopicAuthorizationFailedError):
            write(broker, "api", outcome)
    assert write(broker, "api", topics.COMMANDS) >= 0
    with pytest.raises(TopicAuthorizationFailedError):
        write(broker, "ledger", topics.COMMANDS)


def test_a_wrong_password_is_refused_at_authentication(broker):
    options = broker.client_options("api", "not-the-password")

    async def handshake() -> None:
        conn = await create_conn(broker.host, broker.port, security_protocol=options["security_protocol"],
                                 sasl_mechanism=options["sasl_mechanism"], sasl_plain_username="api",
                                 sasl_plain_password="not-the-password")
        conn.close()

    with pytest.raises(SaslAuthenticationFailed):
        asyncio.run(handshake())
    with pytest.raises(KafkaConnectionError):   # a client cannot bootstrap at all
        write(broker, "api", topics.COMMANDS, password="not-the-password")


def test_a_user_without_acls_is_refused_everywhere(broker):
    for topic in topics.WRITERS:
        with pytest.raises(TopicAuthorizationFailedError):
            write(broker, NOBODY, topic, idempotent=False)
    # An idempotent producer needs the right to write some topic to get its producer id at all.
    with pytest.raises(ClusterAuthorizationFailedError):
        write(broker, NOBODY, topics.COMMANDS)

    async def read() -> None:
        consumer = AIOKafkaConsumer(topics.EVENTS, **broker.client_options(NOBODY), group_id=None,
                                    auto_offset_reset="earliest")
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=5000)
        finally:
            await consumer.stop()

    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(read())


def test_the_ledger_reads_the_commands_in_its_consumer_group(broker):
    offset = write(broker, "api", topics.COMMANDS)

    async def read() -> list[int]:
        consumer = AIOKafkaConsumer(topics.COMMANDS, **broker.client_options("ledger"), group_id=topics.LEDGER_GROUP,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        try:
            seen: list[int] = []
            for _ in range(20):
                batches = await consumer.getmany(timeout_ms=500)
                seen += [record.offset for records in batches.values() for record in records]
                if offset in seen:
                    break
            await consumer.commit()
            return seen
        finally:
            await consumer.stop()

    assert offset in asyncio.run(read())


def test_tyndau_clients_connect_with_the_security_settings_from_the_environment(broker):
    script = ("import asyncio\n"
              "from aiokafka import AIOKafkaProducer\n"
              "from streams.kafka.security import connection\n"
              "async def main():\n"
              "    producer = AIOKafkaProducer(**connection(), acks='all')\n"
              "    await producer.start()\n"
              "    try:\n"
              "        print((await producer.send_and_wait('appeals.commands', b'from the environment')).offset)\n"
              "    finally:\n"
              "        await producer.stop()\n"
              "asyncio.run(main())\n")
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, **broker.client_environment("api")}, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) >= 0


def test_user_names_and_passwords_are_checked_before_anything_runs(tmp_path):
    with pytest.raises(BrokerError, match="broker's own"):
        SecureBroker(tmp_path, users={"broker": "x"})
    with pytest.raises(BrokerError, match="letters, digits"):
        SecureBroker(tmp_path, users={"api": 'with "quotes"'})
