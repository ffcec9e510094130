"""Reading a whole topic back from the real broker, for assertions."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer

from streams.kafka_admin import topic_partitions


async def _read_all(bootstrap: str, topic: str) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, [topic])
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        out = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, messages in batch.items():
                out.extend(messages)
                if messages and messages[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()


def read_all(bootstrap: str, topic: str) -> list:
    """Every record of `topic` up to its end at the time of the call (aiokafka ConsumerRecords)."""
    return asyncio.run(_read_all(bootstrap, topic))
