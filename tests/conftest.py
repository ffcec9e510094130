"""Shared fixtures: one real Kafka broker per test session, and tyndau workers as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics
from tests.support import credentials
from tests.support.workload import ALMATY, Workload, generate, wait_projected

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def db(tmp_path_factory):
    """The real engine, embedded: one chDB folder for the whole test process (chDB runs one engine
    per process), every migration applied."""
    from projections.clickhouse import client, migrate

    engine = client(f"chdb://{tmp_path_factory.mktemp('chdb')}")
    migrate(engine)
    return engine


@pytest.fixture(scope="session")
def kafka(tmp_path_factory) -> str:
    """Bootstrap address of a real broker: KAFKA_BOOTSTRAP_SERVERS if set, else one started here."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        ensure_topics(external)
        yield external
        return
    broker = Broker(tmp_path_factory.mktemp("kafka"), port=free_port(), heap="384m")
    broker.start()
    try:
        ensure_topics(broker.bootstrap)
        yield broker.bootstrap
    finally:
        broker.stop()


class WorkerProcess:
    """`tyndau worker` as a child process, so a test can kill it like an operator's bad day would."""

    # The role `cli` acts in by default, by command: what a real user of that command would hold.
    CLI_ROLES = {"publish": credentials.SENDER, "rebuild": credentials.ADMIN, "erase": credentials.ADMIN}

    def __init__(self, bootstrap: str, data_dir: Path, app_id: str):
        self.bootstrap, self.data_dir, self.app_id = bootstrap, data_dir, app_id
        self.http_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir / "worker.log"
        self._tokens: dict[tuple, str] = {}

    @property
    def auth_dir(self) -> Path:
        return self.data_dir / "auth"   # TYNDAU_AUTH_DIR's default for this TYNDAU_DATA_DIR

    def token(self, role: str, name: str | None = None, bodies: tuple[str, ...] = (), regions: tuple[str, ...] = ()) -> str:
        """A credential of this deployment (its keys), as `tyndau token issue` makes it."""
        key = (role, name, tuple(bodies), tuple(regions))
        if key not in self._tokens:
            self._tokens[key] = credentials.token(self.auth_dir, role, name, bodies, regions)
        return self._tokens[key]

    def signer(self, role: str = credentials.SENDER, name: str | None = None, bodies: tuple[str, ...] = ()):
        return credentials.signer(self.auth_dir, role, name, bodies)

    @property
    def env(self) -> dict[str, str]:
        return dict(os.environ, TYNDAU_KAFKA=self.bootstrap, TYNDAU_DATA_DIR=str(self.data_dir),
                    TYNDAU_HTTP_PORT=str(self.http_port), TYNDAU_APP_ID=self.app_id,
                    TYNDAU_DEADLINE_CHECK_SECONDS="1", TYNDAU_ESCALATE_AFTER_WORKING_DAYS="5")

    def start(self, ready_timeout: float = 120.0) -> "WorkerProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.token(credentials.READER)   # the deployment's keys exist before the worker starts
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.wait_ready(ready_timeout)
        return self

    def cli(self, *args: str, timeout: float = 300, role: str | None = "") -> subprocess.CompletedProcess:
        """`tyndau ARGS` with this worker's settings (broker, data folder, port) and TYNDAU_TOKEN of
        `role` (default: by command, see CLI_ROLES, else a reader's; None: no token); output captured as text."""
        if role == "":
            role = self.CLI_ROLES.get(args[0] if args else "", credentials.READER)
        env = dict(self.env, TYNDAU_TOKEN=self.token(role) if role else "")
        return subprocess.run([sys.executable, "-m", "streams.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    def tool(self, *args: str, timeout: float = 300, role: str | None = "") -> subprocess.CompletedProcess:
        """`tyndau ARGS --api <this worker>`: a command that asks the worker's HTTP API."""
        return self.cli(*args, "--api", self.url(""), timeout=timeout, role=role)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"

    def _headers(self, role: str | None, token: str | None) -> dict[str, str]:
        token = token or (self.token(role) if role else None)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, role: str | None = "", token: str | None = None):
        """The JSON this worker answers to GET `path` for a principal of `role` (default: admin for
        /v1/admin, else a reader; None: anonymous); urllib.error.HTTPError on a 4xx or 5xx."""
        if role == "":
            role = credentials.ADMIN if path.startswith("/v1/admin") else credentials.READER
        request = urllib.request.Request(self.url(path), headers=self._headers(role, token))
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict | bytes, role: str | None = "", token: str | None = None) -> tuple[int, dict]:
        """(status, JSON) of POST `path` by a principal of `role` (default: admin for /v1/admin, a reader
        for named queries, else an importer, which may send any command); None: anonymous."""
        if role == "":
            role = (credentials.ADMIN if path.startswith("/v1/admin") else
                    credentials.READER if path.startswith("/v1/query") else credentials.SENDER)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method="POST",
                                         headers={"Content-Type": "application/json", **self._headers(role, token)})
        try:
            with urllib.request.urlopen(request, timeout=70) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def wait_ready(self, timeout: float) -> None:
        """Ready means a command sent now is judged: a probe appeal is filed and its event seen."""
        deadline = time.monotonic() + timeout
        probe = {"type": "file", "command_id": f"probe-{uuid.uuid4()}", "appeal_id": f"probe-{uuid.uuid4()}",
                 "at": "2021-03-01T09:00:00+05:00", "region": "71", "body": "probe", "category": "roads",
                 "channel": "eotinish", "citizen": {"iin": "900101301233", "name": "Probe"}}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_path.read_text()[-4000:]}")
            try:
                status, _ = self.post("/v1/commands?wait=10", probe)
                if status in (200, 201):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        raise RuntimeError(f"worker not ready within {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def crashes(self) -> list[str]:
        """The log lines in which Faust reports an agent or task crashed (it then restarts it)."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if "Crashed reason" in line]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        terminate(self.proc)


@pytest.fixture(scope="session")
def worker(kafka, tmp_path_factory) -> WorkerProcess:
    w = WorkerProcess(kafka, tmp_path_factory.mktemp("worker"), f"tyndau-test-{uuid.uuid4().hex[:8]}")
    w.start()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def own_worker(tmp_path_factory) -> WorkerProcess:
    """A broker and a worker of the test module's own: its `tyndau verify` sees no other test's
    forgeries, and its log no other test's doings."""
    broker = Broker(tmp_path_factory.mktemp("own-kafka"), port=free_port(), heap="384m")
    broker.start()
    try:
        ensure_topics(broker.bootstrap)
        w = WorkerProcess(broker.bootstrap, tmp_path_factory.mktemp("own-worker"), f"tyndau-own-{uuid.uuid4().hex[:8]}")
        w.start()
        try:
            yield w
        finally:
            w.stop()
    finally:
        broker.stop()


def _published(worker: WorkerProcess, directory: Path, work: Workload) -> Workload:
    path = directory / "commands.jsonl"
    work.write(path)
    done = worker.cli("publish", str(path), "--import", "--format", "json")
    assert done.returncode == 0, done.stderr
    return work


@pytest.fixture(scope="session")
def audit_appeals(worker, tmp_path_factory) -> Workload:
    """600 commands of appeals in 2009, published, and every event of them indexed by the projection."""
    work = _published(worker, tmp_path_factory.mktemp("audit"), generate(
        600, seed=21, prefix=f"audit-{uuid.uuid4().hex[:6]}", start=datetime(2009, 2, 2, 9, tzinfo=ALMATY), span_days=200))
    wait_projected(worker, work)
    return work


@pytest.fixture(scope="session")
def contract_appeals(worker, tmp_path_factory) -> Workload:
    """400 commands of appeals in 2010, published (their outcomes known)."""
    return _published(worker, tmp_path_factory.mktemp("contract"), generate(
        400, seed=31, prefix=f"contract-{uuid.uuid4().hex[:6]}", start=datetime(2010, 3, 1, 9, tzinfo=ALMATY), span_days=100))
