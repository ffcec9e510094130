"""The projector agent: appeals.events → ClickHouse, in batches; offsets advance only after the insert."""

from __future__ import annotations

import asyncio
import logging

from projections.clickhouse import client, in_db_thread, migrate
from projections.writer import ProjectionWriter, Record

from . import settings
from .app import app
from .topics import events_topic

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
    """Retry a failed insert with backoff rather than let Faust acknowledge unwritten events."""
    delay = 0.5
    while True:
        try:
            await in_db_thread(lambda: writer().write(records))
            return
        except Exception:  # any failure: the batch is not in ClickHouse yet
            log.exception("ClickHouse insert of %d events failed; retrying in %.1fs", len(records), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


@app.agent(events_topic)
async def project_events(stream):
    async for batch in stream.take_events(settings.PROJECTOR_BATCH, within=settings.PROJECTOR_BATCH_SECONDS):
        await write_until_done([Record(e.message.topic, e.message.partition, e.message.offset, e.message.value) for e in batch])
