"""Topics of a test's own on the session broker, so its records reach no other test's reader."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def create_topics(bootstrap: str, names: list[str], partitions: int = 1) -> None:
    """Create `names` and return once the broker's metadata shows them (a moment after CreateTopics returns)."""
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    try:
        await client.create_topics([NewTopic(name, partitions, 1) for name in names])
        deadline = time.monotonic() + 15
        while not all(not d["error_code"] and d["partitions"] for d in await client.describe_topics(names)):
            assert time.monotonic() < deadline, "the new topic did not appear in the broker's metadata"
            await asyncio.sleep(0.1)
    finally:
        await client.close()


async def private_topic(bootstrap: str, prefix: str, partitions: int = 1) -> str:
    """A new topic named `test.<prefix>-<random>`, ready to use."""
    name = f"test.{prefix}-{uuid.uuid4().hex[:10]}"
    await create_topics(bootstrap, [name], partitions)
    return name
