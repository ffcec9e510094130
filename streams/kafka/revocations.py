"""Revoked credentials: a compacted topic keyed by the token's jti, which every API worker follows.

`tyndau token revoke JTI` appends {"jti", "revoked_at", "by"}; each worker reads the topic from its
beginning and then keeps following it, so a revoked token is refused within about a second
everywhere. Until a worker has read the whole topic once, and whenever it has not heard from the
topic for STALE_SECONDS, it answers no authenticated request (it cannot tell a revoked token
from a good one): revocation fails closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from .. import settings, topics
from ..domain import bounds
from .admin import topic_partitions
from .security import connection

log = logging.getLogger(__name__)
MAX_JTI_CHARS = 64
STALE_SECONDS = 30.0   # no answer from the topic for this long: the list may be missing revocations


def jti_problem(jti: object) -> str | None:
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_CHARS or not jti.isascii() or not jti.isalnum():
        return f"a token id (jti) is 1 to {MAX_JTI_CHARS} ASCII letters and digits; got {bounds.shown(jti)}"
    return None


class Revocations:
    """The set of revoked jtis, kept up to date by `follow()`; `loaded` is set once the topic's
    content at start has been read."""

    def __init__(self, bootstrap: str | None = None) -> None:
        self.bootstrap = bootstrap
        self.revoked: set[str] = set()
        self.loaded = asyncio.Event()
        self.heard_at: float | None = None   # monotonic time of the last fetch that answered

    def age(self) -> float | None:
        """Seconds since the topic last answered; None before it ever has."""
        return None if self.heard_at is None else time.monotonic() - self.heard_at

    def current(self) -> bool:
        """Whether the list can be trusted now: read whole once, and heard from recently."""
        age = self.age()
        return self.loaded.is_set() and age is not None and age < STALE_SECONDS

    def __contains__(self, jti: object) -> bool:
        return jti in self.revoked

    def add(self, key: bytes | None) -> None:
        try:
            jti = key.decode("ascii") if isinstance(key, bytes) else None
        except UnicodeDecodeError:
            jti = None
        if jti is not None and jti_problem(jti) is None:
            self.revoked.add(jti)

    async def follow(self) -> None:
        """Read appeals.revocations from the beginning and keep following it (until cancelled); a
        broker outage is waited out, never a crash."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except (Exception, SystemExit) as error:   # SystemExit: a topic that cannot be described
                log.warning("following %s failed (%s); retrying in 2 s", topics.REVOCATIONS, type(error).__name__)
                await asyncio.sleep(2)

    async def _follow(self) -> None:
        partitions = await topic_partitions(self.bootstrap or settings.KAFKA_BOOTSTRAP, [topics.REVOCATIONS])
        consumer = AIOKafkaConsumer(**connection(self.bootstrap), group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            for tp in partitions:   # an explicit seek: seek_to_beginning() after end_offsets() may fetch nothing
                consumer.seek(tp, starts[tp])
            self.heard_at = time.monotonic()
            asked = time.monotonic()
            while True:
                fetched = await consumer.getmany(timeout_ms=200)
                for records in fetched.values():
                    for record in records:
                        self.add(record.key)
                if not self.loaded.is_set():
                    positions = [await consumer.position(tp) for tp in partitions]
                    if all(position >= ends[tp] for position, tp in zip(positions, partitions)):
                        self.loaded.set()
                if time.monotonic() - asked >= 5:
                    # A fetch returns nothing whether the broker is idle or gone; an answered request tells them apart.
                    asked = time.monotonic()
                    await asyncio.wait_for(consumer.end_offsets(partitions), 10)
                    self.heard_at = time.monotonic()
        finally:
            await consumer.stop()


async def revoked_now(bootstrap: str | None = None) -> set[str]:
    """The jtis revoked so far (the topic read once to its end), for a tool that checks one token."""
    from .topic_reader import TopicReader

    found = Revocations()
    async with TopicReader(bootstrap or settings.KAFKA_BOOTSTRAP, topics.REVOCATIONS) as reader:
        async for _, records in reader.batches():
            for record in records:
                found.add(record.key)
    return found.revoked


async def revoke(jti: str, by: str, bootstrap: str | None = None) -> None:
    """Append the revocation of `jti`, acknowledged by every in-sync replica."""
    problem = jti_problem(jti)
    if problem:
        raise ValueError(problem)
    producer = AIOKafkaProducer(**connection(bootstrap), acks="all", enable_idempotence=True)
    try:
        await producer.start()
        value = orjson.dumps({"jti": jti, "revoked_at": datetime.now(timezone.utc).isoformat(), "by": by})
        await producer.send_and_wait(topics.REVOCATIONS, key=jti.encode("ascii"), value=value)
    except KafkaError as error:
        raise SystemExit(f"cannot record the revocation on {topics.REVOCATIONS} ({type(error).__name__}); "
                         "is Kafka running (`tyndau up`) and TYNDAU_KAFKA set?") from None
    finally:
        await producer.stop()
