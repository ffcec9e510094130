"""The intake over HTTP: the event, the reason, or pending, with the status that says which."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


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
    status, _ = worker.post("/v1/commands", dict(filing, command_id=f"{late}-1", appeal_id=late, at="2008-03-03T09:15:00+05:00"))
    assert status == 201
    status, body = worker.post("/v1/commands/answer", {"command_id": f"{late}-2", "appeal_id": late,
                                                       "at": "2008-04-29T09:00:00+05:00", "outcome": "resolved"})
    assert status == 201 and body["event"]["payload"]["on_time"] is False and body["event"]["sequence"] == 2

    # Not JSON: answered at the door, never sent to Kafka.
    status, body = worker.post("/v1/commands", b"this is not json")
    assert status == 400 and body["reason"] == "malformed" and "not JSON" in body["error"]

    status, body = worker.post("/v1/commands?wait=0", dict(filing, command_id=f"{appeal_id}-4", appeal_id=appeal_id + "x"))
    assert status == 202 and body["status"] == "pending"
