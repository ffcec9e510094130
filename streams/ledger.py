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
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from . import codec, settings
from .app import app
from .domain.appeal import AppealState, decide, evolve
from .domain.chain import seal
from .domain.commands import CommandError, parse_command
from .outcomes import COMMAND_ID_HEADER
from .topics import commands_topic, events_topic

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


class OutcomeWriter:
    """The ledger's own idempotent producer (acks=all): outcomes go out as one record batch per
    partition, and a batch of commands is finished only when all its outcomes are acknowledged.

    Faust's `Topic.send` costs a future, a callback and a buffer entry per record; at thousands
    of commands a second that was most of the ledger's time.
    """

    def __init__(self) -> None:
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = AIOKafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, acks="all", enable_idempotence=True,
                                        max_batch_size=settings.LEDGER_RECORD_BATCH_BYTES, client_id=f"{settings.APP_ID}-ledger")
            await producer.start()
            self.producer = producer
        return self.producer

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def write(self, topic: str, records: list[tuple[int, bytes | None, bytes, list[tuple[str, bytes]]]]) -> None:
        """Send (partition, key, value, headers) records, in order per partition, and wait for every acknowledgement.

        A failure stops the worker before these commands' offsets can be committed, so they are
        judged again after the restart (see the module's docstring)."""
        if not records:
            return
        producer = await self.start()
        by_partition: dict[int, list] = {}
        for record in records:
            by_partition.setdefault(record[0], []).append(record)
        sent = []
        try:
            for partition, items in by_partition.items():
                batch = producer.create_batch()
                for _, key, value, headers in items:
                    if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:   # full
                        sent.append(await producer.send_batch(batch, topic, partition=partition))
                        batch = producer.create_batch()
                        # A new batch takes its first record whatever its size; the broker's limit applies.
                        batch.append(key=key, value=value, timestamp=None, headers=headers)
                sent.append(await producer.send_batch(batch, topic, partition=partition))
            for fut in sent:
                await fut
        except Exception as error:   # not durable: stop before the consumer commits past these commands
            log.critical("could not write to the ledger (%s): %r; stopping so no command is acknowledged", topic, error)
            os._exit(70)


outcome_writer = OutcomeWriter()


@app.agent(commands_topic)
async def append_appeal_events(stream):
    try:
        async for batch in stream.take_events(settings.LEDGER_BATCH, within=settings.LEDGER_BATCH_SECONDS):
            now = datetime.now(timezone.utc)
            events, rejections = [], []
            for record in batch:
                message, partition = record.message, record.message.partition
                if appeal_id_to_state.already_judged(partition, message.offset):
                    continue  # re-delivered after a restart: its outcome is already on the log
                event, rejected = judge(message, now)
                if event is not None:
                    appeal_id = event["appeal_id"]
                    appeal_id_to_state.remember(appeal_id, evolve(appeal_id_to_state.state_of(appeal_id), event))
                    events.append((partition, appeal_id.encode(), codec.encode_event(event),
                                   [(SOURCE_HEADER, f"{partition}:{message.offset}".encode()),
                                    (COMMAND_ID_HEADER, event["command_id"].encode())]))
                else:
                    key = rejected["appeal_id"].encode() if rejected["appeal_id"] else None
                    rejections.append((partition, key, codec.encode(codec.REJECTION, rejected), []))
                appeal_id_to_state.judged(partition, message.offset)
            # Rejections first, acknowledged, then the events: a durable event implies the
            # rejections judged before it are durable (see the module's docstring).
            await outcome_writer.write(settings.REJECTED_TOPIC, rejections)
            await outcome_writer.write(settings.EVENTS_TOPIC, events)
    finally:
        await outcome_writer.stop()
