"""The projector (streams/agents/projector.py): its rebuild state machine, and a failed write retried until it lands."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import datetime, timezone

import pytest

from projections.clickhouse import in_db_thread
from projections.writer import ProjectionWriter, RawEvent
from streams.agents import projector
from streams.agents.judge import judge
from tests.support.messages import FILING, command_message

NOW = datetime(2031, 2, 1, 12, tzinfo=timezone.utc)


@pytest.fixture
def rebuild():
    """The module's rebuild state, idle for the test and put back as it was afterwards."""
    saved, requested = dict(projector._rebuild), projector._rebuild_requested
    projector._rebuild.clear()
    projector._rebuild.update(state="idle")
    projector._rebuild_requested = False
    yield projector._rebuild
    projector._rebuild.clear()
    projector._rebuild.update(saved)
    projector._rebuild_requested = requested


def running(started_ago: float) -> dict:
    """The state as _start_rebuild leaves it."""
    return dict(state="running", events_total=10, events_done=3, _ends={"p0": 7, "p1": 3}, _starts={"p0": 0, "p1": 0},
                _started=time.monotonic() - started_ago, started_at="2031-02-01T12:00:00Z")


def test_a_rebuild_is_requested_once_until_it_starts(rebuild):
    assert projector.rebuild_status() == {"state": "idle"}
    assert projector.request_rebuild() is True
    assert projector.rebuild_status() == {"state": "requested"} and projector._rebuild_requested is True
    assert projector.request_rebuild() is False
    assert projector.rebuild_status() == {"state": "requested"} and projector._rebuild_requested is True


def test_no_second_rebuild_while_one_runs_and_its_status_shows_the_time_elapsed(rebuild):
    rebuild.update(running(started_ago=2.0))
    assert projector.request_rebuild() is False and projector._rebuild_requested is False
    first = projector.rebuild_status()
    assert set(first) == {"state", "events_total", "events_done", "started_at", "elapsed_s"}
    assert first["state"] == "running" and (first["events_total"], first["events_done"]) == (10, 3)
    assert 2.0 <= first["elapsed_s"] < 10.0
    time.sleep(0.05)
    second = projector.rebuild_status()      # reading the status does not consume the start time
    assert second["elapsed_s"] >= first["elapsed_s"] + 0.04
    assert {"_started", "_ends", "_starts"} <= set(rebuild)


def test_a_finished_rebuild_hides_its_internals_and_a_new_one_starts_afresh(rebuild):
    rebuild.update(running(started_ago=1.0))
    rebuild.pop("_started")
    rebuild.update(state="done", events_done=10, elapsed_s=1.0, events_per_s=10.0)
    assert projector.rebuild_status() == {"state": "done", "events_total": 10, "events_done": 10, "elapsed_s": 1.0,
                                          "events_per_s": 10.0, "started_at": "2031-02-01T12:00:00Z"}
    assert projector.request_rebuild() is True
    assert projector.rebuild_status() == {"state": "requested"} and rebuild == {"state": "requested"}
    assert projector.request_rebuild() is False


def ledger_events(appeal_id: str) -> list[bytes]:
    """A filing and an answer of one appeal, as the ledger's own code writes them."""
    states: dict = {}
    out = []
    for command in (dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1"),
                    {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
                     "at": "2031-01-20T10:00:00+05:00", "outcome": "resolved"}):
        verdict = judge(command_message(appeal_id.encode(), json.dumps(command).encode()), NOW, states.get)
        assert verdict.event is not None, verdict
        states[appeal_id] = verdict.state
        out.append(verdict.value)
    return out


@pytest.fixture
def own_writer(db):
    """projector's writer replaced by a fresh one over the session's engine, and put back afterwards."""
    saved = projector._writer
    projector._writer = ProjectionWriter(db)
    yield projector._writer
    projector._writer = saved


def test_a_failed_write_is_retried_with_backoff_until_the_batch_lands_once(db, own_writer, caplog):
    """A real failure: the engine cannot read the appeals table (renamed away), so the writer cannot load the
    appeal's state; the batch is retried, not skipped, and lands once the table is back."""
    appeal_id = f"proj-{uuid.uuid4().hex[:8]}"
    filing, answer = ledger_events(appeal_id)
    key = appeal_id.encode()
    assert ProjectionWriter(db).write([RawEvent("appeals.events", 0, 9_000_000, filing, key)]) == 1
    batch = [RawEvent("appeals.events", 0, 9_000_001, answer, key)]   # its state must be loaded: not in the new writer's cache
    aside = f"appeals_aside_{uuid.uuid4().hex[:8]}"

    def failures() -> list[str]:
        return [r.getMessage() for r in caplog.records
                if r.name == "streams.agents.projector" and "failed; retrying" in r.getMessage()]

    async def scenario() -> None:
        await in_db_thread(db.command, f"RENAME TABLE appeals TO {aside}")
        try:
            task = asyncio.create_task(projector.write_until_done(batch))
            deadline = time.monotonic() + 20
            while len(failures()) < 2 and time.monotonic() < deadline and not task.done():
                await asyncio.sleep(0.02)
            assert not task.done(), "write_until_done returned while the table was away"
        finally:
            await in_db_thread(db.command, f"RENAME TABLE {aside} TO appeals")
        await asyncio.wait_for(task, 20)

    with caplog.at_level(logging.ERROR, logger="streams.agents.projector"):
        asyncio.run(scenario())
    assert failures()[:2] == ["ClickHouse insert of 1 events failed; retrying in 0.5s",
                              "ClickHouse insert of 1 events failed; retrying in 1.0s"]
    assert own_writer.events_written == 1 and own_writer.errors_recorded == 0
    rows = db.query("SELECT sequence, count() FROM appeal_events WHERE appeal_id = {a:String} "
                    "GROUP BY sequence ORDER BY sequence", parameters={"a": appeal_id}).result_rows
    assert [tuple(r) for r in rows] == [(1, 1), (2, 1)]
    state = db.query("SELECT status, sequence FROM appeals FINAL WHERE appeal_id = {a:String}", parameters={"a": appeal_id})
    assert [tuple(r) for r in state.result_rows] == [("answered", 2)]
    errors = db.query("SELECT count() FROM projection_errors WHERE appeal_id = {a:String}", parameters={"a": appeal_id})
    assert errors.result_rows[0][0] == 0
