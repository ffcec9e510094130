"""Several ledger processes on the real broker: `tyndau up --ledgers 2`, a ledger SIGKILLed under it, and a
ledger paused with SIGSTOP past its session timeout while commands stream in, then resumed (fencing).

Each checks that every command has exactly one outcome, that the ledger holds each valid command's event
once, in order, with unbroken chains, and that `tyndau verify` finds no duplicate, gap or fork."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from streams.clients.publish import publish_lines
from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics
from streams.settings import ROOT
from tests.support import credentials
from tests.support.kafka_reading import assert_ledger_matches, ledger_of
from tests.support.workload import generate

pytestmark = pytest.mark.integration


def stream_in_background(bootstrap: str, auth_dir: Path, lines: list[str]) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def send() -> None:
        result["report"] = asyncio.run(publish_lines(iter(list(enumerate(lines, 1))), signer=credentials.signer(auth_dir),
                                                     bootstrap=bootstrap, wait=120.0))

    sender = threading.Thread(target=send)
    sender.start()
    return sender, result


def wait_until_events(bootstrap: str, appeal_ids: set[str], at_least: int, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = sum(len(v) for v in ledger_of(bootstrap, appeal_ids).values())
        if seen >= at_least:
            return seen
        time.sleep(0.3)
    return seen


def verify(bootstrap: str, data_dir: Path, env: dict | None = None, *options: str) -> dict:
    """`tyndau verify` as JSON: the log's chains only, or with `--api URL` the projections against the log too."""
    done = subprocess.run([sys.executable, "-m", "streams.cli", "verify", "--format", "json",
                           *(options or ("--log-only",))], cwd=ROOT,
                          env=dict(env or os.environ, TYNDAU_KAFKA=bootstrap, TYNDAU_DATA_DIR=str(data_dir)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout)


def assert_exactly_once(bootstrap: str, work, report) -> None:
    expected = Counter(work.expect)
    assert report.unanswered == 0
    assert report.accepted == expected["event"]
    assert dict(report.reasons) == {k: v for k, v in expected.items() if k != "event"}
    assert_ledger_matches(ledger_of(bootstrap, work.appeal_ids), work.events_by_appeal)


@pytest.fixture
def broker(tmp_path):
    own = Broker(tmp_path / "kafka", port=free_port(), heap="384m")
    own.start()
    try:
        ensure_topics(own.bootstrap)
        yield own
    finally:
        own.stop()


def ledger_process(bootstrap: str, data_dir: Path, name: str) -> subprocess.Popen:
    env = dict(os.environ, TYNDAU_KAFKA=bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_APP_ID="tyndau-fence",
               TYNDAU_LEDGER_STATE_DIR=str(data_dir / name), TYNDAU_WORKER_NAME=name, TYNDAU_STANDBY_REPLICAS="1",
               TYNDAU_DEADLINE_CHECK_SECONDS="0")
    return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger", "--loglevel", "info"],
                            env=env, cwd=ROOT, stdout=open(data_dir / f"{name}.log", "ab"), stderr=subprocess.STDOUT)


def zombie_was_refused(process: subprocess.Popen, log: Path, since: int) -> bool:
    """The resumed process found it had lost its partitions: the broker refused its producer (it stopped with 70,
    or left the moved partitions' outcomes), or, when the pause caught it with no batch in flight, it rejoined the
    group and took the partitions it was given anew. Whether it appended anything is checked on the log."""
    text = log.read_text(errors="replace")
    after = text[since:]
    return ((process.poll() == 70 and "fenced on appeals partition" in after) or "moved to another worker" in after
            or ("local member_id was not recognized" in after and "Setting newly assigned partitions" in after))


def story(data_dir: Path, *names: str) -> str:
    """What the ledger processes logged about assignments, fencing, rewinds and errors: shown when a check fails."""
    wanted = ("assigned partitions", "fenced", "moved to another", "not recognized", "read again", "offsets were committed",
              "reached the ledger", "removed by", "ERROR", "CRITICAL", "Worker ready")
    out = []
    for name in names:
        lines = (data_dir / f"{name}.log").read_text(errors="replace").splitlines()
        out.append(f"--- {name}.log")
        out.extend(line[:300] for line in lines if any(w in line for w in wanted))
    return "\n".join(out[-200:])


def assigned_partitions(log: Path) -> bool:
    return "Worker ready" in log.read_text(errors="replace")


def test_a_ledger_paused_past_its_session_timeout_is_fenced_when_it_resumes(broker, tmp_path):
    """SIGSTOP one of two ledger processes mid-stream for longer than its session timeout (10 s): its partitions
    move to the other, which fences it; after SIGCONT it appends nothing (Kafka refuses its producer)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    credentials.token(data_dir / "auth", credentials.READER)   # the deployment's keys, before the processes start
    paused, other = ledger_process(broker.bootstrap, data_dir, "ledger-1"), ledger_process(broker.bootstrap, data_dir, "ledger-2")
    try:
        deadline = time.monotonic() + 90
        while not all(assigned_partitions(data_dir / f"ledger-{i}.log") for i in (1, 2)):
            assert time.monotonic() < deadline, "the two ledger processes did not both start"
            assert paused.poll() is None and other.poll() is None
            time.sleep(0.5)
        time.sleep(3)   # the group settles with both members
        work = generate(4_000, seed=41, prefix=f"fence-{uuid.uuid4().hex[:6]}")
        sender, result = stream_in_background(broker.bootstrap, data_dir / "auth", work.lines)
        seen = wait_until_events(broker.bootstrap, work.appeal_ids, 300)
        assert 0 < seen < work.valid, f"the pause must land mid-stream (saw {seen} of {work.valid})"
        paused.send_signal(signal.SIGSTOP)
        since = len((data_dir / "ledger-1.log").read_text(errors="replace"))
        time.sleep(16)   # past the session timeout: the group moves its partitions to the other process
        paused.send_signal(signal.SIGCONT)
        sender.join(timeout=300)
        assert not sender.is_alive()
        try:
            assert_exactly_once(broker.bootstrap, work, result["report"])
        except AssertionError as error:
            raise AssertionError(f"{error}\n{story(data_dir, 'ledger-1', 'ledger-2')}") from None
        # It resumed as a zombie and found its partitions gone (the stream may have ended before it ran again: give it
        # the time to find out); assert_exactly_once above and verify below show it appended nothing.
        deadline = time.monotonic() + 60
        while not zombie_was_refused(paused, data_dir / "ledger-1.log", since):
            assert time.monotonic() < deadline, (data_dir / "ledger-1.log").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        report = verify(broker.bootstrap, data_dir)
        assert report["problems"] == [], report["problems"][:5]
        assert report["events"] >= work.valid
    finally:
        for process in (paused, other):
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
            terminate(process)


def test_up_with_two_ledgers_survives_the_sigkill_of_either(tmp_path):
    """`tyndau up --ledgers 2`: two ledger processes and one projector,api; a SIGKILLed ledger is restarted by `up`,
    and nothing is lost or duplicated; the API and the projections keep working."""
    data_dir, kafka_port, http_port = tmp_path / "up", free_port(), free_port()
    bootstrap = f"127.0.0.1:{kafka_port}"
    env = dict(os.environ, TYNDAU_APP_ID="tyndau-up2", TYNDAU_DEADLINE_CHECK_SECONDS="0")
    env.pop("TYNDAU_TOKEN", None)
    up = subprocess.Popen([sys.executable, "-m", "streams.cli", "up", "--ledgers", "2", "--data-dir", str(data_dir),
                           "--kafka-port", str(kafka_port), "--http-port", str(http_port)],
                          env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(iter(up.stdout.readline, "")), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline and up.poll() is None, "".join(output)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        pids = {m[0]: int(m[1]) for m in re.findall(r"started (ledger-\d|projector-api) \(pid (\d+)\)", "".join(output))}
        assert set(pids) == {"ledger-1", "ledger-2", "projector-api"}, "".join(output)
        for name in ("ledger-1", "ledger-2", "projector-api"):
            assert (data_dir / "logs" / f"{name}.log").exists()

        work = generate(3_000, seed=43, prefix=f"up2-{uuid.uuid4().hex[:6]}")
        sender, result = stream_in_background(bootstrap, data_dir / "auth", work.lines)
        seen = wait_until_events(bootstrap, work.appeal_ids, 300)
        assert 0 < seen < work.valid, f"the kill must land mid-stream (saw {seen} of {work.valid})"
        os.kill(pids["ledger-1"], signal.SIGKILL)
        sender.join(timeout=300)
        assert not sender.is_alive()
        assert_exactly_once(bootstrap, work, result["report"])
        assert re.search(r"ledger-1 exited with -9; restarting", "".join(output)), "".join(output)
        deadline = time.monotonic() + 30
        while "restarted ledger-1" not in "".join(output):
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.5)
        # The whole check: the log's chains, and the projector,api process's projections against the log.
        token = credentials.token(data_dir / "auth", "auditor")
        report = verify(bootstrap, data_dir, dict(env, TYNDAU_TOKEN=token), "--api", f"http://127.0.0.1:{http_port}")
        assert report["problems"] == [] and report["projection_mismatches"] == [], report
        assert report["appeals"] >= len(work.events_by_appeal)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=90)
        except subprocess.TimeoutExpired:
            up.kill()
    for pid in pids.values() if "pids" in locals() else ():
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]
