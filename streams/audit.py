"""For auditors and courts: one appeal's history straight from the ledger, checked, and its state at any moment.

ClickHouse is the index (where each event sits: partition and offset); the events themselves
are read from appeals.events, so the chain is checked on exactly what the ledger holds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from projections.rows import citizen_ref_of, public_payload

from . import codec, settings
from .domain.appeal import fold
from .domain.chain import chain_problems
from .jsonable import jsonable


class LogReader:
    """Random access to appeals.events by (partition, offset), with one long-lived consumer."""

    def __init__(self, bootstrap: str | None = None):
        self.bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP
        self.consumer: AIOKafkaConsumer | None = None
        self.lock = asyncio.Lock()

    async def _start(self) -> AIOKafkaConsumer:
        if self.consumer is None:
            from .kafka_admin import topic_partitions
            consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
                                        max_partition_fetch_bytes=256 * 1024, fetch_max_wait_ms=10)
            await consumer.start()
            consumer.assign(await topic_partitions(self.bootstrap, [settings.EVENTS_TOPIC]))
            consumer.pause(*consumer.assignment())
            self.consumer = consumer
        return self.consumer

    async def fetch(self, locations: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The raw records at these (partition, offset) places."""
        async with self.lock:
            consumer = await self._start()
            found: dict[tuple[int, int], bytes] = {}
            for partition, offset in sorted(locations):
                if (partition, offset) in found:
                    continue
                tp = TopicPartition(settings.EVENTS_TOPIC, partition)
                consumer.resume(tp)
                consumer.seek(tp, offset)
                try:
                    for _ in range(50):   # until the record is there or the position has passed it
                        records = (await consumer.getmany(tp, timeout_ms=200, max_records=50)).get(tp, [])
                        for record in records:
                            if record.offset >= offset:
                                found.setdefault((partition, record.offset), record.value)
                        if (partition, offset) in found or await consumer.position(tp) > offset:
                            break
                finally:
                    consumer.pause(tp)
            return found

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None


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
