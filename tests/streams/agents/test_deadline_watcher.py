"""The deadline watcher against a real worker: overdue once per deadline, escalation by policy (APPC art. 76)."""

from __future__ import annotations

import time
import uuid

import pytest

from streams.domain.chain import chain_problems
from tests.support.kafka_reading import ledger_of

pytestmark = pytest.mark.integration


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
