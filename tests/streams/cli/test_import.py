"""Moving history in: `tyndau publish FILE --import`, and the ranking as it stood on a day of that history.

The issue's definition of done: a ranking computed with `--today 2021-03-17` over imported 2021 data shows
what was true on that day, and importing the same history twice changes nothing. "What was true" is worked
out here from the ledger's own events, folded up to the end of 17 March in each region's legal local time.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import date

import pytest

from streams.domain.appeal import fold
from streams.domain.localtime import day_end
from tests.support.kafka_reading import read_all
from streams.avro import codec

pytestmark = pytest.mark.integration
DAY = date(2021, 3, 17)
PERIOD = ["--from", "2021-01-01", "--to", "2021-12-31"]


def ranking(worker, today: date) -> dict[str, dict]:
    done = worker.tool("ranking", "--by", "region", "--format", "json", "--today", today.isoformat(), *PERIOD)
    assert done.returncode == 0, done.stderr
    return {row["key"]: row for row in json.loads(done.stdout)}


def events_by_appeal(worker) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for record in read_all(worker.bootstrap, "appeals.events"):
        event = codec.decode(record.value)
        out[event["appeal_id"]].append(event)
    return {a: sorted(e, key=lambda x: x["sequence"]) for a, e in out.items()}


def true_on(events: dict[str, list[dict]], day: date) -> dict[str, dict]:
    """Per region, the body-stage figures of the appeals as they stood at the end of `day` (README: figures)."""
    rows: dict[str, dict] = defaultdict(lambda: {"filed": 0, "answered": 0, "overdue": 0, "escalated": 0, "due": 0,
                                                 "answered_due": 0})
    for history in events.values():
        region = history[0]["region"]
        state = fold(history, as_of=day_end(region, day))
        if state is None:
            continue
        row = rows[region]
        row["filed"] += 1
        row["answered"] += state.body_answered_on is not None
        row["escalated"] += state.centre_received_on is not None
        row["overdue"] += (state.status == "open" and state.stage == "body" and state.body_answered_on is None
                           and state.body_due_on < day)
        if state.body_due_on <= day and state.status != "withdrawn":
            row["due"] += 1
            row["answered_due"] += state.body_answered_on is not None
    return rows


def test_the_ranking_of_a_day_of_imported_history_is_what_was_true_that_day_and_a_second_import_changes_nothing(
        own_worker, tmp_path):
    history = tmp_path / "2021.jsonl"
    made = own_worker.cli("simulate", "--appeals", "400", "--seed", "2021", "--start", "2021-01-04", "--days", "100",
                          "--out", str(history))
    assert made.returncode == 0, made.stderr
    lines = history.read_text(encoding="utf-8").splitlines()

    first = own_worker.cli("publish", str(history), "--import", "--format", "json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["accepted"], report["rejected"]) == (len(lines), 0), report

    deadline = time.monotonic() + 90
    while sum(r["filed"] for r in ranking(own_worker, date(2021, 12, 31)).values()) < 400:
        assert time.monotonic() < deadline, "the projection did not take in the import within 90 s"
        time.sleep(0.5)
    events = events_by_appeal(own_worker)
    # The 400 appeals, and the probe the worker's start filed in March 2021 (tests/conftest.py).
    assert len(events) == 401 and sum(a.startswith("sim2021-") for a in events) == 400
    expected = true_on(events, DAY)
    shown = ranking(own_worker, DAY)
    assert set(shown) == set(expected)
    for region, row in shown.items():
        want = expected[region]
        assert (row["filed"], row["answered"], row["overdue"], row["escalated"]) == (
            want["filed"], want["answered"], want["overdue"], want["escalated"]), region
        if want["due"]:
            assert row["response_rate_due"] == pytest.approx(want["answered_due"] / want["due"]), region
    # A later day shows more of the history: the report day changes the statuses, not only the overdue test.
    later = ranking(own_worker, date(2021, 6, 30))
    assert sum(r["filed"] for r in later.values()) == len(events) > sum(r["filed"] for r in shown.values())
    assert sum(r["answered"] for r in later.values()) > sum(r["answered"] for r in shown.values())

    again = own_worker.cli("publish", str(history), "--import", "--format", "json")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert (second["accepted"], second["duplicates"]) == (0, len(lines)), second
    time.sleep(2)
    assert events_by_appeal(own_worker) == events
    assert ranking(own_worker, DAY) == shown


def test_publish_says_when_import_and_the_credential_disagree(own_worker, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text('{"type": "overdue", "command_id": "x", "appeal_id": "x", "at": "2021-03-01T09:00:00+06:00"}\n')
    live = own_worker.cli("publish", str(path), "--import", role="gateway")
    assert live.returncode != 0 and "--import moves history in as an importer" in live.stderr
    history = own_worker.cli("publish", str(path))
    assert history.returncode != 0 and "tyndau publish FILE --import" in history.stderr
