"""Every command of a partition reaches its judgement, in offset order, none left out.

appeals.commands is written without transactions and never compacted, so a partition's offsets have no holes
(retention removes only its oldest records). The ledger knows, from the log, the first command of each of its
partitions without an outcome (`AppealLedgerTable.next_to_judge`): the next command it judges must be that one.
A later one means its consumer skipped some. Faust's fetch loop used to: it counts an offset as read once it has
handed a record over, and a record handed over across a rebalance, or fetched before a seek, left that mark past
commands the ledger never saw, which Faust then dropped as already read and could commit as a gap. The commands
topic no longer has such marks (streams/app.py `DELIVER_EVERY_RECORD`): every fetched record reaches the ledger,
which lets go those it judged already. Judging past a missing command would leave it without an outcome for
ever, and judge its successors against a state that lacks it; so this stays the ledger's own check.

A command out of order is not judged and not acknowledged (nor is anything after it in that partition). When the
commands read again are not among the ones that follow in the same batch, the partition is read again from the
first command without an outcome (`rewind`), and again by a timer if that command has not come back within
REWIND_GRACE_SECONDS. Records lost with none after them (a partition's last commands) show no order broken: the
timer also reads again a partition that holds commands past its first without an outcome and has judged none for
STALL_SECONDS (`stalled`). A rebalance reads every partition from there (streams/app.py `READ_POSITIONS`), and
again once its recovery is over (`read_again`): Faust clears the streams' buffers after it has resumed fetching.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from faust.types import TP

from .. import topics

log = logging.getLogger(__name__)

# After a rewind, the records of the partition fetched before it (later ones) still arrive for a while: they are let
# go quietly, and only if the first command without an outcome has not come back by then is the partition rewound again.
REWIND_GRACE_SECONDS = 5.0
# A partition that holds commands past its first one without an outcome, and has judged none for this long, is read
# again from it (records lost on the way, with no later one to show it). A backlog judges some of every partition's
# commands in each batch, so this is no busy partition.
STALL_SECONDS = 3 * REWIND_GRACE_SECONDS


class CommandOrder:
    """The ledger's rewinds in progress, per command partition: (the offset read again from, when)."""

    def __init__(self) -> None:
        self.rewinding: dict[int, tuple[int, float]] = {}
        self.watching: dict[int, tuple[int, float]] = {}   # per partition: (its first command without an outcome, since)

    def arrived(self, partition: int, offset: int) -> None:
        """A command is judged in order: any rewind of its partition is over."""
        if partition in self.rewinding and self.rewinding[partition][0] <= offset:
            del self.rewinding[partition]

    def due(self, partition: int, expected: int, now: float | None = None) -> bool:
        """Whether to rewind the partition to `expected` now: not while an earlier rewind to it may still be arriving."""
        now = time.monotonic() if now is None else now
        pending = self.rewinding.get(partition)
        return pending is None or pending[0] != expected or now - pending[1] >= REWIND_GRACE_SECONDS

    def overdue(self, now: float | None = None) -> list[tuple[int, int]]:
        """(partition, offset) of the rewinds whose command has not come back within the grace: nothing else may
        arrive to show it (the partition's last commands), so the ledger's timer reads them again."""
        now = time.monotonic() if now is None else now
        return [(partition, expected) for partition, (expected, since) in sorted(self.rewinding.items())
                if now - since >= REWIND_GRACE_SECONDS]

    def forget(self, partition: int) -> None:
        """The partition moved to another worker: its rewind is that worker's business now."""
        self.rewinding.pop(partition, None)
        self.watching.pop(partition, None)

    def stalled(self, partition: int, expected: int, end: int | None, now: float | None = None) -> bool:
        """Whether the partition holds commands from `expected` up to its end offset `end` (exclusive) and its first
        command without an outcome has stayed `expected` for STALL_SECONDS: records lost on the way to the ledger
        with none after them to show it (its last commands)."""
        now = time.monotonic() if now is None else now
        if end is None or expected >= end:
            self.watching.pop(partition, None)
            return False
        watched = self.watching.get(partition)
        if watched is None or watched[0] != expected:
            self.watching[partition] = (expected, now)
            return False
        return now - watched[1] >= STALL_SECONDS

    async def read_again(self, app: Any, positions: dict[int, int]) -> None:
        """Seek each command partition to its offset, its first command without an outcome (after a recovery:
        streams/kafka/recovery.py AFTER_RECOVERY). What cannot be sought now, the stall check finds later."""
        consumer = app.consumer
        for partition, offset in sorted(positions.items()):
            tp = TP(topics.COMMANDS, partition)
            if app.rebalancing:
                return
            try:
                if tp in consumer.assignment():
                    await consumer.reread(tp, offset)
            except Exception as error:   # noqa: BLE001 — revoked meanwhile, a timeout
                log.warning("appeals.commands[%d]: could not read the partition again from %d after the recovery (%s)",
                            partition, offset, type(error).__name__)

    async def rewind(self, app: Any, partition: int, expected: int, seen: int | None,
                     floor: Callable[[int, int], None]) -> bool:
        """Read `partition` of appeals.commands again from `expected` (`seen`: the later command that came instead;
        None: nothing came). Not while a rebalance is under way: it seeks every partition to its first command
        without an outcome itself; a rewind refused, or failed (the partition revoked meanwhile, the broker away),
        is left to the ledger's timer. Commands the topic's retention removed before they were judged are gone:
        the partition is then read from its first record, and `floor(partition, offset)` tells the ledger so."""
        if not self.due(partition, expected):
            return False
        if app.rebalancing or not app.flow_control.is_active():
            return False
        consumer, tp = app.consumer, TP(topics.COMMANDS, partition)
        try:
            earliest = (await consumer.earliest_offsets(tp)).get(tp)
            if app.rebalancing or tp not in consumer.assignment():
                return False
            if earliest is not None and earliest > expected:
                log.error("appeals.commands[%d]: commands %d to %d were removed by the topic's retention before they "
                          "were judged; judging on from %d", partition, expected, earliest - 1, earliest)
                floor(partition, earliest)
                # Nothing below it exists: Faust's commit goes on from there (it waits for a contiguous run of
                # acked offsets after the committed one, and would hold every later ack until the next rebalance).
                consumer._committed_offset[tp] = earliest
                expected = earliest
            elif seen is None:
                log.error("appeals.commands[%d]: command %d has not reached the ledger for %.0f s; reading the "
                          "partition again from it", partition, expected, REWIND_GRACE_SECONDS)
            else:
                log.error("appeals.commands[%d]: command %d reached the ledger, but %d is the first without an "
                          "outcome; reading the partition again from %d", partition, seen, expected, expected)
            # On the consumer's own thread, as Faust's seeks are; the records fetched meanwhile are all handed over
            # (streams/app.py DELIVER_EVERY_RECORD), and those out of order let go.
            await consumer.reread(tp, expected)
        except Exception as error:   # noqa: BLE001 — revoked meanwhile (aiokafka's IllegalStateError), a timeout
            log.warning("appeals.commands[%d]: could not read the partition again from %d (%s); the ledger's timer "
                        "tries again", partition, expected, type(error).__name__)
            return False
        finally:
            self.rewinding[partition] = (expected, time.monotonic())
        return True
