"""The simulator: deterministic by seed, valid commands, and a ranking that shows its propensities."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time

import pytest

from streams.settings import ROOT


def simulate(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "streams.cli", "simulate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_same_seed_same_file_other_seed_other_file(tmp_path):
    digests = []
    for name, seed, appeals in (("a", "1", "100000"), ("b", "1", "100000"), ("c", "2", "1000")):
        out = tmp_path / f"{name}.jsonl"
        done = simulate("--appeals", appeals, "--seed", seed, "--out", str(out))
        assert done.returncode == 0, done.stderr
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    other = (tmp_path / "c.jsonl").read_text().splitlines()
    assert other != (tmp_path / "a.jsonl").read_text().splitlines()[: len(other)]
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    kinds = {json.loads(line)["type"] for line in lines}
    assert kinds == {"file", "route", "extend", "answer", "escalate", "rate", "withdraw", "reopen", "overdue", "notify"}
    assert sum(json.loads(line)["type"] == "file" for line in lines) == 100_000


@pytest.mark.integration
def test_ranking_of_a_simulation_shows_the_configured_propensities(worker, tmp_path):
    overrides = tmp_path / "propensities.json"
    overrides.write_text(json.dumps({"71": {"response": 1.0, "withdrawal": 0.0, "on_time": 1.0, "dissatisfied": 0.0},
                                     "79": {"response": 0.5, "withdrawal": 0.0, "dissatisfied": 0.9, "rating": 1.0}}))
    done = simulate("--appeals", "1500", "--seed", "5", "--start", "2011-01-03", "--days", "30",
                    "--propensities", str(overrides), env=worker.env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rejected"] == 0 and report["unanswered"] == 0 and report["accepted"] == report["sent"]
    query = ["ranking", "--by", "region", "--from", "2011-01-01", "--to", "2011-02-28", "--format", "json", "--api", worker.url("")]
    deadline = time.monotonic() + 60
    reader = dict(worker.env, TYNDAU_TOKEN=worker.token("monitor"))
    # Every filing can be projected before the last answers are (each partition's log interleaves the appeals):
    # read the ranking until it has all 1,500 filings and stays the same for a second.
    previous = None
    while True:
        rows = {r["key"]: r for r in json.loads(subprocess.run([sys.executable, "-m", "streams.cli", *query], cwd=ROOT,
                                                              env=reader, capture_output=True, text=True).stdout)}
        if (sum(r["filed"] for r in rows.values()) == 1500 and rows == previous) or time.monotonic() > deadline:
            break
        previous = rows
        time.sleep(1.0)
    assert sum(r["filed"] for r in rows.values()) == 1500
    assert rows["71"]["response_rate"] == 1.0 and rows["71"]["on_time_rate"] == 1.0
    assert rows["71"]["dissatisfied_share"] in (0.0, None)
    assert 0.35 < rows["79"]["response_rate"] < 0.65
    assert rows["79"]["dissatisfied_share"] > 0.75
    others = [r["response_rate"] for k, r in rows.items() if k not in ("71", "79") and r["filed"] >= 30]
    assert all(0.7 <= rate <= 1.0 for rate in others)
