"""Reading a whole topic back from the real broker, for assertions."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from streams.avro import codec
from streams.domain.chain import chain_problems
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


def ledger_of(bootstrap: str, appeal_ids: set[str]) -> dict[str, list[dict]]:
    """The decoded events of these appeals on appeals.events, in log order; each record's key checked."""
    events: dict[str, list[dict]] = defaultdict(list)
    for record in read_all(bootstrap, "appeals.events"):
        event = codec.decode(record.value)
        if event["appeal_id"] in appeal_ids:
            assert record.key.decode() == event["appeal_id"]
            events[event["appeal_id"]].append(event)
    return events


def assert_ledger_matches(events: dict[str, list[dict]], expected: dict[str, list[str]]) -> None:
    assert set(events) == set(expected), "the appeals with events are exactly the validly filed ones"
    for appeal_id, command_ids in expected.items():
        got = [e["command_id"] for e in events[appeal_id]]
        assert got == command_ids, f"{appeal_id}: events {got} != commands {command_ids}"
        assert [e["sequence"] for e in events[appeal_id]] == list(range(1, len(command_ids) + 1))
        assert chain_problems(events[appeal_id]) == [], appeal_id
