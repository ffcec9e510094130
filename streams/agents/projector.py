"""The projector: appeals.events → ClickHouse, in batches; an offset is committed only after its batch is in.

It runs inside the Faust worker as an app task with its own consumer group
(topics.PROJECTOR_GROUP, `<app id>-projector`): appeals.events is also the ledger table's changelog, and Faust does not
let one app both restore a table from a topic and stream that topic to an agent.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError

from projections.clickhouse import client, in_db_thread, migrate, truncate_projections
from projections.writer import ProjectionWriter, RawEvent

from .. import settings, topics
from ..app import app
from ..kafka.security import connection
from ..telemetry import CLICKHOUSE_INSERT_SECONDS, PROJECTED_EVENTS, PROJECTOR_LAG_EVENTS, PROJECTOR_LAG_SECONDS
from .rebuild import rebuild

log = logging.getLogger(__name__)
_writer: ProjectionWriter | None = None


def writer() -> ProjectionWriter:
    global _writer
    if _writer is None:
        db = client()
        migrate(db)  # a no-op after the worker's start-up has applied them
        _writer = ProjectionWriter(db)
    return _writer


async def write_until_done(records: list[RawEvent]) -> None:
    """Retry a failed insert with backoff: an unwritten batch is never committed, never skipped."""
    delay = 0.5
    while True:
        try:
            await in_db_thread(writer().write, records)
            return
        except Exception:  # any failure: the batch is not in ClickHouse yet
            log.exception("ClickHouse insert of %d events failed; retrying in %.1fs", len(records), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


async def _start_rebuild(consumer: AIOKafkaConsumer) -> None:
    partitions = sorted(consumer.assignment())
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    await in_db_thread(truncate_projections, writer().db)
    writer().cache.clear()
    writer().tree.reset()
    for tp in partitions:
        consumer.seek(tp, starts[tp])
    rebuild.start(starts, ends)
    log.warning("rebuilding the projections from offset 0: %d events to replay", rebuild.events_total)


async def _track_rebuild(consumer: AIOKafkaConsumer) -> None:
    rebuild.progress({tp: await consumer.position(tp) for tp in rebuild.ends})
    if rebuild.state == "done":
        log.warning("rebuild done: %d events in %.1fs", rebuild.events_total, rebuild.elapsed_s)


async def measure_lag(consumer: AIOKafkaConsumer, batches: dict) -> None:
    """The projector's lag after a batch: events still waiting per partition (the last stable offset the fetch
    saw, less the position; a transaction marker counts as one), and the age of the latest event written while
    any wait."""
    waiting = 0
    for tp in consumer.assignment():
        end = consumer.last_stable_offset(tp)   # read_committed: an open transaction's records are not due yet
        if end is None:
            continue
        behind = max(0, end - await consumer.position(tp))
        PROJECTOR_LAG_EVENTS.labels(str(tp.partition)).set(behind)
        waiting += behind
    newest = max((m.timestamp for ms in batches.values() for m in ms if m.timestamp), default=None)
    if not waiting:
        PROJECTOR_LAG_SECONDS.set(0.0)
    elif newest:
        PROJECTOR_LAG_SECONDS.set(max(0.0, time.time() - newest / 1000))


class TreeStart(ConsumerRebalanceListener):
    """A partition assigned is read from where its Merkle tree ends, whatever offset the group committed: its leaves
    are the partition's records in log order, so none may be missed (a crash between a rebuild's emptying of the
    tables and its first commit, group offsets reset or lost) — a record at or below the tree's last leaf is
    skipped, one missing before the first record read would shift every later leaf. The other tables take a replay
    as it is. A partition that moves may come back after another projector wrote its tree: its edge is read again."""

    def __init__(self) -> None:
        self.consumer: AIOKafkaConsumer | None = None

    def tree_of(self, tp) -> int:
        """The partition whose tree `tp` builds: its own number (appeals.events)."""
        return tp.partition

    async def on_partitions_revoked(self, revoked) -> None:
        if _writer is not None:
            _writer.tree.forget({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned) -> None:
        if not assigned or self.consumer is None:
            return
        tree = (await in_db_thread(writer)).tree
        tree.forget({self.tree_of(tp) for tp in assigned})
        for tp in sorted(assigned):
            try:
                edge = await in_db_thread(tree.edge, self.tree_of(tp))
                committed = await self.consumer.committed(tp)
                if not edge.size:
                    if committed:
                        log.warning("%s[%d]: its Merkle tree is empty, the group committed %d: reading it from its "
                                    "start", tp.topic, tp.partition, committed)
                    await self.consumer.seek_to_beginning(tp)
                elif committed is None or committed > edge.last_offset + 2:   # + 2: the commit marker after it
                    # Also after records of an aborted transaction (a fenced ledger's): read again, skipped again.
                    log.info("%s[%d]: its Merkle tree ends at offset %d, the group committed %s: reading it from the "
                             "tree's end", tp.topic, tp.partition, edge.last_offset, committed)
                    self.consumer.seek(tp, edge.last_offset + 1)
            except Exception as error:   # noqa: BLE001 — the engine or the broker away: read from the committed offset
                log.error("%s[%d]: could not find where its Merkle tree ends (%s): reading from the committed offset",
                          tp.topic, tp.partition, type(error).__name__)


@app.task
async def project_events() -> None:
    consumer = AIOKafkaConsumer(
        **connection(), group_id=topics.PROJECTOR_GROUP,
        enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024, session_timeout_ms=10_000, heartbeat_interval_ms=2_000,
    )
    listener = TreeStart()
    listener.consumer = consumer
    consumer.subscribe([topics.EVENTS], listener=listener)
    await consumer.start()
    try:
        while True:
            if rebuild.requested and consumer.assignment():
                await _start_rebuild(consumer)
            batches = await consumer.getmany(timeout_ms=int(settings.PROJECTOR_BATCH_SECONDS * 1000),
                                             max_records=settings.PROJECTOR_BATCH)
            records = [RawEvent(tp.topic, tp.partition, m.offset, m.value, m.key) for tp, ms in batches.items() for m in ms]
            if not records:
                await measure_lag(consumer, {})
                if rebuild.state == "running":
                    await _track_rebuild(consumer)
                continue
            started = time.perf_counter()
            await write_until_done(records)
            CLICKHOUSE_INSERT_SECONDS.observe(time.perf_counter() - started)
            PROJECTED_EVENTS.inc(len(records))
            await measure_lag(consumer, batches)
            try:
                await consumer.commit()
            except CommitFailedError:
                # The group rebalanced under us: the new owner replays from the last commit,
                # which the projection absorbs.
                log.warning("projector commit failed after a rebalance; the batch will be replayed")
            if rebuild.state == "running":
                await _track_rebuild(consumer)
    finally:
        await consumer.stop()
