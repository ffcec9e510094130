"""The one Faust application of tyndau; topics, tables and agents import it, never the reverse."""

from __future__ import annotations

import faust
from faust.transport.drivers.aiokafka import Producer as _AIOKafkaProducer

from . import settings
from .kafka.records import tolerate_invalid_header_names
from .kafka.security import faust_credentials

tolerate_invalid_header_names()   # one bad header name must not stop the worker's consumers (streams/kafka/records.py)


class IdempotentProducer(_AIOKafkaProducer):
    """acks=all with the idempotent producer: a retried send never duplicates or reorders a record."""

    def _settings_extra(self):
        return {"acks": "all", "enable_idempotence": True}


class TyndauApp(faust.App):
    def _new_producer(self):
        return IdempotentProducer(self.transport, loop=self.loop, beacon=self.beacon)


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


app = TyndauApp(
    settings.APP_ID,
    broker=broker_urls(settings.KAFKA_BOOTSTRAP),
    broker_credentials=faust_credentials(),   # TLS and SASL/SCRAM from settings (streams/kafka/security.py)
    store="memory://",
    # At-least-once delivery plus a ledger whose state is folded from appeals.events itself
    # (see streams/agents/ledger.py) gives exactly one event per command, SIGKILL included.
    processing_guarantee="at_least_once",
    topic_partitions=settings.PARTITIONS,
    topic_replication_factor=settings.REPLICATION,
    table_standby_replicas=0,
    producer_acks=-1,
    # A few milliseconds of linger lets the producer fill batches instead of sending one record per request.
    producer_linger=0.005,
    broker_max_poll_records=5000,
    stream_buffer_maxsize=20000,
    # A worker that dies is noticed within 10 s, so its partitions move (or return) quickly.
    broker_session_timeout=10.0,
    broker_heartbeat_interval=2.0,
    broker_commit_every=1000,
    broker_commit_interval=0.5,
    web_enabled=True,
    web_bind=settings.HTTP_HOST,
    web_port=settings.HTTP_PORT,
    web_host=settings.HTTP_HOST,
    datadir=str(settings.DATA_DIR / "worker"),
    autodiscover=False,
)
