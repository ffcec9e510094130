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

    __slots__ = ("status", "command_id", "request_id", "_record", "_raw")

    def __init__(self, status: str, command_id: str | None, request_id: str | None,
                 record: dict[str, Any] | None = None, raw: bytes | None = None):
        self.status = status            # accepted | rejected | duplicate
        self.command_id = command_id
        self.request_id = request_id
        self._record, self._raw = record, raw

    @property
    def record(self) -> dict[str, Any]:
        if self._record is None:
            self._record = codec.decode(self._raw)
        return self._record

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


def outcome_of(topic: str, value: bytes, headers: Any = ()) -> Outcome:
    if topic == topics.EVENTS:
        for key, header in headers or ():
            if key == COMMAND_ID_HEADER:
                return Outcome("accepted", header.decode(), None, raw=value)
    record = codec.decode(value)
    if topic == topics.EVENTS:
        return Outcome("accepted", record["command_id"], None, record)
    status = "duplicate" if record["reason"] == "duplicate_command" else "rejected"
    return Outcome(status, record["command_id"], record["request_id"], record)


class OutcomeReader:
    """Reads both outcome topics from given offsets (default: their current ends)."""

    def __init__(self, bootstrap: str | None = None):
        self.bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> dict[TopicPartition, int]:
        self.consumer = AIOKafkaConsumer(**connection(self.bootstrap), enable_auto_commit=False,
                                         group_id=None, auto_offset_reset="earliest")
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
                        outcome = outcome_of(tp.topic, message.value, message.headers)
                    except Exception as error:  # not the ledger's writing; it answers no request
                        log.error("skipping %s[%d]@%d, not an outcome record: %s", tp.topic, tp.partition,
                                  message.offset, type(error).__name__)
                        continue
                    on_outcome(outcome)

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


class OutcomeWaiter:
    """Futures for pending requests, resolved by an OutcomeReader; recent outcomes kept by command id.

    A rejection names its request id; an appended event names only its command id, and goes to
    the earliest pending request with that command id (a later one gets `duplicate_command`).
    """

    def __init__(self, keep: int = 100_000):
        self._pending: dict[str, tuple[str | None, asyncio.Future]] = {}
        self._by_command: dict[str, deque[str]] = {}
        self._recent: OrderedDict[str, Outcome] = OrderedDict()
        self._keep = keep

    def expect(self, command_id: str | None, request_id: str) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (command_id, fut)
        if command_id:
            self._by_command.setdefault(command_id, deque()).append(request_id)
        return fut

    def forget(self, request_id: str) -> None:
        command_id, _ = self._pending.pop(request_id, (None, None))
        queue = self._by_command.get(command_id) if command_id else None
        if queue is not None:
            if request_id in queue:
                queue.remove(request_id)
            if not queue:
                del self._by_command[command_id]

    def recent(self, command_id: str) -> Outcome | None:
        return self._recent.get(command_id)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def __call__(self, outcome: Outcome) -> None:
        if outcome.command_id and outcome.status != "duplicate":
            self._recent[outcome.command_id] = outcome
            self._recent.move_to_end(outcome.command_id)
            if len(self._recent) > self._keep:
                self._recent.popitem(last=False)
        request_id = outcome.request_id
        if request_id is None and outcome.command_id in self._by_command:
            request_id = self._by_command[outcome.command_id][0]
        if request_id is None or request_id not in self._pending:
            return
        _, fut = self._pending[request_id]
        self.forget(request_id)
        if not fut.done():
            fut.set_result(outcome)
