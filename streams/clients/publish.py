"""Sending commands from a JSON Lines file to appeals.commands and learning each one's outcome."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from .. import settings, topics
from ..domain.bounds import MAX_COMMAND_BYTES
from ..kafka.outcomes import Outcome, OutcomeReader, OutcomeWaiter
from ..kafka.security import connection
from .signing import Signer


class Oversized(NamedTuple):
    """A line longer than a command may be: reported `too_large`, never sent (as HTTP answers 413)."""
    size: int


@dataclass
class PublishReport:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    unanswered: int = 0
    reasons: Counter = field(default_factory=Counter)
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "accepted": self.accepted, "rejected": self.rejected,
                "duplicates": self.duplicates, "unanswered": self.unanswered, "reasons": dict(self.reasons)}


def message_for(value: bytes) -> tuple[bytes | None, bytes, str | None]:
    """(key, value, command id) for one command line, its bytes unchanged; an unreadable line is
    still sent, for the ledger to reject and record."""
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        obj = None
    appeal_id = obj.get("appeal_id") if isinstance(obj, dict) else None
    command_id = obj.get("command_id") if isinstance(obj, dict) else None
    key = appeal_id.encode() if isinstance(appeal_id, str) else None
    return key, value, command_id if isinstance(command_id, str) else None


def read_lines(path: Path) -> Iterable[tuple[int, bytes | Oversized]]:
    """The file's non-blank lines as bytes, without reading more than one command's bound of a longer line."""
    with open(path, "rb") as source:
        number = 0
        while raw := source.readline(MAX_COMMAND_BYTES + 2):
            number += 1
            if len(raw.rstrip(b"\r\n")) > MAX_COMMAND_BYTES:
                size = len(raw.rstrip(b"\r\n"))
                while raw and not raw.endswith(b"\n"):   # skip the rest of the line, a megabyte at a time
                    raw = source.readline(1 << 20)
                    size += len(raw.rstrip(b"\r\n"))
                yield number, Oversized(size)
                continue
            line = raw.rstrip(b"\r\n")
            if line.strip():
                yield number, line


async def publish_lines(lines: Iterable[tuple[int, str | bytes | Oversized]], *, signer: Signer | None,
                        bootstrap: str | None = None, wait: float = 30.0,
                        progress: Callable[[int], None] | None = None, rate: float = 0.0) -> PublishReport:
    """Send every line, each with its `tyndau-auth` assertion from `signer` (None: unsigned, which the
    ledger rejects `unauthenticated`); with wait > 0, collect outcomes until all are known or none
    came for `wait` seconds. With rate > 0, send at that many commands per second (a steady stream)
    instead of as fast as possible."""
    bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
    report, waiter, line_of = PublishReport(), OutcomeWaiter(keep=0), {}
    reader = OutcomeReader(bootstrap)
    try:
        if wait > 0:
            await reader.start()
        producer = AIOKafkaProducer(**connection(bootstrap), acks="all", enable_idempotence=True,
                                    linger_ms=5, max_batch_size=512 * 1024)
        await producer.start()
    except KafkaConnectionError as error:
        raise SystemExit(f"cannot reach Kafka at {bootstrap} ({error}); start it with `tyndau up` or set TYNDAU_KAFKA") from None
    futures: list[tuple[str, asyncio.Future]] = []
    last_seen = [asyncio.get_running_loop().time()]

    def collect(outcome: Outcome) -> None:
        waiter(outcome)
        last_seen[0] = asyncio.get_running_loop().time()

    reading = asyncio.create_task(reader.run(collect)) if wait > 0 else None
    started = asyncio.get_running_loop().time()
    try:
        sends = []
        for number, line in lines:
            if rate > 0 and report.sent % 50 == 0:
                ahead = report.sent / rate - (asyncio.get_running_loop().time() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            if isinstance(line, str):
                line = line.encode("utf-8", "surrogateescape")
            value_size = line.size if isinstance(line, Oversized) else len(line)
            if value_size > MAX_COMMAND_BYTES:
                report.rejected += 1
                report.reasons["too_large"] += 1
                report.rejections.append({"line": number, "command_id": None, "reason": "too_large",
                                          "detail": f"the line is {value_size} bytes; at most {MAX_COMMAND_BYTES} are accepted (not sent)"})
                continue
            key, value, command_id = message_for(line)
            request_id = str(uuid.uuid4())
            line_of[request_id] = number
            if wait > 0:
                futures.append((request_id, waiter.expect(key.decode("utf-8", "replace") if key else None, command_id,
                                                          request_id)))
            headers = [(topics.REQUEST_ID_HEADER, request_id.encode())]
            if signer is not None:
                headers.append((topics.AUTH_HEADER, signer.header(value, command_id)))
            sends.append(await producer.send(topics.COMMANDS, value=value, key=key, headers=headers))
            report.sent += 1
            if len(sends) >= (2000 if rate <= 0 else max(1, int(rate // 10))):
                await asyncio.gather(*sends)
                sends.clear()
                if progress:
                    progress(report.sent)
        await asyncio.gather(*sends)
        if progress:
            progress(report.sent)
        await producer.flush()
        last_seen[0] = asyncio.get_running_loop().time()
        while wait > 0 and waiter.pending and asyncio.get_running_loop().time() - last_seen[0] < wait:
            if reading.done():
                reading.result()
            await asyncio.sleep(0.05)
    finally:
        await producer.stop()
        if reading:
            reading.cancel()
        await reader.stop()
    for request_id, fut in futures:
        if not fut.done():
            report.unanswered += 1
            continue
        outcome = fut.result()
        if outcome.status == "accepted":
            report.accepted += 1
            continue
        if outcome.status == "duplicate":
            report.duplicates += 1
        else:
            report.rejected += 1
        report.reasons[outcome.reason] += 1
        report.rejections.append({"line": line_of[request_id], "command_id": outcome.command_id,
                                  "reason": outcome.reason, "detail": outcome.record["detail"]})
    return report


def publish_file(path: Path, **kwargs: Any) -> PublishReport:
    if not path.exists():
        raise SystemExit(f"{path}: no such file")
    return asyncio.run(publish_lines(read_lines(path), **kwargs))
