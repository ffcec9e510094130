"""For auditors and courts: one appeal's history straight from the ledger, checked, and its state at any moment.

ClickHouse is the index (where each event sits: partition and offset); the events themselves
are read from appeals.events, so the chain is checked on exactly what the ledger holds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka import errors
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.fetch import FetchRequest

from projections.rows import citizen_ref_of, public_payload

from . import codec, settings
from .domain.appeal import fold
from .domain.chain import chain_problems
from .jsonable import jsonable
from .kafka_records import TolerantRecords as MemoryRecords


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
                client = AIOKafkaClient(bootstrap_servers=self.bootstrap, client_id="tyndau-log-reader")
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
            batch = await self._fetch_at(client, TopicPartition(settings.EVENTS_TOPIC, partition), offset, last[partition])
            found.update(((partition, o), value) for o, value in batch.items())
        return {place: found[place] for place in locations if place in found}

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None


def public_event(event: dict[str, Any], partition: int, offset: int, personal: bool) -> dict[str, Any]:
    payload = dict(event["payload"]) if personal else public_payload(event)
    if not personal and event["event_type"] == "filed":
        payload["citizen_ref"] = citizen_ref_of(event, settings.PSEUDONYM_KEY)
    return jsonable({
        "sequence": event["sequence"], "type": event["event_type"], "occurred_at": event["occurred_at"],
        "recorded_at": event["recorded_at"], "actor": event["actor"], "region": event["region"], "body": event["body"],
        "command_id": event["command_id"], "event_id": event["event_id"], "payload": payload,
        "prev_hash": event["prev_hash"], "hash": event["hash"], "partition": partition, "offset": offset,
    })


async def appeal_history(appeal_id: str, lineage: list[dict[str, Any]], reader: LogReader,
                         as_of: datetime | None = None, personal: bool = False) -> dict[str, Any] | None:
    """The history document for one appeal, given its lineage rows from the projection."""
    if not lineage:
        return None
    records = await reader.fetch([(int(r["partition"]), int(r["offset"])) for r in lineage])
    events, shown, problems = [], [], []
    for row in lineage:
        place = (int(row["partition"]), int(row["offset"]))
        raw = records.get(place)
        if raw is None:
            problems.append({"sequence": row["sequence"], "problem": f"no record at partition {place[0]} offset {place[1]}"})
            continue
        event = codec.decode_as_written(raw)
        if event["appeal_id"] != appeal_id or event["sequence"] != row["sequence"]:
            problems.append({"sequence": row["sequence"], "problem": "the record at this place is another event"})
            continue
        events.append(event)
        shown.append(public_event(event, *place, personal=personal))
    problems += [{"sequence": seq, "problem": what} for seq, what in chain_problems(events)]
    document: dict[str, Any] = {"appeal_id": appeal_id, "events": shown, "chain_ok": not problems, "problems": problems}
    try:
        state = fold(events, as_of=as_of)
    except ValueError as error:     # e.g. the filing is missing: the chain problems above say why
        state = None
        document["problems"].append({"sequence": None, "problem": f"cannot fold the events: {error}"})
        document["chain_ok"] = False
    if as_of is not None:
        document["as_of"] = jsonable(as_of)
    document["state"] = None if state is None else jsonable(state.as_dict())
    return document
