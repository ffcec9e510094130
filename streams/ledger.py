"""The ledger agent: each command is checked against its appeal's state and appended as an event.

Exactly one outcome per command, across crashes, without Kafka transactions:
- the state table `appeal_id_to_state` has appeals.events itself as its changelog, so the
  state a worker recovers is the fold of what the ledger really holds, never more or less;
- commands, events and rejections are co-partitioned: command partition p writes only to
  partition p of appeals.events and appeals.rejected, each record naming its command's offset
  (the `tyndau-command` header on events, source_offset in rejections);
- within a partition outcomes become durable in command order (the idempotent producer keeps
  one topic's order; a rejection waits for the events before it and is itself awaited), so
  after recovery every command at or below the highest recorded offset has its outcome on the
  log, and a re-delivered one is skipped rather than judged again against a later state;
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
    and per command partition the highest command offset whose outcome is on the log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.judged_upto: dict[int, int] = {}

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
        for partition, offset in (await last_rejected_offsets(partitions)).items():
            self.judged(partition, offset)

    def judged(self, partition: int, offset: int) -> None:
        if offset > self.judged_upto.get(partition, -1):
            self.judged_upto[partition] = offset

    def already_judged(self, partition: int, offset: int) -> bool:
        return offset <= self.judged_upto.get(partition, -1)

    def state_of(self, appeal_id: str) -> AppealState | None:
        return self.data.get(appeal_id)

    def remember(self, appeal_id: str, state: AppealState) -> None:
        # Written to the local store only: the event sent to appeals.events is the changelog record.
        self.data[appeal_id] = state


appeal_id_to_state: AppealLedgerTable = app.tables.add(
    AppealLedgerTable(app, name="appeal_id_to_state", changelog_topic=events_topic,
                      partitions=settings.PARTITIONS, help="Appeal state folded from appeals.events")
)


async def last_rejected_offsets(partitions: list[int]) -> dict[int, int]:
    """Command offset named by the last rejection in each partition of appeals.rejected."""
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.REJECTED_TOPIC, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        found: dict[int, int] = {}
        for tp in tps:
            if ends[tp] == 0:
                continue
            consumer.seek(tp, ends[tp] - 1)
            record = await consumer.getone(tp)
            rejected = codec.decode(record.value)
            found[rejected["source_partition"]] = rejected["source_offset"]
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
    last_event_sent: dict[int, Any] = {}
    async for record in stream.events():
        message, partition = record.message, record.message.partition
        if appeal_id_to_state.already_judged(partition, message.offset):
            continue  # re-delivered after a restart: its outcome is already on the log
        event, rejected = judge(message, datetime.now(timezone.utc))
        if event is not None:
            appeal_id_to_state.remember(event["appeal_id"], evolve(appeal_id_to_state.state_of(event["appeal_id"]), event))
            fut = await events_topic.send(key=event["appeal_id"].encode(), value=codec.encode_event(event), partition=partition,
                                          headers={SOURCE_HEADER: f"{partition}:{message.offset}".encode()})
            fut.add_done_callback(_on_sent)
            last_event_sent[partition] = fut
        else:
            if partition in last_event_sent:
                await last_event_sent.pop(partition)
            key = rejected["appeal_id"].encode() if rejected["appeal_id"] else None
            fut = await rejected_topic.send(key=key, value=codec.encode(codec.REJECTION, rejected), partition=partition)
            fut.add_done_callback(_on_sent)
            await fut
        appeal_id_to_state.judged(partition, message.offset)
