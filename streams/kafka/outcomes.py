"""Learning what became of commands: a group-less reader of appeals.events and appeals.rejected.

Every API worker and every `tyndau publish` runs one, so a caller can wait for the event its
command produced, or for the reason it was refused, whichever worker handled it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from typing import Any, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from .. import settings, topics
from ..avro import codec
from ..avro.jsonable import jsonable
from ..topics import COMMAND_ID_HEADER
from .admin import topic_partitions
from .records import tolerate_invalid_header_names
from .security import connection

tolerate_invalid_header_names()

log = logging.getLogger(__name__)


class Outcome:
    """What became of one command; its record (the AppealEvent or the CommandRejected) is
    decoded when first asked for, so following every outcome costs no Avro decoding."""

    __slots__ = ("status", "command_id", "request_id", "appeal_id", "_record", "_raw")

    def __init__(self, status: str, command_id: str | None, request_id: str | None,
                 record: dict[str, Any] | None = None, raw: bytes | None = None, appeal_id: str | None = None):
        self.status = status            # accepted | rejected | duplicate
        self.command_id = command_id
        self.request_id = request_id
        self.appeal_id = appeal_id      # with the command id, what names the command (ids are unique per appeal)
        self._record, self._raw = record, raw

    @property
    def record(self) -> dict[str, Any]:
        if self._record is None:
            self._record = codec.decode(self._raw)
        return self._record

    def sent_by(self) -> tuple[str, str] | None:
        """(role, name) of the principal that sent the command, as the ledger recorded it; None when unknown."""
        record = self.record
        if self.status == "accepted":
            if record.get("imported_by"):
                return "importer", record["imported_by"]
            return record["actor"]["role"], record["actor"]["id"]
        sender = record.get("sent_by")
        return (sender["role"], sender["id"]) if sender else None

    @property
    def reason(self) -> str | None:
        return None if self.status == "accepted" else self.record["reason"]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "command_id": self.command_id}
        if self.status == "accepted":
            out["event"] = jsonable(self.record)
        else:
            out.update(reason=self.record["reason"], detail=self.record["detail"], appeal_id=self.record["appeal_id"])
        return out


def outcome_of(topic: str, value: bytes, headers: Any = (), key: bytes | None = None) -> Outcome:
    """The outcome a record of appeals.events or appeals.rejected tells; an event's appeal is its key."""
    if topic == topics.EVENTS:
        appeal_id = key.decode("utf-8", "replace") if isinstance(key, bytes) else None
        for name, header in headers or ():
            if name == COMMAND_ID_HEADER and appeal_id is not None:
                return Outcome("accepted", header.decode(), None, raw=value, appeal_id=appeal_id)
        record = codec.decode(value)
        return Outcome("accepted", record["command_id"], None, record, appeal_id=record["appeal_id"])
    record = codec.decode(value)
    status = "duplicate" if record["reason"] == "duplicate_command" else "rejected"
    return Outcome(status, record["command_id"], record["request_id"], record, appeal_id=record["appeal_id"])


class OutcomeReader:
    """Reads both outcome topics from given offsets (default: their current ends)."""

    def __init__(self, bootstrap: str | None = None):
        self.bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> dict[TopicPartition, int]:
        self.consumer = AIOKafkaConsumer(**connection(self.bootstrap), enable_auto_commit=False, group_id=None,
                                         auto_offset_reset="earliest", isolation_level="read_committed")
        await self.consumer.start()
        partitions = await topic_partitions(self.bootstrap, [topics.EVENTS, topics.REJECTED])
        self.consumer.assign(partitions)
        ends = await self.consumer.end_offsets(partitions)
        for tp, offset in ends.items():
            self.consumer.seek(tp, offset)
        return ends

    async def run(self, on_outcome: Callable[[Outcome], Any]) -> None:
        assert self.consumer is not None, "start() first"
        while True:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, messages in batches.items():
                for message in messages:
                    try:
                        outcome = outcome_of(tp.topic, message.value, message.headers, message.key)
                    except Exception as error:  # not the ledger's writing; it answers no request
                        log.error("skipping %s[%d]@%d, not an outcome record: %s", tp.topic, tp.partition,
                                  message.offset, type(error).__name__)
                        continue
                    on_outcome(outcome)

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


CommandKey = tuple[str | None, str]   # (appeal id, command id): command ids are unique within an appeal
RECENT_PER_COMMAND_ID = 4             # outcomes kept for one command id (of different appeals or senders)


class OutcomeWaiter:
    """Futures for pending requests, resolved by an OutcomeReader; recent outcomes kept by command id.

    A rejection names its request id; an appended event names only its appeal and command id, and
    goes to the earliest pending request for that command of that appeal (a later one gets
    `duplicate_command`): the same command id sent to another appeal answers nobody else's request.
    """

    def __init__(self, keep: int = 100_000):
        self._pending: dict[str, tuple[CommandKey | None, asyncio.Future]] = {}
        self._by_command: dict[CommandKey, deque[str]] = {}
        self._recent: OrderedDict[str, deque[Outcome]] = OrderedDict()
        self._keep = keep

    def expect(self, appeal_id: str | None, command_id: str | None, request_id: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        key = (appeal_id, command_id) if command_id else None
        self._pending[request_id] = (key, fut)
        if key is not None:
            self._by_command.setdefault(key, deque()).append(request_id)
        return fut

    def forget(self, request_id: str) -> None:
        key, _ = self._pending.pop(request_id, (None, None))
        queue = self._by_command.get(key) if key else None
        if queue is not None:
            if request_id in queue:
                queue.remove(request_id)
            if not queue:
                del self._by_command[key]

    def recent(self, command_id: str) -> list[Outcome]:
        """The recent outcomes of commands with this id, newest first."""
        return list(reversed(self._recent.get(command_id, ())))

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __call__(self, outcome: Outcome) -> None:
        if outcome.command_id and outcome.status != "duplicate" and self._keep > 0:
            kept = self._recent.get(outcome.command_id)
            if kept is None:
                kept = self._recent[outcome.command_id] = deque(maxlen=RECENT_PER_COMMAND_ID)
            kept.append(outcome)
            self._recent.move_to_end(outcome.command_id)
            if len(self._recent) > self._keep:
                self._recent.popitem(last=False)
        request_id = outcome.request_id
        key = (outcome.appeal_id, outcome.command_id)
        if request_id is None and key in self._by_command:
            request_id = self._by_command[key][0]
        if request_id is None or request_id not in self._pending:
            return
        _, fut = self._pending[request_id]
        self.forget(request_id)
        if not fut.done():
            fut.set_result(outcome)
