"""The ledger agent: each command is checked against its appeal's state and appended as an event.

Exactly one event per accepted command, across crashes, without Kafka transactions:
- the state table `appeal_id_to_state` has appeals.events itself as its changelog, so the
  state a worker recovers is the fold of what the ledger really holds, never more or less;
- commands and events are co-partitioned (the event goes to its command's partition), so the
  worker that owns a command partition has recovered exactly the events of those appeals;
- offsets are committed only after the producer (acks=all, idempotent) has flushed.
A command re-delivered after a crash finds its command id in the recovered state and is
answered `duplicate_command` on appeals.rejected instead of being appended twice.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import Any

import faust

from . import codec, settings
from .app import app
from .domain.appeal import AppealState, decide, evolve
from .domain.chain import seal
from .domain.commands import CommandError, parse_command
from .topics import commands_topic, events_topic, rejected_topic

log = logging.getLogger(__name__)


class AppealLedgerTable(faust.Table):
    """appeal id → AppealState, recovered by folding appeals.events (this table's changelog)."""

    def apply_changelog_batch(self, batch) -> None:
        for record in batch:
            event = codec.decode(record.message.value)
            key = event["appeal_id"]
            self.data[key] = evolve(self.data.get(key), event)

    def state_of(self, appeal_id: str) -> AppealState | None:
        return self.data.get(appeal_id)

    def remember(self, appeal_id: str, state: AppealState) -> None:
        # Written to the local store only: the event sent to appeals.events is the changelog record.
        self.data[appeal_id] = state


appeal_id_to_state: AppealLedgerTable = app.tables.add(
    AppealLedgerTable(app, name="appeal_id_to_state", changelog_topic=events_topic,
                      partitions=settings.PARTITIONS, help="Appeal state folded from appeals.events")
)


def _request_id(headers: Any) -> str | None:
    for key, value in (headers.items() if isinstance(headers, dict) else headers or ()):
        if key == settings.REQUEST_ID_HEADER and value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


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
    async for record in stream.events():
        message = record.message
        event, rejected = judge(message, datetime.now(timezone.utc))
        if event is not None:
            appeal_id_to_state.remember(event["appeal_id"], evolve(appeal_id_to_state.state_of(event["appeal_id"]), event))
            fut = await events_topic.send(key=event["appeal_id"].encode(), value=codec.encode_event(event),
                                          partition=message.partition)
        else:
            key = rejected["appeal_id"].encode() if rejected["appeal_id"] else None
            fut = await rejected_topic.send(key=key, value=codec.encode(codec.REJECTION, rejected))
        fut.add_done_callback(_on_sent)
