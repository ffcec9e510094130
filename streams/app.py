"""The one Faust application of tyndau; topics, tables and agents import it, never the reverse."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

import faust
from faust.assignor.client_assignment import ClientMetadata
from faust.assignor.partition_assignor import PartitionAssignor
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as _ConsumerThread
from faust.transport.drivers.aiokafka import Consumer as _AIOKafkaConsumer
from faust.transport.drivers.aiokafka import Producer as _AIOKafkaProducer
from mode.services import WaitResults
from yarl import URL

from . import settings
from .kafka.records import tolerate_invalid_header_names
from .kafka.recovery import LedgerTableManager
from .kafka.security import faust_credentials

tolerate_invalid_header_names()   # one bad header name must not stop the worker's consumers (streams/kafka/records.py)


log = logging.getLogger(__name__)


class IdempotentProducer(_AIOKafkaProducer):
    """acks=all with the idempotent producer: a retried send never duplicates or reorders a record."""

    def _settings_extra(self):
        return {"acks": "all", "enable_idempotence": True}


class _ReadCommittedThread(_ConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        # The ledger writes appeals.events in transactions (streams/kafka/outcome_writer.py); its table
        # recovers from that topic and must never fold what a fenced worker's aborted transaction left.
        consumer._isolation_level = "read_committed"
        # Faust runs this consumer in a thread of its own, and every call into it (offsets, highwaters, seeks:
        # each step of a table's recovery) waits for the fetch in flight; Faust's 1.5 s long poll made a
        # restart spend six seconds waiting. Idle fetches every 0.2 s cost the broker next to nothing.
        consumer._fetch_max_wait_ms = 200
        return consumer

    async def seek_to_committed(self):
        positions = {}
        for source in READ_POSITIONS:   # read here, on the worker's loop, before the consumer's thread seeks
            positions.update(source())
        return await self.call_thread(seek_to_committed, self._ensure_consumer(), self.consumer.app.tables.changelog_topics,
                                      positions)


# Sources of the offsets some stream partitions must be read from whatever the group committed: each returns
# {(topic, partition): offset}. The ledger's is the first command of each of its partitions without an outcome on
# the log (streams/agents/ledger.py): which commands were judged is the log's to say, not the committed offsets'.
READ_POSITIONS: list[Callable[[], dict[tuple[str, int], int]]] = []


async def seek_to_committed(consumer, changelog_topics, positions: dict[tuple[str, int], int] | None = None) -> dict:
    """Seek the assigned partitions back to their committed offsets, as Faust does after a rebalance or a
    recovery to re-read what it fetched and dropped meanwhile (records of a partition paused for recovery, or
    of an older generation). aiokafka leaves a partition without a committed offset (or at 0) where fetching
    left it, so those records were lost until the next restart (seen: a ledger that took over a partition
    nobody had committed yet never judged its commands). Such a partition is read again from its beginning;
    the ledger skips the commands whose outcome is on the log. Changelog partitions keep the positions
    Faust's recovery gives them.

    A partition in `positions` is read from the offset given there instead, whatever was committed: Faust's
    bookkeeping can commit past records it never handed over (an offset it counts as a gap), and a ledger that
    went by the committed offset would leave those commands without an outcome for ever. Returns the offsets
    each partition is read from (None: the committed offset is unknown), as aiokafka's seek_to_committed does."""
    committed = await consumer.seek_to_committed()
    chosen = {tp: positions[(tp.topic, tp.partition)] for tp in committed if (tp.topic, tp.partition) in (positions or {})}
    unset = [tp for tp, offset in committed.items() if not offset and tp.topic not in changelog_topics and tp not in chosen]
    if unset:
        await consumer.seek_to_beginning(*unset)
        log.info("read again from the beginning, having no committed offset: %s",
                 ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(unset)))
    for tp, offset in chosen.items():
        if committed[tp] is not None and offset < committed[tp]:
            log.warning("%s[%d]: offsets were committed up to %d, but the first record without an outcome is %d; "
                        "read from there", tp.topic, tp.partition, committed[tp], offset)
        consumer.seek(tp, offset)
        committed[tp] = offset
    return committed


# Topics whose every fetched record is handed to its stream, none dropped as already read (the ledger's commands:
# streams/agents/order.py puts them in order and lets duplicates go).
DELIVER_EVERY_RECORD: set[str] = set()


class ReadMarks(defaultdict):
    """Faust's per-partition read marks (`Consumer._read_offset`). Its fetch loop drops a record below the mark as
    read already, and counts the offsets between the mark and a record above it as a gap that may be committed
    unseen. The mark is set once a record is handed over, also when a rebalance then clears the stream's buffer,
    and a fetch begun before a seek can set it past the records the seek reads again: those were dropped, and a
    range of commands never reached the ledger. For the topics of DELIVER_EVERY_RECORD there is no mark: every
    record is handed over, and no gap is ever counted."""

    def __init__(self) -> None:
        super().__init__(lambda: None)

    def __getitem__(self, tp):
        return None if tp.topic in DELIVER_EVERY_RECORD else super().__getitem__(tp)

    def get(self, tp, default=None):
        return default if tp.topic in DELIVER_EVERY_RECORD else super().get(tp, default)


def _is_wait_of(coro, event) -> bool:
    """True if `coro` is `event.wait()`, not started yet."""
    frame = getattr(coro, "cr_frame", None)
    return frame is not None and coro.cr_code is type(event).wait.__code__ and frame.f_locals.get("self") is event


class ReadCommittedConsumer(_AIOKafkaConsumer):
    """Faust's consumer, reading committed records only (Faust reads uncommitted ones unless it runs its own
    exactly-once mode, which would also make it commit the command offsets in transactions)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = ReadMarks()

    def _new_consumer_thread(self):
        return _ReadCommittedThread(self, loop=self.loop, beacon=self.beacon)

    async def reread(self, tp, offset: int) -> None:
        """Read `tp` again from `offset`: the seek runs on the consumer's thread, and waits until it is done."""
        await self._thread.seek_wait({tp: offset})

    async def wait_first(self, *coros, timeout=None):
        """Faust hands each fetched record to the streams as `wait_first(callback(record), suspend_flow.wait())`:
        four tasks and an `asyncio.wait` per record, so records reached the ledger's stream at a few hundred a
        second while a fetch of thousands waited in memory. When that delivery cannot block (flow running, no
        rebalance under way, no stream buffer full) the callback runs directly; otherwise Faust's own wait."""
        if len(coros) == 2 and timeout is None and _is_wait_of(coros[1], self.suspend_flow) and self._delivery_cannot_block():
            coros[1].close()
            await coros[0]
            return WaitResults([coros[0]], [None], False)
        return await super().wait_first(*coros, timeout=timeout)

    def _delivery_cannot_block(self) -> bool:
        app, conductor = self.app, self.app.topics
        return (self.flow_active and not self.suspend_flow.is_set() and app.flow_control.is_active() and not app.rebalancing
                and not conductor._tp_to_callback_lock.locked()
                and app.producer.buffer.size <= app.producer.buffer.max_messages
                and not any(topic._queue is not None and topic._queue.full() for topic in conductor._topics))


class StaticMemberAssignor(PartitionAssignor):
    """Faust's assignor, for static members. A ledger process restarted under the same TYNDAU_WORKER_NAME
    within its session timeout is handed its previous assignment as the group coordinator kept it, with the
    worker URL it had then; Faust asserts that URL is its own, and a process started with another HTTP port
    (bench/restart.py, a changed configuration) had its group coordination end on that assertion, consuming
    nothing from then on. The URL only names where a worker serves Faust's web views, which tyndau does not
    route to: an older one is accepted, with a note in the log."""

    _accepted_url: URL | None = None

    @property
    def _url(self) -> URL:
        return self._accepted_url or self.app.conf.canonical_url

    def on_assignment(self, assignment) -> None:
        own = self.app.conf.canonical_url
        given = ClientMetadata.loads(self._decompress(assignment.user_data)).url
        if given == str(own):
            return super().on_assignment(assignment)
        log.info("assignment made for this member when its URL was %s (now %s): kept", given, own)
        self._accepted_url = URL(given)
        try:
            super().on_assignment(assignment)
        finally:
            self._accepted_url = None


class TyndauApp(faust.App):
    def _new_producer(self):
        return IdempotentProducer(self.transport, loop=self.loop, beacon=self.beacon)

    def _new_consumer(self):
        return ReadCommittedConsumer(self.transport, callback=self.topics.on_message, loop=self.loop,
                                     on_partitions_revoked=self._on_partitions_revoked,
                                     on_partitions_assigned=self._on_partitions_assigned, beacon=self.beacon)


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


app = TyndauApp(
    settings.APP_ID,
    broker=broker_urls(settings.KAFKA_BOOTSTRAP),
    broker_credentials=faust_credentials(),   # TLS and SASL/SCRAM from settings (streams/kafka/security.py)
    store="memory://",   # the ledger table keeps its states on disk itself (streams/agents/ledger_store.py)
    TableManager=LedgerTableManager,   # recovery that ends on a changelog written in transactions
    PartitionAssignor=StaticMemberAssignor,   # a static member restarted with another URL keeps consuming
    # At-least-once delivery plus a ledger whose state is folded from appeals.events itself
    # (see streams/agents/ledger.py) gives exactly one event per command, SIGKILL included.
    processing_guarantee="at_least_once",
    topic_partitions=settings.PARTITIONS,
    topic_replication_factor=settings.REPLICATION,
    # A standby replica keeps each ledger partition's state warm on another worker, for failover.
    table_standby_replicas=settings.STANDBY_REPLICAS,
    producer_acks=-1,
    # A few milliseconds of linger lets the producer fill batches instead of sending one record per request.
    producer_linger=0.005,
    broker_max_poll_records=5000,
    stream_buffer_maxsize=20000,
    # A worker that dies is noticed within 8 s (TYNDAU_SESSION_TIMEOUT_SECONDS), so its partitions move (or return) quickly.
    broker_session_timeout=settings.SESSION_TIMEOUT_SECONDS,
    # Static membership: a ledger process restarted under the same name (`tyndau up`, a StatefulSet pod) takes
    # its partitions back at once instead of waiting out the session timeout and a rebalance.
    consumer_group_instance_id=settings.WORKER_NAME or None,
    broker_heartbeat_interval=2.0,
    broker_commit_every=1000,
    broker_commit_interval=0.5,
    web_enabled=True,   # a worker without the api role turns it off before it starts (streams/agents/roles.py)
    web_bind=settings.HTTP_HOST,
    web_port=settings.HTTP_PORT,
    web_host=settings.HTTP_HOST,
    datadir=str(settings.DATA_DIR / "worker"),
    autodiscover=False,
)
