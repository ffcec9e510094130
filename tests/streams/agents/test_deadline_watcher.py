"""The deadline watcher against a real worker: overdue once per deadline, escalation by policy (APPC art. 76),
and imported histories judged at their own time (README: business time)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from streams.domain.chain import chain_problems
from tests.support.kafka_reading import ledger_of

pytestmark = pytest.mark.integration
ASTANA_2021 = timezone(timedelta(hours=6))


def filing(appeal_id: str) -> dict:
    return {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2021-03-01T09:15:00+06:00",
            "region": "71", "body": "astana-akimat", "category": "roads", "channel": "109",
            "citizen": {"iin": "900101301233", "name": "Aida"}}


def events_when(kafka, appeal_id: str, count: int, seconds: float = 30) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(ledger_of(kafka, {appeal_id}).get(appeal_id, [])) >= count:
            break
        time.sleep(0.5)
    time.sleep(3)  # three more watcher rounds: nothing further may be appended
    return ledger_of(kafka, {appeal_id}).get(appeal_id, [])


def test_deadline_watcher_appends_overdue_once_and_escalates_by_policy(kafka, worker):
    """The session worker runs the watcher every second with escalation after 5 working days. An appeal moved in
    from 2021 (due 26 March) becomes live when its body acts through tyndau today: from then on the watcher
    judges it by today's date, reports it overdue as of the start of 27 March, and escalates it."""
    appeal_id = f"late-{uuid.uuid4().hex[:8]}"
    assert worker.post("/v1/commands", filing(appeal_id))[0] == 201
    clerk = worker.token("body", name="astana-clerk", bodies=("astana-akimat",))
    status, body = worker.post("/v1/commands?wait=10", {
        "type": "route", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
        "at": datetime.now(timezone.utc).isoformat(), "to_body": "astana-akimat-roads", "reason": "competence"}, token=clerk)
    assert status == 201, body
    events = events_when(kafka, appeal_id, 4)
    assert [e["event_type"] for e in events] == ["filed", "routed", "overdue", "escalated"]
    overdue, escalated = events[2], events[3]
    assert overdue["payload"]["due_on"].isoformat() == "2021-03-26" and overdue["actor"]["role"] == "system"
    assert overdue["occurred_at"] == datetime(2021, 3, 27, tzinfo=ASTANA_2021)
    assert (escalated["payload"]["reason"], escalated["payload"]["by"]) == ("overdue", "system")
    assert chain_problems(events) == []


def test_the_watcher_leaves_an_appeal_to_its_import_while_the_import_is_under_way(kafka, worker):
    """An import moving 2021 in, past its due date and without an overdue event of its own: the watcher (every second
    here) sends nothing for it within TYNDAU_IMPORT_SETTLE_HOURS of its latest imported act, so it never races the
    import (what it does once the import has settled: tests/streams/domain/test_business_time.py)."""
    past_due = f"import-{uuid.uuid4().hex[:8]}"
    assert worker.post("/v1/commands", filing(past_due))[0] == 201
    status, _ = worker.post("/v1/commands?wait=10", {
        "type": "route", "command_id": f"{past_due}-2", "appeal_id": past_due, "at": "2021-04-01T10:00:00+06:00",
        "to_body": "astana-akimat-roads", "reason": "competence"})
    assert status == 201
    assert [e["event_type"] for e in events_when(kafka, past_due, 3, seconds=5)] == ["filed", "routed"]
