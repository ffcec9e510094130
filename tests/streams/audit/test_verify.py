"""`tyndau verify`: a clean log and projection pass, and each forged event is named with its place."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import given
from hypothesis import strategies as st

from streams.avro import codec
from tests.support.kafka_reading import read_all

pytestmark = pytest.mark.integration
PERIOD = ("2009-01-01", "2009-12-31")   # the audit appeals' days of receipt


def test_verify_passes_and_rebuild_reproduces_every_query(worker, audit_appeals):
    checked = worker.tool("verify", "--format", "json")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
    assert json.loads(checked.stdout)["ok"] is True
    queries = [f"/v1/ranking?by={by}&from={PERIOD[0]}&to={PERIOD[1]}&today=2010-06-01" for by in ("region", "body", "category")]
    queries.append(f"/v1/kpis?from={PERIOD[0]}&to={PERIOD[1]}&today=2010-06-01")
    before = [worker.get(q) for q in queries]
    rebuilt = worker.tool("rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "events/s" in rebuilt.stdout
    assert [worker.get(q) for q in queries] == before
    assert worker.tool("verify").returncode == 0


def forge(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    async def send():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait("appeals.events", key=key.encode(), value=value)
        finally:
            await producer.stop()
    asyncio.run(send())


def test_verify_names_each_forged_event(kafka, worker, audit_appeals):
    appeals = [a for a, c in audit_appeals.events_by_appeal.items() if len(c) >= 2][:3]
    originals = {}
    for record in read_all(kafka, "appeals.events"):
        event = codec.decode(record.value)
        if event["appeal_id"] in appeals:
            originals.setdefault(event["appeal_id"], []).append(event)
    a, b, c = (originals[x] for x in appeals)
    wrong_prev = dict(a[-1], sequence=a[-1]["sequence"] + 1, prev_hash="ab" * 32, command_id="forged-1")
    wrong_prev["event_id"] = str(uuid.uuid4())
    changed = dict(b[1], body="someone-else")      # a copy of event 2 with a field changed,
    changed["hash"] = hashlib.sha256(b"looks like a hash").hexdigest()   # and a plausible hash
    gap = dict(c[-1], sequence=c[-1]["sequence"] + 2, prev_hash=c[-1]["hash"], command_id="forged-3")
    from streams.domain.chain import event_hash
    gap["hash"] = event_hash(gap)
    forge(kafka, [(e["appeal_id"], codec.encode_event(e)) for e in (wrong_prev, changed, gap)])

    checked = worker.tool("verify", "--format", "json", "--log-only")
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    named = {(p["appeal_id"], p["sequence"], p["problem"].split(":")[0]) for p in problems}
    assert (appeals[0], wrong_prev["sequence"], "prev_hash does not match the previous event's hash") in named
    assert (appeals[1], 2, "hash does not match the event's content (changed after it was written)") in named
    assert (appeals[2], gap["sequence"], "a gap") in named
    assert all(p["partition"] is not None and p["offset"] is not None for p in problems)
    text = worker.tool("verify", "--log-only")
    assert text.returncode == 1 and f"appeal {appeals[1]} sequence 2" in text.stdout


def test_a_record_of_another_schema_or_without_a_value_is_named_not_a_crash():
    """Any bytes may be on appeals.events: a record that decodes under another writer schema (a checkpoint's), or has
    no value, is a problem of the log with its leaf the hash of its bytes, as the projector's tree takes it."""
    from datetime import datetime, timezone

    from projections.tree import leaf_of
    from streams.audit.verify import Report, take
    from streams.domain.checkpoint import Signer
    from streams.kafka import checkpoints

    other = checkpoints.encode(checkpoints.checkpoint_record(0, 1, bytes(32), Signer("forger", bytes(32)),
                                                             datetime.now(timezone.utc)))
    report, leaves = Report(), {}
    take(other, {"partition": 1, "offset": 7}, {}, report, leaves)
    take(None, {"partition": 1, "offset": 8}, {}, report, leaves)
    assert [(p["offset"], p["problem"].split(":")[0]) for p in report.problems] == [
        (7, "not an appeal event (a record of another schema)"), (8, "undecodable")]
    assert leaves == {1: [leaf_of(other), leaf_of(None)]}



@given(st.one_of(st.none(), st.binary(max_size=300), st.binary(max_size=60).map(lambda b: b"\xc3\x01" + b)))
def test_any_bytes_on_the_log_are_a_problem_or_an_event_and_always_a_leaf(value):
    from streams.audit.verify import Report, take

    report, leaves = Report(), {}
    take(value, {"partition": 0, "offset": 0}, {}, report, leaves)   # never raises
    assert len(leaves[0]) == 1 and len(leaves[0][0]) == 32
    assert len(report.problems) >= 1   # random bytes are never a whole, chained event
