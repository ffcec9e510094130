"""deploy/BACKUP.md's restore, tried on the real broker: a copy of a stopped broker's data folder and of the key
folder is all that is needed to have the ledger back; ClickHouse and the ledger's RocksDB state start empty.

The original: an own broker, a worker, a workload published as an importer and projected. The backup: both
stopped, the broker's folder and TYNDAU_AUTH_DIR copied, the originals deleted. The restore: a broker started
from the copy on another port, a worker with a fresh data folder but the copied keys, `tyndau rebuild` (the
runbook's step for an empty ClickHouse); then `tyndau verify` finds the log and the projection whole, the
figures are those of the original, and the restored ledger judges new commands against the restored states.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics
from tests.support import credentials
from tests.support.workload import ALMATY, Workload, generate, wait_projected

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# The workload's business year, and the report days of the figures compared (the workers' readiness
# probes are filed in 2021, outside it).
FIGURES = ("/v1/kpis?from=2012-01-01&to=2012-12-31&today=2013-01-31",
           "/v1/ranking?by=region&from=2012-01-01&to=2012-12-31&today=2013-01-31",
           "/v1/ranking?by=body&from=2012-01-01&to=2012-12-31&today=2013-01-31")


class Worker:
    """`tyndau worker` (every role, embedded chDB) as a child process, with the calls the runbook makes."""

    def __init__(self, bootstrap: str, data_dir: Path, app_id: str) -> None:
        self.bootstrap, self.data_dir, self.app_id = bootstrap, data_dir, app_id
        self.http_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def auth_dir(self) -> Path:
        return self.data_dir / "auth"   # TYNDAU_AUTH_DIR's default for this TYNDAU_DATA_DIR

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, TYNDAU_KAFKA=self.bootstrap, TYNDAU_DATA_DIR=str(self.data_dir),
                    TYNDAU_HTTP_PORT=str(self.http_port), TYNDAU_APP_ID=self.app_id)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"

    def token(self, role: str) -> str:
        return credentials.token(self.auth_dir, role)

    def start(self, timeout: float = 120.0) -> "Worker":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.token(credentials.READER)   # the keys exist (or the copied ones are used) before the worker starts
        log = open(self.data_dir / "worker.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        probe = {"type": "file", "command_id": f"probe-{uuid.uuid4()}", "appeal_id": f"probe-{uuid.uuid4()}",
                 "at": "2021-03-01T09:00:00+05:00", "region": "71", "body": "probe", "category": "roads",
                 "channel": "eotinish", "citizen": {"iin": "900101301233", "name": "Probe"}}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:   # ready: a command sent now is judged
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if self.post("/v1/commands?wait=10", probe)[0] in (200, 201):
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"worker not ready within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        return (self.data_dir / "worker.log").read_text(errors="replace")[-4000:]

    def cli(self, *args: str, role: str = credentials.READER, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "streams.cli", *args], env=dict(self.env, TYNDAU_TOKEN=self.token(role)),
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def get(self, path: str, role: str = credentials.READER):
        request = urllib.request.Request(self.url(path), headers={"Authorization": f"Bearer {self.token(role)}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict, role: str = credentials.SENDER) -> tuple[int, dict]:
        request = urllib.request.Request(self.url(path), data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {self.token(role)}"})
        try:
            with urllib.request.urlopen(request, timeout=70) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> None:
        terminate(self.proc)


def figures(worker: Worker) -> dict:
    return {path: worker.get(path) for path in FIGURES}


def last_commands(work: Workload) -> dict[str, dict]:
    """Each appeal's last accepted command, from the workload's own labels."""
    last = {}
    for line, outcome in zip(work.lines, work.expect):
        if outcome == "event":
            command = json.loads(line)
            last[command["appeal_id"]] = command
    return last


def test_a_copy_of_the_stopped_broker_and_the_keys_restores_the_ledger_and_its_figures(tmp_path):
    app_id = f"tyndau-restore-{uuid.uuid4().hex[:8]}"
    work = generate(240, seed=57, prefix=f"restore-{uuid.uuid4().hex[:6]}",
                    start=datetime(2012, 2, 6, 9, tzinfo=ALMATY), span_days=150)
    original = Broker(tmp_path / "kafka", port=free_port(), heap="384m")
    worker = Worker(original.bootstrap, tmp_path / "worker", app_id)
    original.start()
    try:
        ensure_topics(original.bootstrap)
        worker.start()
        work.write(tmp_path / "commands.jsonl")
        published = worker.cli("publish", str(tmp_path / "commands.jsonl"), "--import", "--format", "json",
                               role=credentials.SENDER)
        assert published.returncode == 0, published.stderr
        assert json.loads(published.stdout)["accepted"] == work.valid
        wait_projected(worker, work)
        before = figures(worker)
        assert before[FIGURES[0]]["filed"] == len(work.appeal_ids)
    finally:
        worker.stop()
        original.stop()

    # The backup: the stopped broker's data folder (its log, its metadata, the consumer groups' offsets)
    # and the key folder. Then the disaster: the originals are gone, ClickHouse and the ledger state with them.
    backup = tmp_path / "backup"
    shutil.copytree(original.data_dir, backup / "kafka")
    shutil.copytree(worker.auth_dir, backup / "auth")
    shutil.rmtree(original.data_dir)
    shutil.rmtree(worker.data_dir)

    # The restore: the copy as a broker's folder, on another port (its meta.properties keeps the cluster id
    # and node id, so the storage is not formatted again); a worker with nothing of its own but the keys.
    shutil.copytree(backup / "kafka", tmp_path / "restored-kafka")
    restored = Broker(tmp_path / "restored-kafka", port=free_port(), heap="384m")
    fresh = Worker(restored.bootstrap, tmp_path / "restored-worker", app_id)
    shutil.copytree(backup / "auth", fresh.auth_dir)
    restored.start()
    try:
        fresh.start()
        # ClickHouse is empty, and the projector's committed offsets came back with the log: rebuild from 0.
        rebuilt = fresh.cli("rebuild", "--api", fresh.url(""), role=credentials.ADMIN)
        assert rebuilt.returncode == 0, rebuilt.stderr + rebuilt.stdout

        verified = fresh.cli("verify", "--api", fresh.url(""), "--format", "json")
        report = json.loads(verified.stdout)
        assert verified.returncode == 0, report
        assert report["ok"] and not report["problems"] and not report["projection_mismatches"]
        assert not report["projection_errors"]
        # Every event of the original is in the restored log: the workload's and two readiness probes' filings.
        assert (report["events"], report["appeals"]) == (work.valid + 2, len(work.appeal_ids) + 2)
        assert figures(fresh) == before

        # The restored ledger folded its states from the log: a command already judged is a duplicate, and
        # an answer to an appeal left overdue continues its chain.
        last = last_commands(work)
        status, outcome = fresh.post("/v1/commands?wait=30", last[next(iter(sorted(last)))])
        assert (status, outcome["status"]) == (200, "duplicate"), outcome
        appeal_id = next(a for a, command in sorted(last.items()) if command["type"] == "overdue")
        history = fresh.get(f"/v1/appeals/{appeal_id}/history")
        answer = {"type": "answer", "command_id": f"{appeal_id}-after-restore", "appeal_id": appeal_id,
                  "at": (datetime.fromisoformat(last[appeal_id]["at"]) + timedelta(days=3)).isoformat(),
                  "outcome": "resolved"}
        status, outcome = fresh.post("/v1/commands?wait=30", answer)
        assert (status, outcome["status"]) == (201, "accepted"), outcome
        assert outcome["event"]["sequence"] == len(work.events_by_appeal[appeal_id]) + 1
        assert outcome["event"]["prev_hash"] == history["events"][-1]["hash"]
    finally:
        fresh.stop()
        restored.stop()
