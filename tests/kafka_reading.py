"""Reading a whole topic back from the real broker, for assertions."""

from __future__ import annotations

import asyncio

from streams.kafka.topic_reader import TopicReader


async def _read_all(bootstrap: str, topic: str) -> list:
    out = []
    async with TopicReader(bootstrap, topic) as reader:
        async for _, records in reader.batches():
            out.extend(records)
    return out


def read_all(bootstrap: str, topic: str) -> list:
    """Every record of `topic` up to its end at the time of the call (aiokafka ConsumerRecords)."""
    return asyncio.run(_read_all(bootstrap, topic))
