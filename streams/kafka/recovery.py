"""Table recovery that ends on a changelog written in transactions.

Faust's recovery waits until it has read a changelog partition up to its high watermark minus one. When the
changelog is written in transactions (streams/kafka/outcome_writer.py) the last offset is a commit or abort
marker, which a read_committed reader is never handed: the wait would never end, or (in Faust's own
exactly-once mode) end only after two five-second timeouts. Here the target is the offset of the last record
a read_committed reader does see, found by reading back from the end in small windows — a few milliseconds
per partition, once per rebalance.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery

from .security import connection

log = logging.getLogger(__name__)

WINDOW = 256   # offsets read back at a time: a commit marker, or a fenced worker's aborted batch, behind the last event


async def last_visible_offsets(ends: dict[Any, int], floors: dict[Any, int | None],
                               bootstrap: str | None = None) -> dict[Any, int]:
    """Per partition, the offset of the last record below `ends[tp]` that read_committed readers see; the
    floor (an offset already folded, or -1) when there is none above it."""
    result: dict[Any, int] = {}
    wanted = {tp: end for tp, end in ends.items() if end > (floors.get(tp) if floors.get(tp) is not None else -1) + 1}
    for tp in ends:
        if tp not in wanted:
            result[tp] = ends[tp] - 1 if floors.get(tp) is None else min(floors[tp], ends[tp] - 1)
    if not wanted:
        return result
    consumer = AIOKafkaConsumer(**connection(bootstrap), group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", fetch_max_wait_ms=50)
    await consumer.start()
    try:
        partitions = {tp: TopicPartition(tp.topic, tp.partition) for tp in wanted}
        consumer.assign(list(partitions.values()))
        starts = await consumer.beginning_offsets(list(partitions.values()))
        for tp, part in partitions.items():
            floor = floors.get(tp)
            low = max(starts[part], (floor if floor is not None else -1) + 1)
            stop, found = wanted[tp], None
            while found is None and stop > low:
                begin = max(low, stop - WINDOW)
                consumer.seek(part, begin)
                while await consumer.position(part) < stop:
                    for record in (await consumer.getmany(part, timeout_ms=100)).get(part, []):
                        if record.offset < stop:
                            found = record.offset if found is None else max(found, record.offset)
                stop = begin
            result[tp] = found if found is not None else (floor if floor is not None else low - 1)
        return result
    finally:
        await consumer.stop()


# Called once a recovery has completed and the streams run again: the ledger seeks its command partitions once more
# (streams/agents/ledger.py). Faust resumes fetching and seeks the stream partitions before it resumes the flow
# control, and that resume clears the streams' buffers: records fetched in between are gone, and the fetch position
# is past them.
AFTER_RECOVERY: list[Callable[[], Awaitable[None]]] = []


class CommittedRecovery(Recovery):
    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        await super().on_recovery_completed(generation_id)
        if self.app.consumer_generation_id == generation_id and not self.app.rebalancing:
            for hook in AFTER_RECOVERY:
                try:
                    await hook()
                except Exception as error:   # noqa: BLE001 — never a failed recovery for it: the hooks' checks go on
                    log.warning("after the recovery, %s failed: %s", getattr(hook, "__name__", hook), type(error).__name__)

    async def _build_highwaters(self, consumer: Any, tps: Any, destination: Any, title: str) -> None:
        await super()._build_highwaters(consumer, tps, destination, title)
        ends = {tp: value + 1 for tp, value in destination.items()}
        floors = {tp: self.tp_to_table[tp].persisted_offset(tp) if tp in self.tp_to_table else None for tp in ends}
        visible = await asyncio.wait_for(last_visible_offsets(ends, floors), timeout=120)
        for tp, offset in visible.items():   # a Counter: update() would add
            destination[tp] = offset


class LedgerTableManager(TableManager):
    """Faust's table manager with CommittedRecovery."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = CommittedRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
