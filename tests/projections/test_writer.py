"""The projection writer against the real engine (embedded chDB): it never wedges and never skips silently."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from projections.clickhouse import run_query
from projections.writer import ProjectionWriter, RawEvent
from streams.agents.judge import judge
from tests.support.messages import FILING, RING, signed_message

NOW = datetime(2031, 2, 1, 12, tzinfo=timezone.utc)


def ledger_events(appeal_id: str, **filing) -> list[bytes]:
    """A filing and an answer of one appeal, judged by the ledger's own code."""
    states: dict = {}
    out = []
    commands = [dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1", **filing),
                {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
                 "at": "2003-01-20T10:00:00+05:00", "outcome": "resolved"}]
    for command in commands:
        verdict = judge(signed_message(appeal_id.encode(), json.dumps(command).encode()), NOW, states.get, RING)
        assert verdict.event is not None
        states[appeal_id] = verdict.state
        out.append(verdict.value)
    return out


def records(values: list[tuple[str, bytes]], first_offset: int) -> list[RawEvent]:
    return [RawEvent("appeals.events", 0, first_offset + i, value, key.encode()) for i, (key, value) in enumerate(values)]


def state(db, appeal_id: str) -> dict | None:
    rows = db.query("SELECT status, sequence FROM appeals FINAL WHERE appeal_id = {a:String}", parameters={"a": appeal_id})
    return dict(zip(rows.column_names, rows.result_rows[0])) if rows.result_rows else None


def test_undecodable_events_are_recorded_and_the_rest_projected(db):
    good, other = ledger_events("w-good"), ledger_events("w-other")
    batch = records([("w-good", good[0]), ("w-bad", b"not avro at all"), ("w-good", good[1]),
                     ("w-worse", b"\xc3\x01" + b"\x00" * 8 + b"unknown writer"), ("w-other", other[0])], 100)
    writer = ProjectionWriter(db)
    assert writer.write(batch) == 3
    assert state(db, "w-good") == {"status": "answered", "sequence": 2} and state(db, "w-other")["sequence"] == 1
    errors = {row["offset"]: row for row in run_query("projection_errors", {"limit": 100}, db)}
    assert set(errors) == {101, 103}
    assert errors[101]["appeal_id"] == "w-bad" and errors[101]["error"].startswith("undecodable")
    assert "unknown writer schema fingerprint" in errors[103]["error"]
    # A replay of the same batch changes nothing.
    assert writer.write(batch) == 3
    assert len(run_query("projection_errors", {"limit": 100}, db)) == 2


def test_a_failed_insert_leaves_the_cache_as_it_was_so_the_retry_writes_the_state(db, monkeypatch):
    events = ledger_events("w-retry")
    writer = ProjectionWriter(db)
    real_insert, failures = writer._insert, []

    def insert_once_failing(table, columns, values):
        if table == "appeals" and not failures:
            failures.append(table)
            raise ConnectionError("the engine went away")
        return real_insert(table, columns, values)

    monkeypatch.setattr(writer, "_insert", insert_once_failing)
    monkeypatch.setattr(writer, "_engine_answers", lambda: False)   # an outage, not a bad event
    batch = records([("w-retry", events[0]), ("w-retry", events[1])], 200)
    with pytest.raises(ConnectionError):
        writer.write(batch)
    assert state(db, "w-retry") is None and "w-retry" not in writer.cache
    assert writer.write(batch) == 2
    assert state(db, "w-retry") == {"status": "answered", "sequence": 2}


def test_an_event_the_engine_refuses_is_found_and_recorded_while_the_others_go_in(db, monkeypatch):
    refused, fine = ledger_events("w-refused"), ledger_events("w-fine")
    writer = ProjectionWriter(db)
    writer.refusal_pause = 0.0
    real_insert = writer._insert

    def refuse_one(table, columns, values):
        if any(row[0] == "w-refused" for row in values):
            raise ValueError("value out of range for the column")
        return real_insert(table, columns, values)

    monkeypatch.setattr(writer, "_insert", refuse_one)
    batch = records([("w-fine", fine[0]), ("w-refused", refused[0]), ("w-fine", fine[1])], 300)
    assert writer.write(batch) == 2
    assert state(db, "w-fine") == {"status": "answered", "sequence": 2} and state(db, "w-refused") is None
    errors = {row["offset"]: row["error"] for row in run_query("projection_errors", {"limit": 100}, db)}
    assert errors[301].startswith("refused by ClickHouse: ValueError") and 300 not in errors and 302 not in errors


def test_a_refusal_that_passes_costs_a_retry_not_an_event(db, monkeypatch):
    """A refusal while the engine answers may pass (memory, too many parts): the batch is tried once more."""
    events = ledger_events("w-transient")
    writer = ProjectionWriter(db)
    writer.refusal_pause = 0.0
    real_insert, refusals = writer._insert, []

    def refuse_once(table, columns, values):
        if not refusals:
            refusals.append(table)
            raise MemoryError("memory limit exceeded")
        return real_insert(table, columns, values)

    monkeypatch.setattr(writer, "_insert", refuse_once)
    before = len(run_query("projection_errors", {"limit": 1000}, db))
    assert writer.write(records([("w-transient", events[0]), ("w-transient", events[1])], 400)) == 2
    assert state(db, "w-transient") == {"status": "answered", "sequence": 2}
    assert len(run_query("projection_errors", {"limit": 1000}, db)) == before


def test_a_fresh_writer_folds_onto_the_state_stored_before(db):
    """After a restart the cache is empty: the stored state (queries/states_by_id.sql) is loaded, not guessed."""
    events = ledger_events("w-restart")
    assert ProjectionWriter(db).write(records([("w-restart", events[0])], 500)) == 1
    restarted = ProjectionWriter(db)
    assert restarted.write(records([("w-restart", events[1])], 501)) == 1
    assert state(db, "w-restart") == {"status": "answered", "sequence": 2}
    assert restarted.cache["w-restart"][0].sequence == 2 and restarted.cache["w-restart"][1] != ""   # the citizen ref came back too


def test_an_event_whose_state_cannot_become_a_row_is_recorded_not_retried_forever(db):
    """A forged answer dated 9999 decodes and folds, but its working-day count overflows."""
    from datetime import date

    from streams.avro import codec
    filing, answer = ledger_events("w-9999")
    forged = codec.decode(answer)
    forged["payload"]["answered_on"] = date(9999, 12, 31)
    writer = ProjectionWriter(db)
    batch = records([("w-9999", filing), ("w-9999", codec.encode_event(forged))], 600)
    assert writer.write(batch) == 2
    errors = {row["offset"]: row["error"] for row in run_query("projection_errors", {"limit": 1000}, db)}
    assert errors[601].startswith("its state cannot be projected: OverflowError")
    assert state(db, "w-9999") is None and "w-9999" not in writer.cache


def versions(db, appeal_id: str) -> list[tuple]:
    """(sequence, status, valid_on) of every version stored, duplicates included (no FINAL)."""
    return db.query("SELECT sequence, status, valid_on FROM appeal_versions WHERE appeal_id = {a:String} ORDER BY sequence",
                    parameters={"a": appeal_id}).result_rows


def test_every_folded_event_writes_the_state_after_it_as_a_version(db, monkeypatch):
    """The as-of figures read every state an appeal had (README: the ranking as it stood at the end of a day),
    so the writer stores the state after each event, not only the batch's last; a batch retried after a
    failed insert writes the same rows again under the same keys, which the figures read as one."""
    from datetime import timedelta

    from projections.ranking import ranking
    from streams.domain.calendar import working_days_between
    from streams.domain.localtime import local_date

    filing, answer = ledger_events("w-versions", body="w-versions-akimat")
    writer = ProjectionWriter(db)
    real_insert, failures = writer._insert, []

    def appeals_insert_once_failing(table, columns, values):
        if table == "appeals" and not failures:   # the events and versions are in: the retry writes them again
            failures.append(table)
            raise ConnectionError("the engine went away")
        return real_insert(table, columns, values)

    monkeypatch.setattr(writer, "_insert", appeals_insert_once_failing)
    monkeypatch.setattr(writer, "_engine_answers", lambda: False)
    batch = records([("w-versions", filing), ("w-versions", answer)], 700)
    with pytest.raises(ConnectionError):
        writer.write(batch)
    assert writer.write(batch) == 2
    # Each version holds from its act's legal local day in the region (Almaty: DOMAIN.md, local time).
    received = local_date("75", datetime.fromisoformat(FILING["at"]))
    answered = local_date("75", datetime.fromisoformat("2003-01-20T10:00:00+05:00"))
    expected = [(1, "open", received), (2, "answered", answered)]
    assert versions(db, "w-versions") in (expected, sorted(expected * 2))     # before or after a merge
    stored = db.query("SELECT sequence, body_answered_on, response_working_days FROM appeals FINAL WHERE appeal_id = 'w-versions'")
    assert stored.result_rows == [(2, answered, working_days_between(received, answered))]
    # A fresh writer replays it (from the filing it folds anew): the same rows again, one per key once merged.
    assert ProjectionWriter(db).write(batch) == 2
    assert sorted(set(versions(db, "w-versions"))) == expected
    figures = {day: [(r["filed"], r["answered"]) for r in ranking("body", today=day, db=db, regions=("75",))
                     if r["key"] == "w-versions-akimat"]
               for day in (received - timedelta(days=1), received, answered - timedelta(days=1), answered)}
    assert list(figures.values()) == [[], [(1, 0)], [(1, 0)], [(1, 1)]]
