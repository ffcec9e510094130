"""The projector: appeals.events → ClickHouse, in batches; an offset is committed only after its batch is in.

It runs inside the Faust worker as an app task with its own consumer group
(`<app id>-projector`): appeals.events is also the ledger table's changelog, and Faust does not
let one app both restore a table from a topic and stream that topic to an agent.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError

from projections.clickhouse import client, in_db_thread, migrate
from projections.writer import ProjectionWriter, Record

from . import settings
from .app import app

log = logging.getLogger(__name__)
_writer: ProjectionWriter | None = None


def writer() -> ProjectionWriter:
    global _writer
    if _writer is None:
        db = client()
        migrate(db)  # a no-op after the worker's start-up has applied them
        _writer = ProjectionWriter(db)
    return _writer


async def write_until_done(records: list[Record]) -> None:
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


def projector_group() -> str:
    return f"{settings.APP_ID}-projector"


@app.task
async def project_events() -> None:
    consumer = AIOKafkaConsumer(
        settings.EVENTS_TOPIC, bootstrap_servers=settings.KAFKA_BOOTSTRAP, group_id=projector_group(),
        enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed",
        max_partition_fetch_bytes=8 * 1024 * 1024, session_timeout_ms=10_000, heartbeat_interval_ms=2_000,
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=int(settings.PROJECTOR_BATCH_SECONDS * 1000),
                                             max_records=settings.PROJECTOR_BATCH)
            records = [Record(tp.topic, tp.partition, m.offset, m.value) for tp, ms in batches.items() for m in ms]
            if not records:
                continue
            await write_until_done(records)
            try:
                await consumer.commit()
            except CommitFailedError:
                # The group rebalanced under us: the new owner replays from the last commit,
                # which the projection absorbs.
                log.warning("projector commit failed after a rebalance; the batch will be replayed")
    finally:
        await consumer.stop()
