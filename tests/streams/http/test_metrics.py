"""GET /metrics (issue 16, item 6): Prometheus' text format for an operator's or admin's token only, its
counters moving by exactly what a known workload did."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration


def scrape(worker, role: str | None = "operator") -> tuple[int, str, dict]:
    headers = {"Authorization": f"Bearer {worker.token(role)}"} if role else {}
    request = urllib.request.Request(worker.url("/metrics"), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], parse(response.read().decode())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], {}


def parse(text: str) -> dict:
    """(sample name, labels) -> value."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_operators_and_admins_read_the_metrics(worker):
    assert scrape(worker, None)[0] == 401
    assert scrape(worker, "monitor")[0] == 403 and scrape(worker, "auditor")[0] == 403
    status, content_type, samples = scrape(worker, "admin")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4") and samples
    assert all(name.startswith("tyndau_") for name, _ in samples)


def test_the_counters_move_by_what_a_known_workload_did(worker):
    _, _, before = scrape(worker)
    tag = uuid.uuid4().hex[:8]
    filing = {"type": "file", "at": "2017-03-01T09:15:00+05:00", "region": "75", "body": "almaty-akimat",
              "category": "roads", "channel": "eotinish", "citizen": {"iin": "900101301233", "name": "Aida"}, "text": "x"}
    for n in range(3):
        status, body = worker.post("/v1/commands?wait=10", dict(filing, appeal_id=f"met-{tag}-{n}", command_id=f"met-{tag}-{n}"))
        assert status == 201, body
    for n in range(2):
        status, body = worker.post("/v1/commands?wait=10", dict(filing, appeal_id=f"met-{tag}-x{n}",
                                                                command_id=f"met-{tag}-x{n}", region="99"))
        assert status == 422 and body["reason"] == "unknown_region"

    # Until the projector has caught up and the deadline watcher has finished a run since (a run over every
    # appeal the session holds can take longer than this workload).
    deadline = time.monotonic() + 60
    while True:
        _, _, after = scrape(worker)
        runs = value(after, "tyndau_deadline_watcher_runs_total") - value(before, "tyndau_deadline_watcher_runs_total")
        if (value(after, "tyndau_projector_lag_events", partition="0") == 0 and runs >= 1) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    delta = lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)   # noqa: E731
    assert delta("tyndau_ledger_rejections_total", reason="unknown_region") == 2
    assert delta("tyndau_ledger_commands_total", outcome="event") >= 3   # the deadline watcher may add its own
    assert delta("tyndau_ledger_commands_total", outcome="rejected") >= 2
    assert delta("tyndau_http_requests_total", method="POST", endpoint="/v1/commands", status="201") == 3
    assert delta("tyndau_http_requests_total", method="POST", endpoint="/v1/commands", status="422") == 2
    assert delta("tyndau_ledger_batch_seconds_count") >= 1 and delta("tyndau_ledger_outcome_lag_seconds_count") >= 5
    assert delta("tyndau_projector_events_total") >= 3 and delta("tyndau_clickhouse_insert_seconds_count") >= 1
    assert delta("tyndau_deadline_watcher_runs_total") >= 1   # every second in the tests, when the last run ended
    assert value(after, "tyndau_projector_lag_seconds") >= 0


def test_a_ledger_process_without_the_api_serves_its_own_metrics_and_nothing_else(tmp_path):
    import os
    import subprocess
    import sys

    from streams.devtools.broker import Broker, free_port
    from streams.kafka.admin import ensure_topics
    from streams.settings import ROOT
    from tests.support import credentials

    broker = Broker(tmp_path / "kafka", port=free_port(), heap="384m")
    broker.start()
    data_dir, port = tmp_path / "data", free_port()
    try:
        ensure_topics(broker.bootstrap)
        operator = credentials.token(data_dir / "auth", "operator")
        env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_METRICS_PORT=str(port),
                   TYNDAU_APP_ID=f"tyndau-metrics-{uuid.uuid4().hex[:6]}", TYNDAU_DEADLINE_CHECK_SECONDS="1")
        ledger = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger,deadlines"], env=env,
                                  cwd=ROOT, stdout=open(tmp_path / "ledger.log", "ab"), stderr=subprocess.STDOUT)
        try:
            def get(path: str, token: str | None = operator) -> tuple[int, str]:
                request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                                 headers={"Authorization": f"Bearer {token}"} if token else {})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status, response.read().decode()
                except urllib.error.HTTPError as error:
                    return error.code, ""
                except OSError:
                    return 0, ""

            deadline = time.monotonic() + 120
            while get("/metrics")[0] != 200:
                assert ledger.poll() is None and time.monotonic() < deadline, (tmp_path / "ledger.log").read_text()[-3000:]
                time.sleep(0.5)
            runs = lambda: value(parse(get("/metrics")[1]), "tyndau_deadline_watcher_runs_total")   # noqa: E731
            first = runs()
            time.sleep(2.5)
            assert runs() > first                         # this process's own timers
            assert get("/metrics", None)[0] == 401       # a credential is needed here too
            assert get("/v1/ranking")[0] == 404 and get("/v1/commands")[0] in (404, 405)   # nothing but metrics
        finally:
            ledger.terminate()
            ledger.wait(timeout=60)
    finally:
        broker.stop()
