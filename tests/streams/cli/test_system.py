"""`tyndau up` stops cleanly on SIGTERM as on Ctrl-C: neither the worker nor the broker is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from streams.devtools.broker import free_port, port_open
from streams.settings import ROOT

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A process that exited but was not yet reaped by its parent is not running.
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_worker_and_then_the_broker(tmp_path, stop):
    kafka_port, http_port = free_port(), free_port()
    log = open(tmp_path / "up.log", "wb")
    up = subprocess.Popen([sys.executable, "-m", "streams.cli", "up", "--data-dir", str(tmp_path / "data"),
                           "--kafka-port", str(kafka_port), "--http-port", str(http_port)],
                          cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, TYNDAU_APP_ID="tyndau-up-test"))
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert up.poll() is None, (tmp_path / "up.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("tyndau up did not serve /health in time:\n" + (tmp_path / "up.log").read_text()[-3000:])
        broker_pid = int((tmp_path / "data" / "kafka" / "broker.pid").read_text())
        [worker_pid] = [pid for pid in children(up.pid) if pid != broker_pid]
        up.send_signal(stop)
        try:
            assert up.wait(timeout=120) == 0
        except subprocess.TimeoutExpired:
            pytest.fail("tyndau up did not stop within 120 s:\n" + (tmp_path / "up.log").read_text(errors="replace")[-4000:])
        assert not alive(worker_pid), "the worker was left running"
        assert not alive(broker_pid), "the broker was left running"
        assert not port_open("127.0.0.1", kafka_port) and not port_open("127.0.0.1", http_port)
        assert "stopping Kafka" in (tmp_path / "up.log").read_text()
    finally:
        if up.poll() is None:
            up.kill()
