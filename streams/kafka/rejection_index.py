"""Which commands the rejections name: what a recovering ledger reads to know which re-delivered
commands already have their outcome on appeals.rejected."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from .. import topics
from ..avro import codec
from .security import connection

log = logging.getLogger(__name__)


async def rejected_command_offsets_after(after: dict[int, int], chunk: int = 1000) -> dict[int, set[int]]:
    """Per partition, the command offsets named by rejections for commands after `after[p]`.

    Rejections are written in command order, so this reads each partition of appeals.rejected
    backwards, a chunk at a time, until it reaches a rejection at or before `after[p]`.
    """
    if not after:
        return {}
    # Committed rejections only: a fenced worker's aborted transaction judged nothing.
    consumer = AIOKafkaConsumer(**connection(), group_id=None, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    found: dict[int, set[int]] = {p: set() for p in after}
    try:
        tps = [TopicPartition(topics.REJECTED, p) for p in after]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:
            stop, reached = ends[tp], False
            while stop > starts[tp] and not reached:
                begin = max(starts[tp], stop - chunk)
                consumer.seek(tp, begin)
                # The position, not the records: transaction markers take offsets no record is handed for.
                while await consumer.position(tp) < stop:
                    records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
                    for record in records:
                        if record.offset >= stop:
                            break
                        try:
                            source_offset = codec.decode(record.value)["source_offset"]
                        except Exception as error:  # not the ledger's writing; it names no command
                            log.error("skipping %s[%s]@%s: not a rejection record (%s)", tp.topic, tp.partition,
                                      record.offset, type(error).__name__)
                            continue
                        if source_offset > after[tp.partition]:
                            found[tp.partition].add(source_offset)
                        else:
                            reached = True
                stop = begin
        return found
    finally:
        await consumer.stop()
