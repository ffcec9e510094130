"""Reading a topic from its beginning up to the end it had when reading started."""

from __future__ import annotations

from typing import Any, AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from .admin import topic_partitions
from .records import tolerate_invalid_header_names
from .security import connection

tolerate_invalid_header_names()


class TopicReader:
    """`async with TopicReader(bootstrap, topic) as r: async for tp, records in r.batches(): …`

    Stops at the end offsets taken on entry (`total` records in all), judging the end by the
    consumer's position, so a transaction's commit marker at the end does not make it wait.
    """

    def __init__(self, bootstrap: str, topic: str, max_records: int = 20_000, **options: Any):
        self.bootstrap, self.topic, self.max_records = bootstrap, topic, max_records
        self.options = {"isolation_level": "read_committed", "max_partition_fetch_bytes": 8 * 1024 * 1024, **options}
        self.consumer: AIOKafkaConsumer | None = None
        self.ends: dict[TopicPartition, int] = {}
        self.starts: dict[TopicPartition, int] = {}

    @property
    def total(self) -> int:
        return sum(self.ends[tp] - self.starts[tp] for tp in self.ends)

    async def __aenter__(self) -> "TopicReader":
        partitions = await topic_partitions(self.bootstrap, [self.topic])
        self.consumer = AIOKafkaConsumer(**connection(self.bootstrap), group_id=None, enable_auto_commit=False, **self.options)
        await self.consumer.start()
        self.consumer.assign(partitions)
        self.ends = await self.consumer.end_offsets(partitions)
        self.starts = await self.consumer.beginning_offsets(partitions)
        for tp in partitions:   # an explicit seek: seek_to_beginning() after end_offsets() may fetch nothing
            self.consumer.seek(tp, self.starts[tp])
        return self

    async def batches(self) -> AsyncIterator[tuple[TopicPartition, list]]:
        consumer = self.consumer
        remaining = {tp for tp in self.ends if self.ends[tp] > self.starts[tp]}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=self.max_records)
            for tp, records in fetched.items():
                below = [r for r in records if r.offset < self.ends[tp]]
                if below:
                    yield tp, below
            for tp in list(remaining):
                if await consumer.position(tp) >= self.ends[tp]:
                    remaining.discard(tp)

    async def __aexit__(self, *exc: Any) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
