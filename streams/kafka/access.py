"""Auditing the auditors: every read of personal data and every admin act, appended to appeals.access.

A read of personal data is answered only once its AccessRecorded record is acknowledged
(acks=all): if the record cannot be written, the data is not given out. The record names who
(the principal), what, which object, when and the purpose the reader stated; never the data.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from .. import settings, topics
from ..avro import codec
from ..domain import bounds
from ..domain.principals import Principal
from .security import connection

# What an AccessRecorded record says was done.
ACTS = ("read_personal_history", "read_filing_outcome", "issue_token", "revoke_token", "rebuild", "rotate_keys",
        "retire_key", "erase_request", "erase_personal_data", "sign_checkpoint")
MAX_PURPOSE_CHARS = 500


class AccessNotRecorded(RuntimeError):
    """The access record could not be made durable: the read or act must not go ahead."""


def purpose_problem(purpose: Any) -> str | None:
    """Why `purpose` is not a stated purpose (printable text of 3 to 500 characters); None when it is."""
    if not isinstance(purpose, str) or len(purpose.strip()) < 3:
        return "a stated purpose of at least 3 characters (e.g. purpose=court request 2-123/2026)"
    return bounds.text_problem(purpose, MAX_PURPOSE_CHARS, free_text=True)


def access_record(principal: Principal, what: str, object_type: str, obj: str, *, purpose: str | None = None,
                  via: str = "api", request_id: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    if what not in ACTS:
        raise ValueError(f"unknown act {what!r}; one of {', '.join(ACTS)}")
    return {"access_id": str(uuid.uuid4()), "at": at or datetime.now(timezone.utc), "who": principal.name,
            "role": principal.role, "what": what, "object_type": object_type, "object": obj, "purpose": purpose,
            "via": via, "request_id": request_id}


class AccessWriter:
    """One idempotent producer (acks=all) per process; `record` returns once the record is durable."""

    def __init__(self, bootstrap: str | None = None, timeout: float = 10.0) -> None:
        self.bootstrap, self.timeout = bootstrap, timeout
        self.producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()

    async def _start(self) -> AIOKafkaProducer:
        async with self._starting:
            if self.producer is None:
                producer = AIOKafkaProducer(**connection(self.bootstrap), acks="all", enable_idempotence=True,
                                            request_timeout_ms=int(self.timeout * 1000))
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()   # no half-started producer left behind
                    raise
                self.producer = producer
        return self.producer

    async def record(self, record: dict[str, Any]) -> None:
        try:
            producer = await self._start()
            value = codec.encode(codec.ACCESS_RECORD, record)
            await asyncio.wait_for(producer.send_and_wait(topics.ACCESS, key=record["object"].encode(), value=value),
                                   self.timeout)
        except (KafkaError, asyncio.TimeoutError, OSError) as error:
            raise AccessNotRecorded(f"the access could not be recorded on {topics.ACCESS} ({type(error).__name__}); "
                                    "it was not carried out") from None

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None


def record_now(record: dict[str, Any], bootstrap: str | None = None) -> None:
    """record() from a command-line tool: AccessNotRecorded when Kafka does not acknowledge it."""
    async def run() -> None:
        writer = AccessWriter(bootstrap or settings.KAFKA_BOOTSTRAP)
        try:
            await writer.record(record)
        finally:
            await writer.stop()
    asyncio.run(run())
