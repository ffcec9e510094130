"""Auditors and courts: history from the ledger, state as of a moment, verify, rebuild, forgery, dossier."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

pytestmark = pytest.mark.integration


def test_history_lists_exactly_the_audit_appeals_events_in_order(worker, audit_appeals):
    for appeal_id, command_ids in audit_appeals.events_by_appeal.items():
        document = worker.get(f"/v1/appeals/{appeal_id}/history")
        assert document["appeal_id"] == appeal_id and document["chain_ok"] is True
        assert [e["command_id"] for e in document["events"]] == command_ids
        assert [e["sequence"] for e in document["events"]] == list(range(1, len(command_ids) + 1))
        first = document["events"][0]
        assert {"sequence", "type", "occurred_at", "recorded_at", "actor", "hash", "prev_hash"} <= set(first)
        assert "citizen" not in first["payload"] and len(first["payload"]["citizen_ref"]) == 32
    appeal_id = next(iter(audit_appeals.events_by_appeal))
    shown = worker.tool("history", appeal_id, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["events"] == worker.get(f"/v1/appeals/{appeal_id}/history")["events"]
    assert worker.tool("history", "no-such-appeal").returncode != 0


def test_state_as_of_a_moment_is_the_fold_up_to_then(worker, audit_appeals):
    appeal_id, ids = next((a, c) for a, c in audit_appeals.events_by_appeal.items() if len(c) >= 3)
    events = worker.get(f"/v1/appeals/{appeal_id}/history")["events"]
    before_second = events[1]["occurred_at"].replace("Z", "+00:00")
    moment = datetime.fromisoformat(before_second).timestamp() - 1
    as_of = datetime.fromtimestamp(moment).astimezone().isoformat()
    shown = worker.tool("history", appeal_id, "--as-of", as_of, "--format", "json")
    document = json.loads(shown.stdout)
    assert document["state"]["sequence"] == 1 and document["state"]["status"] == "open"
    early = worker.tool("history", appeal_id, "--as-of", "2000-01-01T00:00:00+06:00", "--format", "json")
    assert json.loads(early.stdout)["state"] is None
