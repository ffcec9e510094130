"""`tyndau publish` against the worker (outcomes, reasons, --rejections) and `tyndau simulate --out`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta

import pytest

from streams.devtools.broker import free_port
from streams.settings import ROOT


def filing(appeal_id: str, command_id: str, **changes) -> dict:
    return {"type": "file", "command_id": command_id, "appeal_id": appeal_id, "at": "2017-03-01T09:15:00+05:00", "region": "75",
            "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
            "citizen": {"iin": "900101301233", "name": "Aida"}, "text": "pothole", **changes}


def commands_file(path, tag: str) -> dict[int, str]:
    """Six lines: three valid commands, a malformed line, a duplicate and an answer to an appeal never filed.
    The expected reason of each line that is not accepted, by line number."""
    a, b = f"send-{tag}-a", f"send-{tag}-b"
    lines = [json.dumps(filing(a, f"{a}-1")),
             json.dumps({"type": "answer", "command_id": f"{a}-2", "appeal_id": a, "at": "2017-03-03T10:00:00+05:00",
                         "outcome": "resolved", "text": "done"}),
             '{"type": "file", "command_id": ',
             json.dumps(filing(a, f"{a}-1")),
             json.dumps(filing(b, f"{b}-1", region="71", body="astana-akimat")),
             json.dumps({"type": "answer", "command_id": f"{tag}-x-1", "appeal_id": f"send-{tag}-never",
                         "at": "2017-03-03T10:00:00+05:00", "outcome": "resolved", "text": "done"})]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")   # a blank line at the end is not a command
    return {3: "malformed", 4: "duplicate_command", 6: "unknown_appeal"}


@pytest.mark.integration
def test_publish_reports_accepted_rejected_and_duplicates_and_writes_the_rejections(worker, tmp_path):
    path, out = tmp_path / "commands.jsonl", tmp_path / "rejected.jsonl"
    expected = commands_file(path, uuid.uuid4().hex[:10])
    done = worker.cli("publish", str(path), "--import", "--format", "json", "--rejections", str(out), "--wait", "60")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report == {"sent": 6, "accepted": 3, "rejected": 2, "duplicates": 1, "unanswered": 0,
                      "reasons": {"malformed": 1, "duplicate_command": 1, "unknown_appeal": 1}}
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {row["line"]: row["reason"] for row in rows} == expected
    assert len(rows) == len(expected)
    for row in rows:
        assert set(row) == {"line", "command_id", "reason", "detail"} and row["detail"]
    by_line = {row["line"]: row for row in rows}
    assert by_line[3]["command_id"] is None
    assert by_line[4]["command_id"].endswith("-a-1") and by_line[6]["command_id"].endswith("-x-1")


@pytest.mark.integration
def test_publish_text_report_names_each_rejected_line(worker, tmp_path):
    path = tmp_path / "commands.jsonl"
    tag = uuid.uuid4().hex[:10]
    commands_file(path, tag)
    done = worker.cli("publish", str(path), "--import")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "sent 6: accepted 3, rejected 2, duplicates 1"
    assert {"  malformed: 1", "  duplicate_command: 1", "  unknown_appeal: 1"} <= set(lines)
    assert any(line.startswith("  line 3: malformed: ") for line in lines)
    assert any(line.startswith("  line 4: duplicate_command: ") and f"send-{tag}-a-1" in line for line in lines)
    assert any(line.startswith("  line 6: unknown_appeal: ") and f"send-{tag}-never" in line for line in lines)


@pytest.mark.integration
def test_publishing_the_same_file_again_gives_duplicates_only_for_the_accepted(worker, tmp_path):
    path = tmp_path / "commands.jsonl"
    commands_file(path, uuid.uuid4().hex[:10])
    assert worker.cli("publish", str(path), "--import", "--format", "json").returncode == 0
    again = worker.cli("publish", str(path), "--import", "--format", "json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    # The three commands appended before and the duplicate line are duplicates now; the two refused lines are refused again.
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (0, 4, 2)
    assert report["reasons"] == {"duplicate_command": 4, "malformed": 1, "unknown_appeal": 1}


@pytest.mark.integration
def test_publish_of_a_missing_file_exits_with_a_message(worker, tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    done = worker.cli("publish", str(missing), "--import", "--format", "json")
    assert done.returncode != 0
    assert f"{missing}: no such file" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def simulate(*args: str, **variables: str) -> subprocess.CompletedProcess:
    """`tyndau simulate ARGS` with a broker address nothing listens at: writing a file must not need Kafka."""
    env = dict(os.environ, TYNDAU_KAFKA=f"127.0.0.1:{free_port()}", **variables)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    return subprocess.run([sys.executable, "-m", "streams.cli", "simulate", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_simulate_refuses_to_send_made_up_appeals_to_a_production_ledger(tmp_path):
    done = simulate("--appeals", "5", TYNDAU_ENV="production")
    assert done.returncode != 0 and "refused with TYNDAU_ENV=production" in done.stderr
    written = simulate("--appeals", "2", "--out", str(tmp_path / "sim.jsonl"), TYNDAU_ENV="production")
    assert written.returncode == 0, written.stderr   # a file harms no ledger


def test_simulate_out_writes_the_commands_of_the_appeals(tmp_path):
    out = tmp_path / "sim.jsonl"
    done = simulate("--appeals", "5", "--seed", "7", "--start", "2018-02-02", "--days", "10", "--out", str(out))
    assert done.returncode == 0, done.stderr
    commands = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert f"wrote {len(commands)} commands for 5 appeals to {out}" in done.stderr
    assert done.stdout == ""
    filings = [c for c in commands if c["type"] == "file"]
    assert len(filings) == 5 and len({c["appeal_id"] for c in filings}) == 5
    assert len({c["command_id"] for c in commands}) == len(commands)
    assert {c["appeal_id"] for c in commands} == {c["appeal_id"] for c in filings}
    for c in filings:
        assert date(2018, 2, 2) <= datetime.fromisoformat(c["at"]).date() < date(2018, 2, 2) + timedelta(days=10)
        assert set(c["citizen"]) >= {"iin", "name"}
    # In business-time order, each appeal's filing first.
    times = [datetime.fromisoformat(c["at"]) for c in commands]
    assert times == sorted(times)
    first = {}
    for c in commands:
        first.setdefault(c["appeal_id"], c["type"])
    assert set(first.values()) == {"file"}


@pytest.mark.parametrize("args, message", [
    (["--start", "notadate"], "--start 'notadate' is not a date YYYY-MM-DD"),
    (["--start", "2018-02-30"], "--start '2018-02-30' is not a date YYYY-MM-DD"),
    (["--appeals", "0"], "--appeals and --days must be at least 1"),
    (["--days", "0"], "--appeals and --days must be at least 1"),
])
def test_simulate_refuses_a_bad_option_with_a_message(tmp_path, args, message):
    out = tmp_path / "sim.jsonl"
    done = simulate("--appeals", "5", *args, "--out", str(out))
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()
