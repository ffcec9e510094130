"""The rebuild's state (streams/agents/rebuild.py): one at a time, its progress, and a status without internals."""

from __future__ import annotations

import time

from streams.agents.rebuild import Rebuild


def test_a_rebuild_is_requested_once_until_it_starts():
    rebuild = Rebuild()
    assert rebuild.status() == {"state": "idle"}
    assert rebuild.request() is True and rebuild.requested
    assert rebuild.status() == {"state": "requested"}
    assert rebuild.request() is False and rebuild.status() == {"state": "requested"}


def test_no_second_rebuild_while_one_runs_and_its_status_shows_the_time_elapsed():
    rebuild = Rebuild()
    rebuild.request()
    rebuild.start({"p0": 0, "p1": 5}, {"p0": 7, "p1": 8})
    assert rebuild.request() is False and not rebuild.requested
    rebuild.progress({"p0": 3, "p1": 5})
    first = rebuild.status()
    assert set(first) == {"state", "events_total", "events_done", "started_at", "elapsed_s"}
    assert (first["state"], first["events_total"], first["events_done"]) == ("running", 10, 3)
    time.sleep(0.05)
    assert rebuild.status()["elapsed_s"] >= first["elapsed_s"] + 0.04   # reading the status changes nothing


def test_positions_past_the_ends_count_as_the_ends_and_the_rebuild_is_done_there():
    rebuild = Rebuild()
    rebuild.request()
    rebuild.start({"p0": 2}, {"p0": 6})
    rebuild.progress({"p0": 5})
    assert rebuild.state == "running" and rebuild.events_done == 3
    rebuild.progress({"p0": 9})   # events appended since the rebuild began are not part of it
    done = rebuild.status()
    assert done["state"] == "done" and done["events_done"] == done["events_total"] == 4
    assert set(done) == {"state", "events_total", "events_done", "started_at", "elapsed_s", "events_per_s"}


def test_a_finished_rebuild_can_be_followed_by_a_new_one_that_starts_afresh():
    rebuild = Rebuild()
    rebuild.request()
    rebuild.start({"p0": 0}, {"p0": 0})   # an empty log
    rebuild.progress({"p0": 0})
    assert rebuild.state == "done"
    assert rebuild.request() is True
    assert rebuild.status() == {"state": "requested"} and rebuild.events_total == 0 and rebuild.ends == {}
