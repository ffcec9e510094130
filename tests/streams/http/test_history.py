"""An appeal's history over HTTP (streams/http/history.py): the ledger's events in order, checked, personal data on request."""

from __future__ import annotations

import json
import time
import urllib.error
import uuid
from urllib.parse import quote

import pytest

from streams import settings
from streams.domain.privacy import pseudonym

pytestmark = pytest.mark.integration

IIN, NAME, TEXT, ANSWER = "900101301233", "Aida Nurlanqyzy", "pothole on Abai avenue", "the road was repaired on 5 March"


def status_of(worker, path: str) -> tuple[int, dict]:
    try:
        return 200, worker.get(path)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def answered(worker):
    """An appeal filed and answered in 2045 (no deadline passes, so the deadline watcher adds nothing), and its events."""
    appeal_id = f"hist-{uuid.uuid4().hex[:8]}"
    commands = [
        {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2017-03-01T09:15:00+05:00",
         "region": "75", "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
         "citizen": {"iin": IIN, "name": NAME}, "text": TEXT},
        {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id, "at": "2017-03-06T10:00:00+05:00",
         "outcome": "resolved", "text": ANSWER},
    ]
    events = []
    for command in commands:
        status, body = worker.post("/v1/commands?wait=10", command)
        assert status == 201, body
        events.append(body["event"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, document = status_of(worker, f"/v1/appeals/{appeal_id}/history")
        if status == 200 and len(document["events"]) == len(events):
            break
        time.sleep(0.2)
    return appeal_id, events


def test_an_appeal_never_filed_is_404(worker):
    appeal_id = f"hist-never-{uuid.uuid4().hex[:8]}"
    status, body = status_of(worker, f"/v1/appeals/{appeal_id}/history")
    assert status == 404 and body["error"].startswith(f"no appeal {appeal_id} in the projection")
    # A filing the ledger rejects files nothing either.
    status, _ = worker.post("/v1/commands?wait=10", {
        "type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2017-03-01T09:15:00+05:00", "region": "99",
        "body": "b", "category": "roads", "channel": "eotinish", "citizen": {"iin": IIN, "name": NAME}})
    assert status == 422
    assert status_of(worker, f"/v1/appeals/{appeal_id}/history")[0] == 404


@pytest.mark.parametrize("as_of", ["yesterday", "2017-03-03", "2017-03-03T12:00:00", "2017-03-03T12:00:00+15:00",
                                   "1969-12-31T23:00:00+00:00", "2150-01-01T00:00:00+00:00",
                                   "2017-03-03T12:00:00+05:00" + "0" * 60])
def test_a_bad_as_of_is_400(worker, answered, as_of):
    appeal_id, _ = answered
    status, body = status_of(worker, f"/v1/appeals/{appeal_id}/history?as_of={quote(as_of)}")
    assert status == 400
    assert body["error"].startswith("as_of must be an ISO 8601 time with a UTC offset between 1970-01-01 and 2149-12-31")


def test_the_history_is_the_ledgers_events_in_order_and_chained(worker, answered):
    appeal_id, appended = answered
    document = worker.get(f"/v1/appeals/{appeal_id}/history")
    assert document["appeal_id"] == appeal_id and document["chain_ok"] is True and document["problems"] == []
    events = document["events"]
    assert [(e["sequence"], e["type"], e["command_id"]) for e in events] == [
        (1, "filed", f"{appeal_id}-1"), (2, "answered", f"{appeal_id}-2")]
    same = ("event_id", "hash", "prev_hash", "occurred_at", "recorded_at", "actor", "region", "body")
    for shown, event in zip(events, appended):     # exactly what the ledger appended
        assert {k: shown[k] for k in same} == {k: event[k] for k in same}
        assert isinstance(shown["partition"], int) and isinstance(shown["offset"], int)
    assert events[0]["prev_hash"] == "0" * 64 and events[1]["prev_hash"] == events[0]["hash"]
    assert events[0]["partition"] == events[1]["partition"] and events[0]["offset"] < events[1]["offset"]
    assert document["state"]["status"] == "answered" and document["state"]["sequence"] == 2 and "as_of" not in document


def test_personal_data_is_left_out_unless_asked_for(worker, answered):
    appeal_id, _ = answered
    for query in ("", "?personal=false", "?personal=1", "?personal=TRUE"):
        document = worker.get(f"/v1/appeals/{appeal_id}/history{query}")
        text = json.dumps(document, ensure_ascii=False)
        for personal in (IIN, NAME, TEXT, ANSWER):
            assert personal not in text, (query, personal)
        filed, answer = document["events"]
        assert "citizen" not in filed["payload"] and filed["payload"]["citizen_ref"] == pseudonym(IIN, settings.PSEUDONYM_KEY)
        assert "text" not in answer["payload"] and answer["payload"]["outcome"] == "resolved"
    document = worker.get(f"/v1/appeals/{appeal_id}/history?personal=true&purpose=court%20case%202-100")
    filed, answer = document["events"]
    assert filed["payload"]["citizen"]["iin"] == IIN and filed["payload"]["citizen"]["name"] == NAME
    assert TEXT in json.dumps(filed["payload"], ensure_ascii=False) and "citizen_ref" not in filed["payload"]
    assert answer["payload"]["text"] == ANSWER and document["chain_ok"] is True


@pytest.mark.parametrize("as_of, status, sequence", [("2017-03-03T12:00:00+05:00", "open", 1),
                                                     ("2017-03-06T05:00:00Z", "answered", 2),
                                                     ("2017-03-06T09:59:59+05:00", "open", 1),
                                                     ("2017-02-28T00:00:00+05:00", None, None)])
def test_as_of_folds_the_events_that_had_occurred_by_then(worker, answered, as_of, status, sequence):
    appeal_id, _ = answered
    document = worker.get(f"/v1/appeals/{appeal_id}/history?as_of={quote(as_of)}")
    assert len(document["events"]) == 2 and document["chain_ok"] is True and document["as_of"].endswith("Z")
    if status is None:
        assert document["state"] is None
    else:
        assert (document["state"]["status"], document["state"]["sequence"]) == (status, sequence)
