"""The ledger agent: each command is checked against its appeal's state and appended as an event.

Exactly one outcome per command, across crashes, without Kafka transactions:
- the state table `appeal_id_to_state` has appeals.events itself as its changelog, so the
  state a worker recovers is the fold of what the ledger really holds, never more or less;
- commands, events and rejections are co-partitioned: command partition p writes only to
  partition p of appeals.events and appeals.rejected, each record naming its command's offset
  (the `tyndau-command` header on events, source_offset in rejections);
- commands are judged in batches; a batch's rejections are written and acknowledged before
  its events are sent, so a durable event implies every earlier rejection is durable too;
- on recovery, commands up to the last event's command offset, and those named by the
  rejections after it, have their outcome on the log: a re-delivered one is skipped rather
  than judged again against a later state; every other command is judged (again);
- a command re-sent by a client with a used command id gets `duplicate_command`.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition

from . import codec, settings
from .app import app
from .domain.appeal import AppealState, decide, evolve
from .domain.chain import seal
from .domain.commands import CommandError, parse_command
from .topics import commands_topic, events_topic, rejected_topic

log = logging.getLogger(__name__)


SOURCE_HEADER = "tyndau-command"   # on each event: "<partition>:<offset>" of its command


def _header(headers: Any, name: str) -> bytes | None:
    for key, value in (headers.items() if isinstance(headers, dict) else headers or ()):
        if key == name:
            return value if isinstance(value, bytes) else str(value).encode()
    return None


class AppealLedgerTable(faust.Table):
    """appeal id → AppealState, recovered by folding appeals.events (this table's changelog),
    and, per command partition, which command offsets already have their outcome on the log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.judged_upto: dict[int, int] = {}       # every command up to here is judged
        self.judged_beyond: dict[int, set[int]] = {}  # and these later ones (rejections after the last event)

    def apply_changelog_batch(self, batch) -> None:
        for record in batch:
            event = codec.decode(record.message.value)
            key = event["appeal_id"]
            self.data[key] = evolve(self.data.get(key), event)
            source = _header(record.message.headers, SOURCE_HEADER)
            if source:
                partition, offset = (int(x) for x in source.split(b":"))
                self.judged(partition, offset)

    async def on_recovery_completed(self, active_tps, standby_tps) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        partitions = sorted(tp.partition for tp in active_tps if tp.topic == settings.EVENTS_TOPIC)
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


async def rejected_command_offsets_after(after: dict[int, int], chunk: int = 1000) -> dict[int, set[int]]:
    """Per partition, the command offsets named by rejections for commands after `after[p]`.

    Rejections are written in command order, so this reads each partition of appeals.rejected
    backwards, a chunk at a time, until it reaches a rejection at or before `after[p]`.
    """
    if not after:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, group_id=None, enable_auto_commit=False)
    await consumer.start()
    found: dict[int, set[int]] = {p: set() for p in after}
    try:
        tps = [TopicPartition(settings.REJECTED_TOPIC, p) for p in after]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:
            stop, reached = ends[tp], False
            while stop > starts[tp] and not reached:
                begin = max(starts[tp], stop - chunk)
                consumer.seek(tp, begin)
                position = begin
                while position < stop:
                    records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
                    for record in records:
                        if record.offset >= stop:
                            break
                        rejected = codec.decode(record.value)
                        if rejected["source_offset"] > after[tp.partition]:
                            found[tp.partition].add(rejected["source_offset"])
                        else:
                            reached = True
                        position = record.offset + 1
                stop = begin
        return found
    finally:
        await consumer.stop()


def _request_id(headers: Any) -> str | None:
    value = _header(headers, settings.REQUEST_ID_HEADER)
    return value.decode() if value is not None else None


def rejection(message: Any, error: CommandError, obj: Any, now: datetime) -> dict[str, Any]:
    fields = obj if isinstance(obj, dict) else {}

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    return {
        "rejection_id": str(uuid.uuid4()),
        "request_id": _request_id(message.headers),
        "command_id": text("command_id"),
        "appeal_id": text("appeal_id"),
        "command_type": text("type"),
        "reason": error.reason,
        "detail": error.detail,
        "command": message.value or b"",
        "source_topic": message.topic,
        "source_partition": message.partition,
        "source_offset": message.offset,
        "rejected_at": now,
    }


def judge(message: Any, now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(event, None) to append, or (None, rejection) to record, for one command message."""
    obj: Any = None
    try:
        try:
            obj = json.loads(message.value)
        except (TypeError, ValueError, UnicodeDecodeError):
            raise CommandError("malformed", "the message value is not JSON; send one JSON object per command") from None
        command = parse_command(obj)
        key = message.key.decode() if isinstance(message.key, bytes) else message.key
        if key != command.appeal_id:
            raise CommandError("key_mismatch", f"the message key {key!r} must equal appeal_id {command.appeal_id!r}")
        event = seal(decide(appeal_id_to_state.state_of(command.appeal_id), command, now))
        return event, None
    except CommandError as error:
        return None, rejection(message, error, obj, now)


def _on_sent(fut: Any) -> None:
    # Faust only logs a failed send; a lost ledger record must stop the worker before the
    # command's offset can be committed, so the command is delivered again after restart.
    if fut.exception() is not None:
        log.critical("could not write to the ledger: %r; stopping so no command is acknowledged", fut.exception())
        os._exit(70)


@app.agent(commands_topic)
async def append_appeal_events(stream):
    async for batch in stream.take_events(settings.LEDGER_BATCH, within=settings.LEDGER_BATCH_SECONDS):
        now = datetime.now(timezone.utc)
        events, rejections = [], []
        for record in batch:
            message, partition = record.message, record.message.partition
            if appeal_id_to_state.already_judged(partition, message.offset):
                continue  # re-delivered after a restart: its outcome is already on the log
            event, rejected = judge(message, now)
            if event is not None:
                appeal_id_to_state.remember(event["appeal_id"], evolve(appeal_id_to_state.state_of(event["appeal_id"]), event))
                events.append((partition, message.offset, event))
            else:
                rejections.append((partition, rejected))
            appeal_id_to_state.judged(partition, message.offset)
        # Rejections first, acknowledged, then the events: a durable event implies the
        # rejections judged before it are durable (see the module's docstring).
        pending = []
        for partition, rejected in rejections:
            key = rejected["appeal_id"].encode() if rejected["appeal_id"] else None
            pending.append(await rejected_topic.send(key=key, value=codec.encode(codec.REJECTION, rejected), partition=partition))
        for fut in pending:
            fut.add_done_callback(_on_sent)
            await fut
        for partition, offset, event in events:
            fut = await events_topic.send(key=event["appeal_id"].encode(), value=codec.encode_event(event), partition=partition,
                                          headers={SOURCE_HEADER: f"{partition}:{offset}".encode()})
            fut.add_done_callback(_on_sent)
