"""streams/kafka/outcomes.py: OutcomeWaiter's matching of outcomes to requests, and OutcomeReader on the real broker."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from streams import settings, topics
from streams.avro import codec
from streams.kafka.outcomes import Outcome, OutcomeReader, OutcomeWaiter, outcome_of
from tests.support.appeals import build
from tests.support.kafka_topics import create_topics

NOW = datetime(2099, 3, 2, 4, tzinfo=timezone.utc)


def accepted(command_id: str, appeal_id: str = "A-1") -> Outcome:
    return Outcome("accepted", command_id, None, record={"command_id": command_id}, appeal_id=appeal_id)


def rejected(command_id: str | None, request_id: str | None, reason: str = "invalid_transition") -> Outcome:
    status = "duplicate" if reason == "duplicate_command" else "rejected"
    return Outcome(status, command_id, request_id, record={"reason": reason, "detail": "…", "appeal_id": "A-1"},
                   appeal_id="A-1")


def rejection(command_id: str | None, request_id: str | None, reason: str, source_offset: int = 0) -> dict:
    """A CommandRejected record with the fields streams/agents/judge.py rejection_record fills."""
    return {"rejection_id": str(uuid.uuid4()), "request_id": request_id, "command_id": command_id, "appeal_id": "A-1",
            "command_type": "answer", "reason": reason, "detail": "why", "command": b"{}", "source_topic": topics.COMMANDS,
            "source_partition": 0, "source_offset": source_offset, "rejected_at": NOW, "command_prefix": None,
            "command_sha256": None, "sent_by": None}


def with_loop(test):
    """Run the async body of a test in a fresh event loop (OutcomeWaiter's futures need one)."""
    return lambda: asyncio.run(test())


@with_loop
async def test_the_event_goes_to_the_first_pending_request_and_the_duplicate_rejection_by_request_id():
    waiter = OutcomeWaiter()
    first, second = waiter.expect("A-1", "c1", "r1"), waiter.expect("A-1", "c1", "r2")
    other = waiter.expect("A-1", "c2", "r3")
    assert waiter.pending == 3
    event = accepted("c1")
    waiter(event)
    assert first.done() and first.result() is event
    assert not second.done() and not other.done()
    duplicate = rejected("c1", "r2", "duplicate_command")
    waiter(duplicate)
    assert second.result() is duplicate and second.result().status == "duplicate"
    assert not other.done() and waiter.pending == 1


@with_loop
async def test_a_rejection_answers_its_own_request_even_without_a_command_id():
    waiter = OutcomeWaiter()
    earlier, mine = waiter.expect("A-1", "c1", "r1"), waiter.expect("A-1", None, "r2")
    refusal = rejected(None, "r2", "malformed")
    waiter(refusal)
    assert mine.result() is refusal and not earlier.done()
    waiter(rejected("c1", "r1"))
    assert earlier.result().status == "rejected" and waiter.pending == 0


@with_loop
async def test_an_outcome_nobody_waits_for_changes_nothing():
    waiter = OutcomeWaiter()
    pending = waiter.expect("A-1", "c1", "r1")
    waiter(accepted("c9"))
    waiter(rejected("c1", "someone-elses-request"))
    waiter(rejected(None, None, "malformed"))
    assert not pending.done() and waiter.pending == 1


@with_loop
async def test_forget_drops_a_request_so_the_event_goes_to_the_next_one():
    waiter = OutcomeWaiter()
    gone, kept = waiter.expect("A-1", "c1", "r1"), waiter.expect("A-1", "c1", "r2")
    waiter.forget("r1")
    waiter.forget("r1")          # twice is harmless
    waiter.forget("never-asked")
    assert waiter.pending == 1
    event = accepted("c1")
    waiter(event)
    assert kept.result() is event and not gone.done()
    assert waiter.pending == 0
    waiter(accepted("c1"))       # nobody is left waiting for c1
    assert waiter.pending == 0


@with_loop
async def test_recent_keeps_the_last_outcome_per_command_bounded_by_keep():
    waiter = OutcomeWaiter(keep=2)
    first = accepted("c1")
    waiter(first)
    waiter(accepted("c2"))
    assert waiter.recent("c1") == [first]
    again = rejected("c1", "r9")
    waiter(again)                # c1 seen again: now the newest, so c2 is the oldest
    waiter(accepted("c3"))
    assert waiter.recent("c1") == [again, first]     # newest first
    assert waiter.recent("c2") == []
    assert [o.status for o in waiter.recent("c3")] == ["accepted"]
    assert waiter.recent("never") == []


@with_loop
async def test_duplicates_are_not_remembered_as_recent():
    waiter = OutcomeWaiter(keep=2)
    event = accepted("c1")
    waiter(event)
    waiter(rejected("c1", "r2", "duplicate_command"))
    waiter(rejected("c2", "r3", "duplicate_command"))
    waiter(rejected("c3", "r4", "duplicate_command"))
    assert waiter.recent("c1") == [event], "a duplicate neither replaces the outcome nor pushes it out"
    assert waiter.recent("c2") == [] and waiter.recent("c3") == []


@with_loop
async def test_the_same_command_id_on_another_appeal_answers_nobody_else_s_request():
    waiter = OutcomeWaiter()
    mine = waiter.expect("A-1", "c1", "r1")
    waiter(accepted("c1", appeal_id="A-2"))    # someone else's appeal, same command id
    assert not mine.done()
    event = accepted("c1", appeal_id="A-1")
    waiter(event)
    assert mine.result() is event
    assert [o.appeal_id for o in waiter.recent("c1")] == ["A-1", "A-2"]


def test_outcome_of_reads_the_command_id_header_of_an_event_and_decodes_only_when_asked():
    _, events = build(["file"])
    value = codec.encode_event(events[0])
    lazy = outcome_of(topics.EVENTS, value, [(topics.SOURCE_HEADER, b"0:1"), (topics.COMMAND_ID_HEADER, b"cmd-7")], b"A-1")
    assert (lazy.status, lazy.command_id, lazy.request_id, lazy._record) == ("accepted", "cmd-7", None, None)
    assert lazy.appeal_id == "A-1"
    assert lazy.record["appeal_id"] == "A-1" and lazy.reason is None
    assert lazy.as_json()["event"]["event_type"] == "filed"
    decoded = outcome_of(topics.EVENTS, value)
    assert (decoded.status, decoded.command_id) == ("accepted", events[0]["command_id"])
    refusal = outcome_of(topics.REJECTED, codec.encode(codec.REJECTION, rejection("c5", "r5", "invalid_transition")))
    assert (refusal.status, refusal.command_id, refusal.request_id) == ("rejected", "c5", "r5")
    assert refusal.reason == "invalid_transition"
    assert refusal.as_json() == {"status": "rejected", "command_id": "c5", "reason": "invalid_transition", "detail": "why",
                                 "appeal_id": "A-1"}
    duplicate = outcome_of(topics.REJECTED, codec.encode(codec.REJECTION, rejection("c5", "r6", "duplicate_command")))
    assert duplicate.status == "duplicate"


@pytest.mark.integration
def test_the_reader_starts_at_the_ends_of_both_outcome_topics(kafka):
    async def run():
        reader = OutcomeReader(kafka)
        try:
            ends = await reader.start()
            return ends, reader.consumer.assignment()
        finally:
            await reader.stop()

    ends, assigned = asyncio.run(asyncio.wait_for(run(), 30))
    expected = {TopicPartition(t, p) for t in (topics.EVENTS, topics.REJECTED) for p in range(settings.PARTITIONS)}
    assert set(ends) == expected == assigned


@pytest.mark.integration
def test_the_reader_sees_outcomes_written_after_start_and_skips_a_record_that_is_not_one(kafka, monkeypatch, caplog):
    """On outcome topics of this test's own (the names monkeypatched), so the garbage reaches no other reader."""
    suffix = uuid.uuid4().hex[:10]
    events_topic, rejected_topic = f"test.outcomes-events-{suffix}", f"test.outcomes-rejected-{suffix}"
    monkeypatch.setattr(topics, "EVENTS", events_topic)
    monkeypatch.setattr(topics, "REJECTED", rejected_topic)
    _, events = build(["file"])
    event = codec.encode_event(events[0])

    async def run():
        await create_topics(kafka, [events_topic, rejected_topic], 2)
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        reader = OutcomeReader(kafka)
        seen: list[Outcome] = []
        try:
            await producer.send_and_wait(events_topic, event, key=b"A-1", partition=0, headers=[(topics.COMMAND_ID_HEADER, b"before-start")])
            ends = await reader.start()
            running = asyncio.ensure_future(reader.run(seen.append))
            await producer.send_and_wait(rejected_topic, b"\xc3\x01not a rejection", partition=1)
            await producer.send_and_wait(rejected_topic, b"plain junk", partition=0)
            await producer.send_and_wait(events_topic, event, key=b"A-1", partition=1, headers=[(topics.COMMAND_ID_HEADER, b"after-1")])
            refusal = codec.encode(codec.REJECTION, rejection("after-2", "req-2", "malformed"))
            await producer.send_and_wait(rejected_topic, refusal, partition=1)
            await producer.send_and_wait(events_topic, event, key=b"A-1", partition=0, headers=[(topics.COMMAND_ID_HEADER, b"after-3")])
            deadline = time.monotonic() + 15
            while len(seen) < 3 and time.monotonic() < deadline and not running.done():
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)   # nothing more is to come
            still_running = not running.done()
            running.cancel()
            return ends, seen, still_running
        finally:
            await reader.stop()
            await producer.stop()

    with caplog.at_level(logging.ERROR, logger="streams.kafka.outcomes"):
        ends, seen, still_running = asyncio.run(asyncio.wait_for(run(), 60))
    assert ends == {TopicPartition(events_topic, 0): 1, TopicPartition(events_topic, 1): 0,
                    TopicPartition(rejected_topic, 0): 0, TopicPartition(rejected_topic, 1): 0}
    assert still_running, "the junk did not stop the reader"
    assert sorted((o.status, o.command_id, o.request_id) for o in seen) == [
        ("accepted", "after-1", None), ("accepted", "after-3", None), ("rejected", "after-2", "req-2")]
    skipped = [r.getMessage() for r in caplog.records if "not an outcome record" in r.getMessage()]
    assert len(skipped) == 2 and any(f"{rejected_topic}[1]@0" in m for m in skipped)
