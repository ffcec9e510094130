"""Every command of a partition reaches its judgement, in offset order, none left out.

appeals.commands is written without transactions and never compacted, so a partition's offsets have no holes
(retention removes only its oldest records). The ledger knows, from the log, the first command of each of its
partitions without an outcome (`AppealLedgerTable.next_to_judge`): the next command it judges must be that one.
A later one means its consumer skipped some: Faust's fetch loop counts an offset as read once it has handed a
record over, and a record handed over across a rebalance can leave that mark past commands the ledger never
saw, which Faust then drops as already read and may commit as a gap. Judging on would leave those commands
without an outcome for ever, and judge their successors against a state that lacks them.

So a command out of order is not judged and not acknowledged (nor is anything after it in that partition), and
the partition is read again from the first command without an outcome (`rewind`). A rebalance does the same for
every partition (streams/app.py `READ_POSITIONS`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from faust.types import TP

from .. import topics

log = logging.getLogger(__name__)

# After a rewind, the records of the partition already fetched (later ones) still arrive for a while: they are let
# go quietly, and only if the first command without an outcome has not come back by then is the partition rewound again.
REWIND_GRACE_SECONDS = 5.0
SETTLE_SECONDS = 0.05   # for Faust's fetch loop to leave the fetch it was handing over once its flow is stopped


class CommandOrder:
    """The ledger's rewinds in progress, per command partition: (the offset read again from, when)."""

    def __init__(self) -> None:
        self.rewinding: dict[int, tuple[int, float]] = {}

    def arrived(self, partition: int, offset: int) -> None:
        """A command is judged in order: any rewind of its partition is over."""
        if partition in self.rewinding and self.rewinding[partition][0] <= offset:
            del self.rewinding[partition]

    def due(self, partition: int, expected: int, now: float | None = None) -> bool:
        """Whether to rewind the partition to `expected` now: not while an earlier rewind to it may still be arriving."""
        now = time.monotonic() if now is None else now
        pending = self.rewinding.get(partition)
        return pending is None or pending[0] != expected or now - pending[1] >= REWIND_GRACE_SECONDS

    async def rewind(self, app: Any, partition: int, expected: int, seen: int,
                     floor: Callable[[int, int], None]) -> bool:
        """Read `partition` of appeals.commands again from `expected`, Faust's read mark included. Not while a
        rebalance is under way: it seeks every partition to its first command without an outcome itself.
        Commands the topic's retention removed before they were judged are gone: the partition is then read
        from its first record, and `floor(partition, offset)` tells the ledger so."""
        if not self.due(partition, expected):
            return False
        if app.rebalancing or not app.flow_control.is_active():
            return False
        consumer, tp = app.consumer, TP(topics.COMMANDS, partition)
        earliest = (await consumer.earliest_offsets(tp)).get(tp)
        if earliest is not None and earliest > expected:
            log.error("appeals.commands[%d]: commands %d to %d were removed by the topic's retention before they were "
                      "judged; judging on from %d", partition, expected, earliest - 1, earliest)
            floor(partition, earliest)
            expected = earliest
        else:
            log.error("appeals.commands[%d]: command %d reached the ledger, but %d is the first without an outcome; "
                      "reading the partition again from %d", partition, seen, expected, expected)
        consumer.stop_flow()   # Faust's fetch loop stops handing over the fetch it is in (its read mark would pass ours)
        try:
            await asyncio.sleep(SETTLE_SECONDS)
            await consumer.seek(tp, expected)
            self.rewinding[partition] = (expected, time.monotonic())
            return True
        finally:
            if not app.rebalancing:   # a rebalance that began meanwhile resumes the flow when it is done
                consumer.resume_flow()
