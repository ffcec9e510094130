"""`tyndau history`, `dossier` and `verify --log-only` against the worker, for an appeal filed and answered here."""

from __future__ import annotations

import json
import time
import urllib.error
import uuid
from datetime import date, timedelta

import holidays
import pytest

from streams.devtools.broker import free_port

pytestmark = pytest.mark.integration


def answer_due(received: date) -> str:
    """APPC art. 76: the 15th working day after receipt, on the `holidays` calendar of Kazakhstan (DOMAIN.md)."""
    kz, day, left = holidays.country_holidays("KZ"), received, 15
    while left:
        day += timedelta(days=1)
        left -= kz.is_working_day(day)
    return day.isoformat()


DUE = answer_due(date(2017, 3, 1))   # 8 March and Nauryz fall in between


@pytest.fixture(scope="module")
def appeal(worker) -> str:
    """An appeal of this module's own, filed and answered, with both events in the projection's index."""
    appeal_id = f"audit-cli-{uuid.uuid4().hex[:10]}"
    commands = [{"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2017-03-01T09:15:00+05:00",
                 "region": "75", "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
                 "citizen": {"iin": "900101301233", "name": "Aida"}, "text": "pothole"},
                {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id, "at": "2017-03-04T11:00:00+05:00",
                 "outcome": "resolved", "text": "done"}]
    for command in commands:
        status, outcome = worker.post("/v1/commands?wait=10", command)
        assert status == 201, outcome
    deadline = time.monotonic() + 60
    while True:
        try:
            if len(worker.get(f"/v1/appeals/{appeal_id}/history")["events"]) == 2:
                return appeal_id
        except urllib.error.HTTPError as error:
            assert error.code == 404
        assert time.monotonic() < deadline, "the projection did not index both events within 60 s"
        time.sleep(0.2)


def test_history_table_names_every_event_and_says_the_chain_is_ok(worker, appeal):
    done = worker.tool("history", appeal)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"appeal {appeal}: 2 events, chain OK"
    assert lines[1].split()[:2] == ["1", "filed"] and lines[2].split()[:2] == ["2", "answered"]
    assert "citizen:applicant" in lines[1] and "body:almaty-akimat" in lines[2]
    assert lines[1].split()[2] == "2017-03-01T04:15:00"      # the time of the act, in UTC
    assert lines[-1] == f"state now: status answered, body almaty-akimat, due {DUE}, answered 2017-03-04T06:00:00Z, rating —"
    assert "Aida" not in done.stdout and "900101301233" not in done.stdout


def test_history_json_is_the_workers_document(worker, appeal):
    done = worker.tool("history", appeal, "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document == worker.get(f"/v1/appeals/{appeal}/history")
    assert [e["type"] for e in document["events"]] == ["filed", "answered"]
    assert [e["command_id"] for e in document["events"]] == [f"{appeal}-1", f"{appeal}-2"]
    assert document["chain_ok"] is True and document["problems"] == []
    assert document["events"][1]["prev_hash"] == document["events"][0]["hash"]
    assert "citizen" not in document["events"][0]["payload"] and "text" not in document["events"][1]["payload"]
    assert document["state"]["status"] == "answered" and document["state"]["on_time"] is True


def test_history_personal_and_as_of(worker, appeal):
    personal = json.loads(worker.tool("history", appeal, "--format", "json", "--personal", "--purpose", "court case 2-100/2026").stdout)
    assert personal["events"][0]["payload"]["citizen"]["name"] == "Aida"
    earlier = worker.tool("history", appeal, "--as-of", "2017-03-02T12:00:00+05:00")
    assert earlier.returncode == 0, earlier.stderr
    assert "state as of 2017-03-02T07:00:00Z: status open" in earlier.stdout
    before = worker.tool("history", appeal, "--as-of", "2017-02-01T12:00:00+05:00")
    assert before.stdout.splitlines()[-1] == "state as of 2017-02-01T07:00:00Z: not yet filed"


def test_history_of_an_unknown_appeal_exits_with_the_workers_404(worker):
    unknown = f"audit-nobody-{uuid.uuid4().hex[:10]}"
    done = worker.tool("history", unknown)
    assert done.returncode != 0 and done.stdout == ""
    assert f"the worker answered 404: no appeal {unknown} in the projection (not filed, or not yet projected)" in done.stderr
    assert "Traceback" not in done.stderr


def test_history_without_a_worker_says_how_to_start_one(worker):
    api = f"http://127.0.0.1:{free_port()}"
    done = worker.cli("history", "anything", "--api", api)
    assert done.returncode != 0
    assert f"no tyndau worker answers at {api}" in done.stderr and "Traceback" not in done.stderr


def test_dossier_without_out_or_json_asks_for_one(worker, appeal):
    done = worker.tool("dossier", appeal)
    assert done.returncode != 0 and done.stdout == ""
    assert "tyndau dossier: give --out FILE.pdf, --json, or both" in done.stderr


def test_dossier_json_holds_the_citizen_for_the_court(worker, appeal):
    done = worker.tool("dossier", appeal, "--json", "--lang", "ru", "--purpose", "court case 2-100/2026")
    assert done.returncode == 0, done.stderr
    dossier = json.loads(done.stdout)
    assert dossier["appeal_id"] == appeal and dossier["lang"] == "ru" and dossier["chain_ok"] is True
    assert dossier["citizen"]["iin"] == "900101301233" and dossier["citizen"]["name"] == "Aida"
    assert (dossier["received_on"], dossier["due_on"]) == ("2017-03-01", DUE)
    assert [e["type"] for e in dossier["events"]] == ["filed", "answered"]


@pytest.mark.parametrize("form", ["json", "text"])
def test_verify_log_only_exit_status_matches_the_report(worker, appeal, form):
    done = worker.tool("verify", "--log-only", "--format", form)
    assert done.returncode in (0, 1), done.stderr
    if form == "text":
        last = done.stdout.splitlines()[-1]
        assert (last == "verified: no problems") == (done.returncode == 0), last
        assert "PROJ " not in done.stdout and "NOT PROJECTED" not in done.stdout
        return
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1)
    assert report["ok"] == (not report["problems"])
    # --log-only compares nothing with the projection.
    assert report["projection_mismatches"] == [] and report["projection_errors"] == []
    assert report["events"] >= 2 and report["appeals"] >= 1
    assert not [p for p in report["problems"] if p["appeal_id"] == appeal]
