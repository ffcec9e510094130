"""Running the worker over HTTP (streams/http/admin.py): health, the OpenAPI document, and a rebuild of the projections."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest

from streams.contracts.openapi import openapi_document

pytestmark = pytest.mark.integration


def test_health_is_public_and_its_details_are_for_operators(worker):
    assert worker.get("/health", role=None) == {"status": "ok"}
    details = worker.get("/v1/admin/health", role="operator")
    assert details["kafka"] == worker.bootstrap and details["revocations_loaded"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", details["token_key"]) and re.fullmatch(r"[0-9a-f]{16}", details["assertion_key"])


def test_openapi_json_is_the_document_the_contract_builds(worker):
    with urllib.request.urlopen(worker.url("/openapi.json"), timeout=30) as response:
        assert response.headers.get_content_type() == "application/json"
        served = json.loads(response.read())
    assert served == json.loads(json.dumps(openapi_document()))
    assert served["openapi"] == "3.1.0" and "/v1/commands" in served["paths"]


def history_length(worker, appeal_id: str) -> int:
    try:
        return len(worker.get(f"/v1/appeals/{appeal_id}/history")["events"])
    except urllib.error.HTTPError:
        return 0


def wait_for(predicate, timeout: float = 60.0, every: float = 0.1):
    """The first value of predicate() that is truthy, or the last one when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def test_rebuild_is_accepted_once_at_a_time_and_refills_the_projections(own_worker):
    """On a worker of this module's own: a rebuild empties the projections other tests read."""
    worker = own_worker
    appeal_id = f"rebuild-{uuid.uuid4().hex[:8]}"
    for n, command in enumerate([
        {"type": "file", "at": "2018-03-02T09:15:00+05:00", "region": "75", "body": "almaty-akimat", "category": "roads",
         "channel": "eotinish", "citizen": {"iin": "900101301233", "name": "Aida"}, "text": "pothole"},
        {"type": "answer", "at": "2018-03-05T10:00:00+05:00", "outcome": "resolved", "text": "fixed"}], start=1):
        status, body = worker.post("/v1/commands?wait=10", dict(command, command_id=f"{appeal_id}-{n}", appeal_id=appeal_id))
        assert status == 201, body
    assert wait_for(lambda: history_length(worker, appeal_id) == 2)
    assert worker.get("/v1/admin/rebuild") == {"state": "idle"}

    status, body = worker.post("/v1/admin/rebuild", b"")
    assert (status, body) == (202, {"state": "requested"})
    status, body = worker.post("/v1/admin/rebuild", b"")
    assert status == 409 and body["error"] == "a rebuild is already running" and body["state"] in ("requested", "running")

    seen = []

    def finished():
        status = worker.get("/v1/admin/rebuild")
        seen.append(status)
        return status if status["state"] == "done" else None

    done = wait_for(finished)
    assert done, seen[-3:]
    states = [s["state"] for s in seen]
    assert set(states) <= {"requested", "running", "done"}
    for running in (s for s in seen if s["state"] == "running"):
        assert running["elapsed_s"] >= 0 and 0 <= running["events_done"] <= running["events_total"]
    assert not any(key.startswith("_") for s in seen for key in s)
    assert done["events_done"] == done["events_total"] >= 2 and done["elapsed_s"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", done["started_at"])
    assert wait_for(lambda: history_length(worker, appeal_id) == 2, timeout=30)

    # Once done, another rebuild may start; wait for it so the worker stops idle.
    status, body = worker.post("/v1/admin/rebuild", b"")
    assert (status, body) == (202, {"state": "requested"})
    assert wait_for(lambda: worker.get("/v1/admin/rebuild")["state"] == "done")
