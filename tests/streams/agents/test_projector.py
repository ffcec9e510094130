"""The projector (streams/agents/projector.py): a failed write is retried until it lands, never skipped."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import datetime, timezone

import pytest

from projections.clickhouse import in_db_thread
from projections.writer import ProjectionWriter, RawEvent
from streams.agents import projector
from streams.agents.judge import judge
from tests.support.messages import FILING, RING, signed_message

NOW = datetime(2003, 2, 1, 12, tzinfo=timezone.utc)


def ledger_events(appeal_id: str) -> list[bytes]:
    """A filing and an answer of one appeal, as the ledger's own code writes them."""
    states: dict = {}
    out = []
    for command in (dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1"),
                    {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
                     "at": "2003-01-20T10:00:00+05:00", "outcome": "resolved"}):
        verdict = judge(signed_message(appeal_id.encode(), json.dumps(command).encode()), NOW, states.get, RING)
        assert verdict.event is not None, verdict
        states[appeal_id] = verdict.state
        out.append(verdict.value)
    return out


@pytest.fixture
def own_writer(db):
    """projector's writer replaced by a fresh one over the session's engine, and put back afterwards."""
    saved = projector._writer
    projector._writer = ProjectionWriter(db)
    yield projector._writer
    projector._writer = saved


def test_a_failed_write_is_retried_with_backoff_until_the_batch_lands_once(db, own_writer, caplog):
    """A real failure: the engine cannot read the appeals table (renamed away), so the writer cannot load the
    appeal's state; the batch is retried, not skipped, and lands once the table is back."""
    appeal_id = f"proj-{uuid.uuid4().hex[:8]}"
    filing, answer = ledger_events(appeal_id)
    key = appeal_id.encode()
    assert ProjectionWriter(db).write([RawEvent("appeals.events", 0, 9_000_000, filing, key)]) == 1
    batch = [RawEvent("appeals.events", 0, 9_000_001, answer, key)]   # its state must be loaded: not in the new writer's cache
    aside = f"appeals_aside_{uuid.uuid4().hex[:8]}"

    def failures() -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.name == "streams.agents.projector" and "failed; retrying" in r.getMessage()]

    async def scenario() -> None:
        await in_db_thread(db.command, f"RENAME TABLE appeals TO {aside}")
        try:
            task = asyncio.create_task(projector.write_until_done(batch))
            deadline = time.monotonic() + 20
            while len(failures()) < 2 and time.monotonic() < deadline and not task.done():
                await asyncio.sleep(0.02)
            assert not task.done(), "write_until_done returned while the table was away"
        finally:
            await in_db_thread(db.command, f"RENAME TABLE {aside} TO appeals")
        await asyncio.wait_for(task, 20)

    with caplog.at_level(logging.ERROR, logger="streams.agents.projector"):
        asyncio.run(scenario())
    assert failures()[:2] == ["ClickHouse insert of 1 events failed; retrying in 0.5s",
                              "ClickHouse insert of 1 events failed; retrying in 1.0s"]
    assert own_writer.events_written == 1 and own_writer.errors_recorded == 0
    rows = db.query("SELECT sequence, count() FROM appeal_events WHERE appeal_id = {a:String} "
                    "GROUP BY sequence ORDER BY sequence", parameters={"a": appeal_id}).result_rows
    assert [tuple(r) for r in rows] == [(1, 1), (2, 1)]
    state = db.query("SELECT status, sequence FROM appeals FINAL WHERE appeal_id = {a:String}", parameters={"a": appeal_id})
    assert [tuple(r) for r in state.result_rows] == [("answered", 2)]
    errors = db.query("SELECT count() FROM projection_errors WHERE appeal_id = {a:String}", parameters={"a": appeal_id})
    assert errors.result_rows[0][0] == 0


@pytest.mark.integration
def test_the_merkle_tree_in_clickhouse_is_the_tree_of_the_log(worker, kafka):
    """Issue 17, item 1: for every partition of appeals.events on the real broker, the tree the projector keeps in
    ClickHouse has one leaf per committed record, in log order, and the root of the RFC 9162 tree over them."""
    from projections.tree import Edge, leaf_of
    from streams.domain import merkle
    from tests.support.kafka_reading import read_all

    for n in range(3):   # some events of this test's own, so that the log is not empty whatever ran before
        status, body = worker.post("/v1/commands?wait=10", dict(FILING, appeal_id=f"tree-{uuid.uuid4().hex[:8]}",
                                                                command_id=f"tree-{uuid.uuid4().hex}"))
        assert status == 201, body
    log = {}
    for record in read_all(kafka, "appeals.events"):
        log.setdefault(record.partition, []).append(leaf_of(record.value))
    deadline = time.monotonic() + 60
    for partition, leaves in sorted(log.items()):
        while True:
            [size] = worker.post("/v1/query/merkle_size", {"partition": partition})[1]
            if size["size"] >= len(leaves) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert size["size"] >= len(leaves), (partition, size, len(leaves))
        # The log may have grown since it was read (other tests' events): compare the tree of its first leaves.
        status, edge = worker.post("/v1/query/merkle_frontier", {"partition": partition, "size": len(leaves)})
        assert status == 200, edge
        stored = Edge(len(leaves), 0, [(r["level"], r["node_index"], bytes.fromhex(r["hash"])) for r in edge])
        assert stored.root() == merkle.MemoryTree(leaves).root(), partition


@pytest.mark.integration
def test_an_assigned_partition_is_read_from_where_its_merkle_tree_ends(kafka, db, own_writer):
    """Issue 17: a leaf is a record's position in its partition, so the projector resumes at the tree's end even when
    the group committed further (a crash between a rebuild's emptying of the tables and its first commit, offsets
    reset): a record skipped there would shift every later leaf. An empty tree is read from the start."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.structs import OffsetAndMetadata

    from projections.tree import COLUMNS, TreeWriter
    from tests.support.kafka_topics import create_topics

    topic, group = f"tree-start-{uuid.uuid4().hex[:8]}", f"tree-start-{uuid.uuid4().hex[:8]}"
    grown, empty = 40 + int(uuid.uuid4().hex[:2], 16), 400 + int(uuid.uuid4().hex[:2], 16)   # partitions no test uses
    tree = TreeWriter(db)
    rows, _ = tree.rows([(grown, offset, b"record %d" % offset, None) for offset in range(5)])   # leaves of offsets 0-4
    db.insert("merkle_nodes", rows, column_names=COLUMNS)

    async def scenario() -> dict:
        await create_topics(kafka, [topic], partitions=1)
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        try:
            for n in range(10):
                await producer.send_and_wait(topic, b"record %d" % n, partition=0)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            await consumer.commit({tp: OffsetAndMetadata(9, "")})
            positions = {}
            for name, number in (("grown", grown), ("empty", empty)):
                class Standing(projector.TreeStart):   # this topic's partition 0 stands for tree partition `number`
                    def tree_of(self, tp, number=number):
                        return number

                listener = Standing()
                listener.consumer = consumer
                await listener.on_partitions_assigned({tp})
                positions[name] = await consumer.position(tp)
                consumer.seek(tp, 9)
            return positions
        finally:
            await consumer.stop()

    assert asyncio.run(scenario()) == {"grown": 5, "empty": 0}
