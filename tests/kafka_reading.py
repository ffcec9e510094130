"""Reading a whole topic back from the real broker, for assertions."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer

from streams.kafka_admin import topic_partitions


async def _read_all(bootstrap: str, topic: str) -> list:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed")
    await consumer.start()
    try:
        partitions = await topic_partitions(bootstrap, [topic])
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        out = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, messages in batch.items():
                out.extend(m for m in messages if m.offset < ends[tp])
            # By position, not by the last record: a transaction's commit marker takes an offset too.
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return out
    finally:
        await consumer.stop()


def read_all(bootstrap: str, topic: str) -> list:
    """Every record of `topic` up to its end at the time of the call (aiokafka ConsumerRecords)."""
    return asyncio.run(_read_all(bootstrap, topic))
