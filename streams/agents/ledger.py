"""The ledger agent: each command is checked against its appeal's state and appended as an event.

Exactly one outcome per command, across crashes, without Kafka transactions:
- the state table `appeal_id_to_state` has appeals.events itself as its changelog, so the
  state a worker recovers is the fold of what the ledger really holds, never more or less;
- commands, events and rejections are co-partitioned: command partition p writes only to
  partition p of appeals.events and appeals.rejected, each record naming its command's offset
  (the `tyndau-command` header on events, source_offset in rejections);
- commands are judged in batches (`streams/agents/judge.py`: any bytes get an event or a rejection,
  never an exception); a batch's rejections are written and acknowledged before its events
  are sent, so a durable event implies every earlier rejection is durable too;
- a batch's states reach the table only after all its outcomes are acknowledged, so a batch
  that fails leaves no state the log does not hold;
- a command off the partition its key hashes to is rejected (`wrong_partition`), so each
  appeal's chain lives in one partition and no second ledger starts a fork of it;
- on recovery, commands up to the last event's command offset, and those named by the
  rejections after it, have their outcome on the log: a re-delivered one is skipped rather
  than judged again against a later state; every other command is judged (again);
- a command re-sent by a client with a used command id gets `duplicate_command`;
- who sent a command is the principal its `tyndau-auth` assertion names (the API's signature over
  the command's bytes and id): without a valid one it is rejected `unauthenticated`, and the
  domain decides whether that principal may send it (`forbidden`).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

import faust

from .. import settings, topics
from ..app import app
from ..auth.assertions import ASSERTION_SECONDS
from ..auth.keys import ASSERTIONS_FILE, KeyRing, ring_file
from ..avro import codec
from ..domain.appeal import AppealState, evolve
from ..kafka.outcome_writer import OutcomeWriter, Outgoing
from ..kafka.rejection_index import rejected_command_offsets_after
from ..topics import AUTH_HEADER, COMMAND_ID_HEADER, SOURCE_HEADER
from .channels import commands_topic, events_topic
from .judge import header, judge

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
    """appeal id → AppealState, recovered by folding appeals.events (this table's changelog),
    and, per command partition, which command offsets already have their outcome on the log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.judged_upto: dict[int, int] = {}       # every command up to here is judged
        self.judged_beyond: dict[int, set[int]] = {}  # and these later ones (rejections after the last event)
        self.refused_assertions = RefusedAssertions()

    def apply_changelog_batch(self, batch) -> None:
        for record in batch:
            message = record.message
            try:
                event = codec.decode(message.value)
                key = event["appeal_id"]
                self.data[key] = evolve(self.data.get(key), event)
            except Exception as error:  # not the ledger's writing: `tyndau verify` reports it; recovery goes on
                log.error("skipping %s[%s]@%s in recovery, it is not an event this ledger can fold: %s",
                          message.topic, message.partition, message.offset, type(error).__name__)
                continue
            source = source_of(message.headers)
            if source:
                self.judged(*source)

    async def on_recovery_completed(self, active_tps, standby_tps) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        partitions = sorted(tp.partition for tp in active_tps if tp.topic == topics.EVENTS)
        after = {p: self.judged_upto.get(p, -1) for p in partitions}
        for partition, offsets in (await rejected_command_offsets_after(after)).items():
            self.judged_beyond[partition] = offsets

    def judged(self, partition: int, offset: int) -> None:
        if offset > self.judged_upto.get(partition, -1):
            self.judged_upto[partition] = offset

    def already_judged(self, partition: int, offset: int) -> bool:
        return offset <= self.judged_upto.get(partition, -1) or offset in self.judged_beyond.get(partition, ())

    def state_of(self, appeal_id: str) -> AppealState | None:
        return self.data.get(appeal_id)

    def remember(self, appeal_id: str, state: AppealState) -> None:
        # Written to the local store only: the event sent to appeals.events is the changelog record.
        self.data[appeal_id] = state


appeal_id_to_state: AppealLedgerTable = app.tables.add(
    AppealLedgerTable(app, name="appeal_id_to_state", changelog_topic=events_topic,
                      partitions=settings.PARTITIONS, help="Appeal state folded from appeals.events")
)


outcome_writer = OutcomeWriter()


class Batch:
    """One batch of commands being judged. The states its events lead to are kept here, apart
    from the table, and become the table's only once every outcome is acknowledged (`commit`):
    a batch that fails half-way leaves no phantom state behind."""

    def __init__(self, table: AppealLedgerTable, ring: KeyRing) -> None:
        self.table, self.ring = table, ring
        self.states: dict[str, AppealState] = {}
        self.judged: list[tuple[int, int]] = []
        self.events: list[Outgoing] = []
        self.rejections: list[Outgoing] = []

    def state_of(self, appeal_id: str) -> AppealState | None:
        state = self.states.get(appeal_id)
        return state if state is not None else self.table.state_of(appeal_id)

    def add(self, message: Any, now: datetime) -> None:
        partition = message.partition
        refused = self.table.refused_assertions
        verdict = judge(message, now, self.state_of, self.ring, refused)
        if verdict.rejection is not None and verdict.rejection["sent_by"] is not None:
            refused.add(header(message.headers, AUTH_HEADER))
        if verdict.event is not None:
            self.states[verdict.event["appeal_id"]] = verdict.state
            self.events.append((partition, verdict.key, verdict.value,
                                [(SOURCE_HEADER, f"{partition}:{message.offset}".encode()),
                                 (COMMAND_ID_HEADER, verdict.event["command_id"].encode())]))
        else:
            self.rejections.append((partition, verdict.key, verdict.value, []))
        self.judged.append((partition, message.offset))

    def commit(self) -> None:
        for appeal_id, state in self.states.items():
            self.table.remember(appeal_id, state)
        for partition, offset in self.judged:
            self.table.judged(partition, offset)


@app.agent(commands_topic)
async def append_appeal_events(stream):
    try:
        async for records in stream.take_events(settings.LEDGER_BATCH, within=settings.LEDGER_BATCH_SECONDS):
            now = datetime.now(timezone.utc)
            batch = Batch(appeal_id_to_state, ring_file(ASSERTIONS_FILE).current())
            for record in records:
                message = record.message
                if appeal_id_to_state.already_judged(message.partition, message.offset):
                    continue  # re-delivered after a restart: its outcome is already on the log
                batch.add(message, now)
            # Rejections first, acknowledged, then the events: a durable event implies the
            # rejections judged before it are durable (see the module's docstring).
            await outcome_writer.write(topics.REJECTED, batch.rejections)
            await outcome_writer.write(topics.EVENTS, batch.events)
            batch.commit()
    finally:
        await outcome_writer.stop()
