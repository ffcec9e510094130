"""The ledger agent: each command is checked against its appeal's state and appended as an event.

Exactly one outcome per command, across crashes and paused workers:
- the state table `appeal_id_to_state` has appeals.events itself as its changelog, so the
  state a worker recovers is the fold of what the ledger really holds, never more or less; it is
  kept on local disk with the offset it reached (streams/agents/ledger_store.py), so a restart
  folds only what came since;
- commands, events and rejections are co-partitioned: command partition p writes only to
  partition p of appeals.events and appeals.rejected, each record naming its command's offset
  (the `tyndau-command` header on events, source_offset in rejections);
- commands are judged in batches (`streams/agents/judge.py`: any bytes get an event or a rejection,
  never an exception); each partition's rejections and events of a batch are one Kafka
  transaction (streams/kafka/outcome_writer.py), by the partition's own transactional producer,
  opened before the table recovers the partition: a worker that lost the partition is fenced;
- a batch's states reach the table only after its transactions are committed, so a batch
  that fails leaves no state the log does not hold;
- personal fields are sealed under each appeal's data key before an event is hashed; a new appeal's key
  goes to appeals.keys in its first event's transaction (streams/agents/data_keys.py);
- a command off the partition its key hashes to is rejected (`wrong_partition`), so each
  appeal's chain lives in one partition and no second ledger starts a fork of it;
- on recovery, commands up to the last event's command offset, and those named by the
  rejections after it, have their outcome on the log: a re-delivered one is skipped rather
  than judged again against a later state; every other command is judged (again), in offset
  order from the first without an outcome: each rebalance reads every partition from there,
  whatever offsets the group committed, and a command that arrives out of order is held and
  its partition read again (streams/agents/order.py);
- a command re-sent by a client with a used command id gets `duplicate_command`;
- who sent a command is the principal its `tyndau-auth` assertion names (the API's signature over
  the command's bytes and id): without a valid one it is rejected `unauthenticated`, and the
  domain decides whether that principal may send it (`forbidden`).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import faust
from faust.types import TP

from .. import settings, topics
from ..app import DELIVER_EVERY_RECORD, READ_POSITIONS, app
from ..auth.assertions import ASSERTION_SECONDS
from ..auth.keys import ASSERTIONS_FILE, KeyRing, ring_file
from ..avro import codec
from ..domain.appeal import AppealState
from ..kafka.outcome_writer import OutcomeWriter, Outgoing
from .batches import batches
from .order import REWIND_GRACE_SECONDS, CommandOrder
from .catch_up import fold_event, judged_offset
from .data_keys import FOLLOW_SECONDS, LedgerKeys, Minted
from .ledger_store import LedgerStore
from ..kafka.recovery import AFTER_RECOVERY
from ..kafka.rejection_index import rejected_command_offsets_after
from ..topics import AUTH_HEADER, COMMAND_ID_HEADER, SOURCE_HEADER
from .channels import commands_topic, events_topic
from ..telemetry import (LEDGER_BATCH_COMMANDS, LEDGER_BATCH_SECONDS, LEDGER_COMMANDS, LEDGER_REJECTIONS,
                         OUTCOME_LAG_SECONDS)
from .judge import header, judge, written_at

log = logging.getLogger(__name__)


def source_of(headers: Any) -> tuple[int, int] | None:
    """(partition, offset) of the command an event was judged from, from its `tyndau-command` header."""
    raw = header(headers, SOURCE_HEADER)
    try:
        partition, offset = (int(x) for x in raw.split(b":"))
        return partition, offset
    except (AttributeError, ValueError):
        return None


class RefusedAssertions:
    """The tyndau-auth headers of commands refused after their sender was proven, for as long as
    such a header could still verify: a copy of one written again is refused `unauthenticated`
    instead of being judged afresh against a later state. (An accepted command's copy is a
    `duplicate_command` anyway.) Refusals are few, so this stays small."""

    KEEP_SECONDS = ASSERTION_SECONDS + 120

    def __init__(self) -> None:
        self.seen: dict[bytes, float] = {}

    def __call__(self, assertion: bytes | None) -> bool:
        return assertion is not None and assertion in self.seen

    def add(self, assertion: bytes | None, now: float | None = None) -> None:
        if assertion is None:
            return
        now = time.monotonic() if now is None else now
        self.seen[assertion] = now
        if len(self.seen) % 1000 == 0:
            self.seen = {a: t for a, t in self.seen.items() if now - t < self.KEEP_SECONDS}


class AppealLedgerTable(faust.Table):
    """appeal id → AppealState, kept on local disk per partition (streams/agents/ledger_store.py) and
    recovered by folding appeals.events (this table's changelog) from the last offset the disk holds;
    and, per command partition, which command offsets already have their outcome on the log.

    Faust's own store stays empty: the states live in `self.disk`, which Faust's recovery reaches
    through `persisted_offset` and `apply_changelog_batch`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disk = LedgerStore(settings.LEDGER_STATE_DIR, settings.LEDGER_CACHE_STATES)
        self.judged_beyond: dict[int, set[int]] = {}  # later ones than the disk's judged offset (rejections after the last event)
        self.floors: dict[int, int] = {}              # per partition, its first command still on the topic, once one was not
        self.refused_assertions = RefusedAssertions()
        self.active: set[int] = set()                 # the command partitions this worker judges
        self.keys = LedgerKeys(self.disk)
        self.recovered = False                        # the active partitions' recovery (and keys) completed

    def persisted_offset(self, tp: Any) -> int | None:
        return self.disk.open(tp.partition).offset if tp.topic == topics.EVENTS else None

    def apply_changelog_batch(self, batch) -> None:
        """Fold events into their partition's states; idempotent, so an event read twice changes nothing."""
        folded: dict[int, tuple[dict[str, AppealState], list[int], list[int]]] = {}
        for record in batch:
            message = record.message
            states, offsets, judged = folded.setdefault(message.partition, ({}, [], []))
            offsets.append(message.offset)
            try:
                fold_event(states, self.disk.open(message.partition), codec.decode(message.value))
            except Exception as error:  # not the ledger's writing: `tyndau verify` reports it; recovery goes on
                log.error("skipping %s[%s]@%s in recovery, it is not an event this ledger can fold: %s",
                          message.topic, message.partition, message.offset, type(error).__name__)
                continue
            offset = judged_offset(source_of(message.headers), message.partition)
            if offset is not None:
                judged.append(offset)
        for partition, (states, offsets, judged) in folded.items():
            self.disk.open(partition).write(states, max(offsets), max(judged, default=None))

    async def on_rebalance(self, assigned, revoked, newly_assigned, generation_id: int = 0) -> None:
        """Before Faust recovers the new partitions: fence their previous owner, open their databases."""
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        self.recovered = False
        mine = {tp.partition for tp in assigned if tp.topic == topics.COMMANDS}
        held = {tp.partition for tp in assigned if tp.topic == topics.EVENTS}
        outcome_writer.assigned(mine)
        await outcome_writer.fence({tp.partition for tp in newly_assigned if tp.topic == topics.COMMANDS})
        for partition in held:
            self.disk.open(partition)
        self.keys.caught_up &= mine
        self.keys.active = mine
        for partition in set(self.disk.partitions) - mine:
            self.disk.open(partition).forget_keys()   # judged elsewhere: its erasures are not read here
        for partition in set(self.disk.partitions) - held:
            self.disk.close(partition)
        self.active = mine

    async def on_recovery_completed(self, active_tps, standby_tps) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        partitions = sorted(tp.partition for tp in active_tps if tp.topic == topics.EVENTS)
        after = {p: self.judged_upto(p) for p in partitions}
        for partition, offsets in (await rejected_command_offsets_after(after)).items():
            self.judged_beyond[partition] = offsets
        try:
            await self.keys.catch_up(partitions)   # every data key and erasure of these partitions, before judging
        except Exception as error:   # Faust would resume the streams anyway: judging without the keys mints wrong ones
            log.critical("could not read appeals.keys for partitions %s (%s); stopping", partitions, type(error).__name__)
            os._exit(70)
        self.recovered = True

    def judged_upto(self, partition: int) -> int:
        upto = self.disk.open(partition).judged_upto
        return -1 if upto is None else upto

    def already_judged(self, partition: int, offset: int) -> bool:
        return offset <= self.judged_upto(partition) or offset in self.judged_beyond.get(partition, ())

    def next_to_judge(self, partition: int) -> int:
        """The first command offset of this partition without an outcome on the log (0 before the first outcome)."""
        upto, beyond = self.disk.open(partition).judged_upto, self.judged_beyond.get(partition, ())
        offset = (-1 if upto is None else upto) + 1
        while offset in beyond:
            offset += 1
        return max(offset, self.floors.get(partition, offset))

    def floor(self, partition: int, offset: int) -> None:
        """The topic's retention removed this partition's commands before `offset` unjudged: judging goes on from it."""
        self.floors[partition] = offset

    def read_positions(self) -> dict[tuple[str, int], int]:
        """Where each command partition this worker judges is read from after a rebalance (streams/app.py)."""
        return {(topics.COMMANDS, partition): self.next_to_judge(partition) for partition in sorted(self.active)}

    def state_of(self, partition: int, appeal_id: str) -> AppealState | None:
        return self.disk.get(partition, appeal_id)

    def remember(self, partition: int, states: dict[str, AppealState], last_event: int | None, judged: int) -> None:
        # Written to the local disk only: the events sent to appeals.events are the changelog records.
        self.disk.open(partition).write(states, last_event, judged)

    def watched(self, before: date) -> Iterator[AppealState]:
        """The open or escalated appeals of the partitions this worker judges, due before `before`."""
        return self.disk.watched(sorted(self.active), before)

    async def on_stop(self) -> None:
        await super().on_stop()
        await outcome_writer.stop()
        await self.keys.stop()
        self.disk.close_all()


appeal_id_to_state: AppealLedgerTable = app.tables.add(
    AppealLedgerTable(app, name="appeal_id_to_state", changelog_topic=events_topic,
                      partitions=settings.PARTITIONS, help="Appeal state folded from appeals.events")
)
READ_POSITIONS.append(appeal_id_to_state.read_positions)


async def read_commands_again() -> None:
    """After a recovery, every command partition is read once more from its first command without an outcome: the
    records Faust fetched while it resumed the streams were cleared from their buffers (streams/kafka/recovery.py)."""
    await command_order.read_again(app, {partition: offset for (_, partition), offset in
                                         appeal_id_to_state.read_positions().items()})


AFTER_RECOVERY.append(read_commands_again)
DELIVER_EVERY_RECORD.add(topics.COMMANDS)   # none dropped by Faust's read marks: the ledger puts them in order
command_order = CommandOrder()


outcome_writer = OutcomeWriter()


class Batch:
    """One batch of commands being judged. The states its events lead to are kept here, apart
    from the table, and become the table's only once their partition's transaction is committed
    (`commit`): a batch that fails half-way leaves no phantom state behind."""

    def __init__(self, table: AppealLedgerTable, ring: KeyRing) -> None:
        self.table, self.ring = table, ring
        self.states: dict[int, dict[str, AppealState]] = {}
        self.judged: dict[int, int] = {}
        self.events: list[Outgoing] = []
        self.rejections: list[Outgoing] = []
        self.minted: dict[int, Minted] = {}   # per partition, the data keys of the appeals this batch filed
        self.outcomes: dict[int, list[tuple[str, datetime]]] = {}   # per partition: (event or reason, appended at)
        self.start: dict[int, int] = {}   # per partition, the first command without an outcome when the batch began

    def next_offset(self, partition: int) -> int:
        """The offset of the command of `partition` this batch must judge next."""
        if partition not in self.judged:
            if partition not in self.start:   # read from the disk once per batch, not once per command
                self.start[partition] = self.table.next_to_judge(partition)
            return self.start[partition]
        offset, beyond = self.judged[partition] + 1, self.table.judged_beyond.get(partition, ())
        while offset in beyond:   # judged out of order by an earlier version
            offset += 1
        return offset

    def add(self, message: Any, now: datetime) -> None:
        partition = message.partition
        states = self.states.setdefault(partition, {})
        refused = self.table.refused_assertions

        def state_of(appeal_id: str) -> AppealState | None:
            state = states.get(appeal_id)
            return state if state is not None else self.table.state_of(partition, appeal_id)

        minted, fresh = self.minted.setdefault(partition, {}), {}
        verdict = judge(message, now, state_of, self.ring, refused, self.table.keys.sealer(partition, minted, now, fresh))
        if verdict.rejection is not None and verdict.rejection["sent_by"] is not None:
            refused.add(header(message.headers, AUTH_HEADER))
        if verdict.event is not None:
            minted.update(fresh)   # a key minted for a command that was rejected after all is not written
            states[verdict.event["appeal_id"]] = verdict.state
            self.events.append((partition, verdict.key, verdict.value,
                                [(SOURCE_HEADER, f"{partition}:{message.offset}".encode()),
                                 (COMMAND_ID_HEADER, verdict.event["command_id"].encode())]))
        else:
            self.rejections.append((partition, verdict.key, verdict.value, []))
        self.judged[partition] = max(message.offset, self.judged.get(partition, -1))
        outcome = "event" if verdict.event is not None else verdict.rejection["reason"]
        self.outcomes.setdefault(partition, []).append((outcome, written_at(message, now)))

    def keys(self) -> list[Outgoing]:
        return [(p, appeal_id.encode(), value, []) for p, minted in self.minted.items()
                for appeal_id, (value, _) in minted.items()]

    def commit(self, written: dict[int, int | None]) -> None:
        """Keep the states of the partitions whose outcomes are on the log (`written`: their last event's offset)."""
        committed = datetime.now(timezone.utc)
        for partition, last_event in written.items():
            self.table.keys.remember(partition, self.minted.get(partition, {}))
            self.table.remember(partition, self.states.get(partition, {}), last_event, self.judged[partition])
            for outcome, appended in self.outcomes.get(partition, ()):
                if outcome == "event":
                    LEDGER_COMMANDS.labels("event").inc()
                else:
                    LEDGER_COMMANDS.labels("rejected").inc()
                    LEDGER_REJECTIONS.labels(outcome).inc()
                OUTCOME_LAG_SECONDS.observe(max(0.0, (committed - appended).total_seconds()))


@app.agent(commands_topic)
async def append_appeal_events(stream):
    try:
        async for records in batches(stream, settings.LEDGER_BATCH, settings.LEDGER_BATCH_SECONDS):
            try:
                started, now = time.perf_counter(), datetime.now(timezone.utc)
                batch = Batch(appeal_id_to_state, ring_file(ASSERTIONS_FILE).current())
                skipped: dict[int, tuple[int, int]] = {}   # partition → (the offset due, the one that came instead)
                for record in records:
                    message = record.message
                    partition, offset = message.partition, message.offset
                    due = batch.next_offset(partition)
                    if offset < due or appeal_id_to_state.already_judged(partition, offset):
                        continue  # delivered again (a restart, a rebalance, a rewind): its outcome is on the log
                    if offset > due:
                        # Out of order: the commands before it did not reach the ledger. Neither judged nor acked.
                        skipped.setdefault(partition, (due, offset))
                        continue
                    skipped.pop(partition, None)   # the commands read again came after the later ones fetched before
                    command_order.arrived(partition, offset)
                    batch.add(message, now)
                # Each partition's rejections and events in one transaction (streams/kafka/outcome_writer.py).
                written = await outcome_writer.write(batch.rejections, batch.events, batch.keys())
                batch.commit(written)
                moved = set(batch.judged) - set(written)
                for partition in {record.message.partition for record in records}:
                    if partition in moved:
                        records.hold(partition)   # moved to another worker: no outcome here, so no ack
                    else:   # acked: the commands with an outcome on the log, never one past a command without.
                        # Load-bearing: Faust commits the run of acked offsets after the committed one even when
                        # that offset itself was never acked, so an ack past an unjudged command would commit it.
                        records.ack_only_below(partition, appeal_id_to_state.next_to_judge(partition))
                for partition, (due, seen) in skipped.items():
                    await command_order.rewind(app, partition, due, seen, appeal_id_to_state.floor)
                LEDGER_BATCH_SECONDS.observe(time.perf_counter() - started)
                LEDGER_BATCH_COMMANDS.observe(len(records))
            except Exception as error:   # judging is total: this is the disk, a key file or a bug, never a command
                # Stop before Faust's next commit could take these commands' offsets: judged again after the restart.
                where = traceback.extract_tb(error.__traceback__)[-1]   # the error's type and place, never its text
                log.critical("the ledger could not finish a batch of %d commands: %s at %s:%d; stopping",
                             len(records), type(error).__name__, where.filename, where.lineno)
                os._exit(70)
    finally:
        await outcome_writer.stop()


@app.timer(interval=REWIND_GRACE_SECONDS)
async def finish_rewinds() -> None:
    """A partition read again whose first command without an outcome has not come back, or one that holds commands
    after it and has judged none for a while (records lost on the way to the ledger, none later to show it): read
    it again from that command."""
    if app.rebalancing or not appeal_id_to_state.recovered:
        return
    pending = dict(command_order.overdue())
    for partition in sorted(set(command_order.rewinding) - appeal_id_to_state.active):
        command_order.forget(partition)
    for partition in sorted(appeal_id_to_state.active):
        expected = appeal_id_to_state.next_to_judge(partition)
        if partition in pending and pending[partition] != expected:
            command_order.forget(partition)   # judged on meanwhile
        try:
            end = app.consumer.highwater(TP(topics.COMMANDS, partition))   # as the last fetch saw it
        except AssertionError:   # no longer assigned: a rebalance under way
            continue
        if pending.get(partition) == expected or command_order.stalled(partition, expected, end):
            await command_order.rewind(app, partition, expected, None, appeal_id_to_state.floor)


@app.timer(interval=FOLLOW_SECONDS)
async def follow_erasures() -> None:
    """Erasures others wrote (tyndau erase, the retention job) reach this ledger's disk within seconds."""
    partitions = sorted(appeal_id_to_state.active)
    if partitions and appeal_id_to_state.recovered:
        try:
            await appeal_id_to_state.keys.catch_up(partitions)
        except Exception as error:   # noqa: BLE001 — the broker away, a partition moving: the next run tries again
            log.warning("could not read appeals.keys for erasures: %s", type(error).__name__)
