"""The ledger agent against the real broker: one event per valid command, a rejection per invalid one."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from streams.agents.data_keys import LedgerKeys
from streams.agents.ledger import Batch, RefusedAssertions
from streams.agents.ledger_store import LedgerStore
from streams.avro import codec
from streams.clients.publish import publish_lines
from streams.domain.chain import chain_problems
from streams.domain.sealing import LocalMasterKey
from tests.support.kafka_reading import assert_ledger_matches, ledger_of, read_all
from tests.support.messages import FILING, RING, signed_message
from tests.support.workload import generate


def rejections_of(bootstrap: str, appeal_ids: set[str], prefix: str, lines: list[bytes] = ()) -> list[dict]:
    """The rejections of these commands: by appeal id, or by the SHA-256 of lines that have none."""
    hashes = {hashlib.sha256(line).hexdigest() for line in lines}
    out = []
    for record in read_all(bootstrap, "appeals.rejected"):
        rejected = codec.decode(record.value)
        if (rejected["appeal_id"] or "").startswith(prefix) or rejected["command_sha256"] in hashes:
            out.append(rejected)
    return out


@pytest.mark.integration
def test_publish_10000_commands_gives_one_event_per_valid_command(kafka, worker, tmp_path):
    prefix = f"pub-{uuid.uuid4().hex[:6]}"
    work = generate(10_000, seed=7, prefix=prefix)
    path = tmp_path / "commands.jsonl"
    work.write(path)
    done = worker.cli("publish", str(path), "--import", "--format", "json", "--wait", "60", timeout=600)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    expected = Counter(work.expect)
    assert report["sent"] == len(work.lines)
    assert report["accepted"] == expected["event"]
    assert report["duplicates"] == expected["duplicate_command"]
    assert report["rejected"] == len(work.lines) - expected["event"] - expected["duplicate_command"]
    assert report["unanswered"] == 0
    assert report["reasons"] == {k: v for k, v in expected.items() if k != "event"}

    assert_ledger_matches(ledger_of(kafka, work.appeal_ids), work.events_by_appeal)
    rejected = rejections_of(kafka, work.appeal_ids, prefix, [line.encode() for line in work.lines])
    assert Counter(r["reason"] for r in rejected) == Counter(k for k in work.expect if k != "event")


@pytest.mark.integration
def test_sigkill_mid_stream_loses_and_duplicates_nothing(kafka, worker):
    """The worker killed with SIGKILL while commands stream in, then restarted: the ledger holds each
    valid command's event exactly once, in order, with unbroken chains, and each invalid command's
    rejection exactly once."""
    import asyncio

    victim = worker
    prefix = f"kill-{uuid.uuid4().hex[:6]}"
    work = generate(6_000, seed=11, prefix=prefix)
    result: dict = {}

    def send() -> None:
        lines = list(enumerate(work.lines, 1))
        result["report"] = asyncio.run(publish_lines(iter(lines), signer=victim.signer(), bootstrap=kafka, wait=90.0))

    sender = threading.Thread(target=send)
    sender.start()
    # Kill once the ledger is visibly part-way through this stream.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen = sum(len(v) for v in ledger_of(kafka, work.appeal_ids).values())
        if seen >= 500:
            break
        time.sleep(0.2)
    assert 0 < seen < work.valid, f"the kill must land mid-stream (saw {seen} of {work.valid})"
    victim.kill()
    time.sleep(1)
    victim.start()
    sender.join(timeout=300)

    report = result["report"]
    expected = Counter(work.expect)
    assert_ledger_matches(ledger_of(kafka, work.appeal_ids), work.events_by_appeal)
    assert report.unanswered == 0
    assert report.accepted == expected["event"]
    assert dict(report.reasons) == {k: v for k, v in expected.items() if k != "event"}
    rejected = rejections_of(kafka, work.appeal_ids, prefix, [line.encode() for line in work.lines])
    assert Counter(r["reason"] for r in rejected) == Counter(k for k in work.expect if k != "event")


def commit_past_the_end(bootstrap: str, group: str, topic: str, timeout: float = 60) -> dict[int, int]:
    """Commit `group`'s offsets of `topic` at its end, as if every record had been handed over; retried until the
    group has no member left (a killed worker's membership lasts its session timeout)."""
    import asyncio

    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    async def commit() -> dict[int, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        parts = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(parts)
            ends = await consumer.end_offsets(parts)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    await consumer.commit(ends)
                    return {tp.partition: offset for tp, offset in ends.items()}
                except KafkaError:
                    assert time.monotonic() < deadline, "the group kept a member"
                    await asyncio.sleep(1)
        finally:
            await consumer.stop()

    return asyncio.run(commit())


@pytest.mark.integration
def test_offsets_committed_past_commands_without_an_outcome_do_not_skip_them(kafka, worker):
    """Faust can commit offsets it never handed over (a jump in the offsets it read counts as a gap, and a gap as
    acknowledged). The ledger reads each of its partitions from the first command without an outcome on the log,
    whatever the group committed: commands sent while it was down, and committed as if judged, are judged."""
    import asyncio

    prefix = f"past-{uuid.uuid4().hex[:6]}"
    work = generate(800, seed=13, prefix=prefix)
    worker.kill()
    try:
        report = asyncio.run(publish_lines(iter(list(enumerate(work.lines, 1))), signer=worker.signer(),
                                           bootstrap=kafka, wait=0))
        assert report.sent == len(work.lines)
        committed = commit_past_the_end(kafka, worker.app_id, "appeals.commands")
        assert sum(committed.values()) >= len(work.lines)
    finally:
        worker.start()
    deadline = time.monotonic() + 90
    while sum(len(v) for v in ledger_of(kafka, work.appeal_ids).values()) < work.valid:
        assert time.monotonic() < deadline, "commands committed past were never judged"
        time.sleep(0.5)
    assert_ledger_matches(ledger_of(kafka, work.appeal_ids), work.events_by_appeal)
    rejected = rejections_of(kafka, work.appeal_ids, prefix, [line.encode() for line in work.lines])
    assert Counter(r["reason"] for r in rejected) == Counter(k for k in work.expect if k != "event")
    assert "offsets were committed up to" in worker.log_path.read_text(errors="replace")


# --- a batch is atomic: its states reach the table only when its outcomes are durable -------------

NOW = datetime(2003, 2, 1, 12, tzinfo=timezone.utc)

MASTER = LocalMasterKey(os.urandom(32))


class Table:
    """The part of the ledger's table a batch uses."""

    def __init__(self):
        self.data, self.judged_upto, self.last_events = {}, {}, {}
        self.refused_assertions = RefusedAssertions()
        self.keys = LedgerKeys(LedgerStore(Path(tempfile.mkdtemp(prefix="ledger-keys-")), 10), MASTER)
        self.keys.caught_up.update({0, 1, 2, 3})   # as after recovery read appeals.keys

    def state_of(self, partition, appeal_id):
        return self.data.get(appeal_id)

    def remember(self, partition, states, last_event, judged):
        self.data.update(states)
        self.judged_upto[partition], self.last_events[partition] = judged, last_event


def command(kind: str, n: int, **fields) -> bytes:
    return json.dumps({"type": kind, "command_id": f"c-{n}", "appeal_id": "a-1",
                       "at": f"2003-01-{13 + n:02d}T10:00:00+05:00", **fields}).encode()


def test_a_poison_command_between_valid_ones_rejects_only_itself_and_keeps_the_chain():
    table = Table()
    batch = Batch(table, RING)
    messages = [json.dumps(FILING).encode(), command("route", 2, to_body="other"),
                b'{"type": [], "appeal_id": "a-1"}',                         # poison: crashed the agent once
                command("answer", 3, outcome="resolved", text={"not": "text"}),  # poison: a dict for a string
                command("answer", 4, outcome="resolved")]
    for offset, value in enumerate(messages):
        batch.add(signed_message(b"a-1", value, offset=offset), NOW)
    assert table.data == {} and table.judged_upto == {}, "nothing is visible before the outcomes are durable"
    events = [codec.decode(value) for _, _, value, _ in batch.events]
    rejections = [codec.decode(value) for _, _, value, _ in batch.rejections]
    assert [e["command_id"] for e in events] == ["c-1", "c-2", "c-4"]
    assert [e["sequence"] for e in events] == [1, 2, 3] and chain_problems(events) == []
    assert [(r["reason"], r["source_offset"]) for r in rejections] == [("unknown_type", 2), ("invalid_field", 3)]
    batch.commit({0: 41})   # partition 0's transaction is committed; its last event is at offset 41
    assert table.data["a-1"].sequence == 3 and table.data["a-1"].last_hash == events[-1]["hash"]
    assert table.judged_upto == {0: 4} and table.last_events == {0: 41}


def test_a_partition_that_moved_keeps_no_state_from_the_batch():
    """The writer leaves out a partition fenced by its new owner: none of its states reach the table."""
    table = Table()
    batch = Batch(table, RING)
    batch.add(signed_message(b"a-1", json.dumps(FILING).encode()), NOW)
    batch.commit({})
    assert table.data == {} and table.judged_upto == {}


def test_a_batch_never_committed_leaves_the_table_as_it_was():
    table = Table()
    first = Batch(table, RING)
    first.add(signed_message(b"a-1", json.dumps(FILING).encode()), NOW)
    first.commit({0: 0})
    failed = Batch(table, RING)
    failed.add(signed_message(b"a-1", command("answer", 2, outcome="resolved"), offset=1), NOW)
    # The write of `failed` never completes: its state is dropped with it, and the next batch
    # judges the same appeal against what the log holds.
    retry = Batch(table, RING)
    retry.add(signed_message(b"a-1", command("answer", 3, outcome="resolved"), offset=1), NOW)
    [(_, _, value, _)] = retry.events
    assert codec.decode(value)["sequence"] == 2 and table.data["a-1"].sequence == 1


def test_a_refused_command_s_assertion_copied_onto_a_later_record_is_refused_too():
    """A replay within the assertion's minutes must not be judged afresh against a later state."""
    table = Table()
    early_answer = signed_message(b"a-1", command("answer", 2, outcome="resolved"), offset=0)   # before the filing
    batch = Batch(table, RING)
    batch.add(early_answer, NOW)
    batch.add(signed_message(b"a-1", json.dumps(FILING).encode(), offset=1), NOW)
    batch.add(early_answer._replace(offset=2), NOW)                # the same bytes and header, written again
    batch.add(signed_message(b"a-1", command("answer", 2, outcome="resolved"), offset=3), NOW)   # sent anew: judged
    reasons = [codec.decode(value)["reason"] for _, _, value, _ in batch.rejections]
    assert reasons == ["unknown_appeal", "unauthenticated"]
    assert [codec.decode(value)["command_id"] for _, _, value, _ in batch.events] == ["c-1", "c-2"]
    assert "already used" in codec.decode(batch.rejections[1][2])["detail"]


@pytest.mark.integration
def test_a_command_written_straight_to_kafka_is_rejected_unauthenticated(kafka, worker):
    """Without the API's assertion a record on appeals.commands proves nothing about who sent it."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    appeal_id = f"straight-{uuid.uuid4().hex[:8]}"
    value = json.dumps(dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1")).encode()
    # The deployment's own assertion, copied from another command onto these bytes.
    copied = [("tyndau-auth", worker.signer("gateway").header(json.dumps(FILING).encode(), FILING["command_id"]))]

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("appeals.commands", value=value, key=appeal_id.encode())
            await producer.send_and_wait("appeals.commands", value=value, key=appeal_id.encode(), headers=copied)
        finally:
            await producer.stop()
    asyncio.run(send())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rejected = rejections_of(kafka, {appeal_id}, appeal_id)
        if len(rejected) == 2:
            break
        time.sleep(0.2)
    assert [r["reason"] for r in rejected] == ["unauthenticated", "unauthenticated"]
    assert "tyndau-auth" in rejected[0]["detail"] and "another command" in rejected[1]["detail"]
    assert ledger_of(kafka, {appeal_id}) == {}
