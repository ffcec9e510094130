"""streams/agents/catch_up.py on the real broker: a partition's state on disk is folded up to the log's end,
from where it stood, idempotently, committed events only, and what cannot be decoded is left out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiokafka import AIOKafkaProducer

from streams.agents.catch_up import catch_up
from streams.agents.ledger import source_of
from streams.agents.ledger_store import LedgerStore
from streams.avro import codec
from streams.domain.state import ANSWERED, OPEN
from tests.support.appeals import Appeal
from tests.support.kafka_topics import private_topic

pytestmark = pytest.mark.integration
FILED = datetime(2021, 3, 1, 9, tzinfo=timezone(timedelta(hours=6)))


def lifecycle(appeal_id: str, answered: bool) -> tuple[Appeal, list[bytes]]:
    appeal = Appeal(appeal_id=appeal_id)
    events = [appeal.event("file", FILED)]
    if answered:
        events.append(appeal.event("answer", FILED + timedelta(days=2), outcome="resolved", text="done"))
    return appeal, [codec.encode_event(e) for e in events]


async def produce(kafka: str, topic: str, records: list[tuple[int, bytes, bytes]], transactional: str | None = None,
                  abort: bool = False) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, transactional_id=transactional, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        if transactional:
            await producer.begin_transaction()
        for partition, key, value in records:
            await producer.send_and_wait(topic, value, key=key, partition=partition,
                                         headers=[("tyndau-command", f"{partition}:{len(value) % 97}".encode())])
        if transactional:
            await (producer.abort_transaction() if abort else producer.commit_transaction())
    finally:
        await producer.stop()


def test_catch_up_folds_from_where_the_disk_stands_to_the_end(kafka, tmp_path):
    async def run():
        topic = await private_topic(kafka, "catch-up", 2)
        store = LedgerStore(tmp_path / "ledger", 100)
        first, first_events = lifecycle("A-1", answered=True)
        second, second_events = lifecycle("A-2", answered=False)
        await produce(kafka, topic, [(0, b"A-1", first_events[0]), (1, b"A-2", second_events[0])])
        once = await catch_up(store, [0, 1], source_of, kafka, topic=topic)
        after_filing = store.get(0, "A-1")
        await produce(kafka, topic, [(0, b"A-1", first_events[1]), (0, b"junk", b"not avro")], transactional=f"t-{uuid.uuid4()}")
        await produce(kafka, topic, [(1, b"A-2", b"aborted")], transactional=f"t-{uuid.uuid4()}", abort=True)
        again = await catch_up(store, [0, 1], source_of, kafka, topic=topic)
        nothing = await catch_up(store, [0, 1], source_of, kafka, topic=topic)
        # the same events read once more (an offset forgotten): the fold skips what it holds
        store.open(0).offset = None
        reread = await catch_up(store, [0], source_of, kafka, topic=topic)
        return once, after_filing, again, nothing, reread, store, first, second

    once, after_filing, again, nothing, reread, store, first, second = asyncio.run(asyncio.wait_for(run(), 90))
    assert once == {0: 1, 1: 1} and after_filing.status == OPEN
    assert again == {0: 2}, "the answer and the undecodable record on 0; the aborted record on 1 is never read"
    assert nothing == {}
    assert reread == {0: 3}
    assert store.get(0, "A-1") == first.state and store.get(0, "A-1").status == ANSWERED
    assert store.get(1, "A-2") == second.state
    assert store.open(0).offset == 2 and store.open(1).offset == 0
    assert store.open(0).judged_upto is not None


def test_a_state_ahead_of_the_log_is_discarded_and_folded_again(kafka, tmp_path):
    """A disk that has folded events the log does not hold (a restored or recreated topic) is not the truth."""
    async def run():
        topic = await private_topic(kafka, "catch-up-ahead", 1)
        store = LedgerStore(tmp_path / "ledger", 100)
        ghost, _ = lifecycle("GHOST-1", answered=True)
        store.open(0).write({"GHOST-1": ghost.state}, 500, 900)    # folded up to offset 500 of a log that is gone
        appeal, events = lifecycle("A-1", answered=False)
        await produce(kafka, topic, [(0, b"A-1", events[0])])
        folded = await catch_up(store, [0], source_of, kafka, topic=topic)
        return folded, store, appeal

    folded, store, appeal = asyncio.run(asyncio.wait_for(run(), 60))
    assert folded == {0: 1}
    assert store.get(0, "GHOST-1") is None and store.get(0, "A-1") == appeal.state
    assert store.open(0).offset == 0 and store.open(0).judged_upto < 900, "the ghost's judged offset went with it"
