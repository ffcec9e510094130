"""The ledger agent against the real broker: one event per valid command, a rejection per invalid one."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter, defaultdict

import pytest

from streams.avro import codec
from streams.domain.chain import chain_problems
from streams.clients.publish import publish_lines
from tests.kafka_reading import read_all
from tests.workload import generate

pytestmark = pytest.mark.integration


def ledger_of(bootstrap: str, appeal_ids: set[str]) -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = defaultdict(list)
    for record in read_all(bootstrap, "appeals.events"):
        event = codec.decode(record.value)
        if event["appeal_id"] in appeal_ids:
            assert record.key.decode() == event["appeal_id"]
            events[event["appeal_id"]].append(event)
    return events


def rejections_of(bootstrap: str, appeal_ids: set[str], prefix: str) -> list[dict]:
    out = []
    for record in read_all(bootstrap, "appeals.rejected"):
        rejected = codec.decode(record.value)
        if (rejected["appeal_id"] or "").startswith(prefix) or rejected["command"].startswith(f"{{not json {prefix}".encode()):
            out.append(rejected)
    return out


def assert_ledger_matches(events: dict[str, list[dict]], expected: dict[str, list[str]]) -> None:
    assert set(events) == set(expected), "the appeals with events are exactly the validly filed ones"
    for appeal_id, command_ids in expected.items():
        got = [e["command_id"] for e in events[appeal_id]]
        assert got == command_ids, f"{appeal_id}: events {got} != commands {command_ids}"
        assert [e["sequence"] for e in events[appeal_id]] == list(range(1, len(command_ids) + 1))
        assert chain_problems(events[appeal_id]) == [], appeal_id


def test_publish_10000_commands_gives_one_event_per_valid_command(kafka, worker, tmp_path):
    prefix = f"pub-{uuid.uuid4().hex[:6]}"
    work = generate(10_000, seed=7, prefix=prefix)
    path = tmp_path / "commands.jsonl"
    work.write(path)
    done = worker.cli("publish", str(path), "--format", "json", "--wait", "60", timeout=600)
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
    rejected = rejections_of(kafka, work.appeal_ids, prefix)
    assert Counter(r["reason"] for r in rejected) == Counter(k for k in work.expect if k != "event")


def test_http_api_answers_with_the_event_or_the_reason(worker):
    appeal_id = f"http-{uuid.uuid4().hex[:8]}"
    filing = {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2021-03-01T09:15:00+06:00",
              "region": "75", "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
              "citizen": {"iin": "900101301233", "name": "Aida"}, "text": "pothole"}
    status, body = worker.post("/v1/commands", filing)
    assert status == 201 and body["status"] == "accepted"
    assert body["event"]["sequence"] == 1 and body["event"]["payload"]["due_on"] == "2021-03-26"

    status, body = worker.post("/v1/commands", filing)
    assert status == 200 and body["status"] == "duplicate" and body["reason"] == "duplicate_command"

    status, body = worker.post("/v1/commands/rate", {"command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
                                                     "at": "2021-03-02T09:00:00+06:00", "satisfied": True})
    assert status == 422 and body["reason"] == "invalid_transition"

    # A late answer, on an appeal in the future: the session worker's deadline watcher judges 2021
    # appeals overdue at once and could append its own event between these two commands.
    late = f"{appeal_id}-late"
    status, _ = worker.post("/v1/commands", dict(filing, command_id=f"{late}-1", appeal_id=late, at="2036-03-03T09:15:00+05:00"))
    assert status == 201
    status, body = worker.post("/v1/commands/answer", {"command_id": f"{late}-2", "appeal_id": late,
                                                       "at": "2036-04-29T09:00:00+05:00", "outcome": "resolved"})
    assert status == 201 and body["event"]["payload"]["on_time"] is False and body["event"]["sequence"] == 2

    # Not JSON: answered at the door, never sent to Kafka.
    status, body = worker.post("/v1/commands", b"this is not json")
    assert status == 400 and body["reason"] == "malformed" and "not JSON" in body["error"]

    status, body = worker.post("/v1/commands?wait=0", dict(filing, command_id=f"{appeal_id}-4", appeal_id=appeal_id + "x"))
    assert status == 202 and body["status"] == "pending"


def test_openapi_describes_every_command(worker):
    import urllib.request
    with urllib.request.urlopen(worker.url("/openapi.json")) as response:
        doc = json.loads(response.read())
    schemas = doc["components"]["schemas"]
    for kind in ("file", "route", "extend", "answer", "escalate", "rate", "withdraw", "reopen", "overdue"):
        assert schemas[f"{kind.capitalize()}Command"]["properties"]["type"] == {"const": kind}
    assert schemas["AnswerCommand"]["properties"]["outcome"]["enum"] == ["resolved", "explained", "refused"]


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
        result["report"] = asyncio.run(publish_lines(iter(lines), bootstrap=kafka, wait=90.0))

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
    rejected = rejections_of(kafka, work.appeal_ids, prefix)
    assert Counter(r["reason"] for r in rejected) == Counter(k for k in work.expect if k != "event")


def test_deadline_watcher_appends_overdue_once_and_escalates_by_policy(kafka, worker):
    """The session worker runs the watcher every second with escalation after 5 working days."""
    appeal_id = f"late-{uuid.uuid4().hex[:8]}"
    status, _ = worker.post("/v1/commands", {
        "type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2021-03-01T09:15:00+06:00",
        "region": "71", "body": "astana-akimat", "category": "roads", "channel": "109",
        "citizen": {"iin": "900101301233", "name": "Aida"}})
    assert status == 201
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        events = ledger_of(kafka, {appeal_id}).get(appeal_id, [])
        if len(events) >= 3:
            break
        time.sleep(0.5)
    time.sleep(3)  # three more watcher rounds: nothing further may be appended
    events = ledger_of(kafka, {appeal_id})[appeal_id]
    assert [e["event_type"] for e in events] == ["filed", "overdue", "escalated"]
    assert events[1]["payload"]["due_on"].isoformat() == "2021-03-26" and events[1]["actor"]["role"] == "system"
    assert events[2]["payload"] == {"reason": "overdue", "by": "system"}
    assert chain_problems(events) == []
