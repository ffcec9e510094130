"""Random access to appeals.events by (partition, offset): how the auditors' views read the ledger itself."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition, errors
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.fetch import FetchRequest

from .. import settings, topics
from .records import TolerantRecords as MemoryRecords
from .security import connection


class LogReader:
    """Random access to appeals.events by (partition, offset).

    Each wanted record is one Fetch request to the partition's leader, at its offset, with no
    wait: the broker answers at once with the record batch holding it. A consumer is the wrong
    tool here, as it prefetches and backs off between fetches (about 100 ms per seek in practice).
    """

    def __init__(self, bootstrap: str | None = None, max_bytes: int = 64 * 1024):
        self.bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
        self.max_bytes = max_bytes
        self.client: AIOKafkaClient | None = None
        self.starting = asyncio.Lock()   # concurrent first callers start one client

    async def _start(self) -> AIOKafkaClient:
        async with self.starting:
            if self.client is None:
                client = AIOKafkaClient(**connection(self.bootstrap), client_id="tyndau-log-reader")
                await client.bootstrap()
                self.client = client
            return self.client

    async def _leader(self, client: AIOKafkaClient, tp: TopicPartition) -> int:
        for _ in range(3):
            leader = client.cluster.leader_for_partition(tp)
            if leader is not None and leader >= 0:
                return leader
            await client.add_topic(tp.topic)
            await client.force_metadata_update()
        raise KafkaError(f"no leader known for {tp.topic}[{tp.partition}]")

    async def _fetch_at(self, client: AIOKafkaClient, tp: TopicPartition, offset: int, until: int) -> dict[int, bytes]:
        """The records from `offset` to `until` found in the response, which starts with the batch holding `offset`."""
        request = FetchRequest(0, 1, self.max_bytes, 0, [(tp.topic, [(tp.partition, offset, self.max_bytes)])])
        response = await client.send(await self._leader(client, tp), request)
        out: dict[int, bytes] = {}
        for _, partitions in response.topics:
            for _, error_code, _, *data in partitions:
                if error_code:
                    error = errors.for_code(error_code)
                    if error is errors.NotLeaderForPartitionError:
                        client.force_metadata_update()
                    raise error(f"fetching {tp.topic}[{tp.partition}] at offset {offset}")
                records = MemoryRecords(data[-1])
                while records.has_next():
                    batch = records.next_batch()
                    if batch.is_control_batch:
                        continue
                    for record in batch:
                        if record.offset >= offset:
                            out[record.offset] = record.value
                        if record.offset >= until:
                            return out
        return out

    async def fetch(self, locations: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The raw records at these (partition, offset) places; a place with no record is left out.

        Fetch requests carry their own offsets, so callers need not wait for each other."""
        client = await self._start()
        found: dict[tuple[int, int], bytes] = {}
        last = {p: max(o for q, o in locations if q == p) for p, _ in locations}
        for partition, offset in sorted(set(locations)):
            if (partition, offset) in found:
                continue   # it came in the batch of an earlier one
            try:
                batch = await self._fetch_at(client, TopicPartition(topics.EVENTS, partition), offset, last[partition])
            except errors.OffsetOutOfRangeError:
                continue   # no record there (past the end, or removed): left out, the other places are still read
            found.update(((partition, o), value) for o, value in batch.items())
        return {place: found[place] for place in locations if place in found}

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
