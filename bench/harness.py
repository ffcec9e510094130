"""What every benchmark shares: a real broker and worker, the machine's description, the results file."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics

ROOT = Path(__file__).resolve().parent.parent

# A benchmark stopped with SIGTERM unwinds like Ctrl-C, so its broker and worker are stopped too.
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
RESULTS = ROOT / "bench" / "results"
LATEST = RESULTS / "latest.json"


def machine() -> dict:
    mem_kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform(),
            "versions": {p: version(p) for p in ("faust-streaming", "aiokafka", "fastavro", "clickhouse-connect", "chdb")},
            "kafka": (ROOT / "deploy" / "kafka" / "pom.xml").read_text().split("<kafka.version>")[1].split("<")[0]}


def record(figures: dict, run: dict | None = None) -> None:
    """Merge `figures` (name -> {value, unit, how, workload}) into bench/results/latest.json and its markdown twin;
    `run` describes a whole `make bench` (duration, steps, failures)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = json.loads(LATEST.read_text()) if LATEST.exists() else {"figures": {}}
    if run is not None:
        data["run"] = run
    data["machine"] = machine()
    data["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # Figures from several runs share the file: each keeps the machine, versions and time it was measured with.
    for figure in figures.values():
        figure.update(machine=data["machine"], measured_at=data["updated_at"])
    data["figures"].update(figures)
    LATEST.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = ["| figure | value | unit | target | how | workload |", "|---|---|---|---|---|---|"]
    for name, f in sorted(data["figures"].items()):
        lines.append(f"| `{name}` | {f['value']} | {f.get('unit', '')} | {f.get('target', '')} | {f.get('how', '')} | {f.get('workload', '')} |")
    m = data["machine"]
    (RESULTS / "latest.md").write_text(
        f"# tyndau benchmarks\n\nMachine: {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, Kafka {m['kafka']}; "
        f"updated {data['updated_at']}.\n\n" + "\n".join(lines) + "\n" +
        (f"\n`make bench`: {data['run']['seconds']} s, steps {', '.join(data['run']['steps'])}"
         f"{'; failed: ' + ', '.join(data['run']['failed']) if data['run']['failed'] else ''}.\n" if data.get("run") else ""))


@contextmanager
def running_system(partitions: int = 4, extra_env: dict | None = None, before_worker=None):
    """A fresh broker and one worker (embedded chDB) in a temporary folder; yields (bootstrap, http base, env)."""
    with tempfile.TemporaryDirectory(prefix="tyndau-bench-") as tmp:
        broker = Broker(Path(tmp) / "kafka", port=free_port())
        broker.start()
        worker = None
        try:
            ensure_topics(broker.bootstrap, partitions)
            if before_worker is not None:
                before_worker(broker.bootstrap)
            port = free_port()
            env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(Path(tmp) / "data"),
                       TYNDAU_HTTP_PORT=str(port), TYNDAU_PARTITIONS=str(partitions), TYNDAU_APP_ID="tyndau-bench",
                       TYNDAU_DEADLINE_CHECK_SECONDS="0")
            env.update(extra_env or {})
            log = open(os.environ.get("TYNDAU_BENCH_WORKER_LOG") or Path(tmp) / "worker.log", "wb")
            worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"],
                                      env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/health", worker)
            yield broker.bootstrap, base, env, worker
        finally:
            terminate(worker)
            broker.stop()


def wait_http(url: str, proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the worker exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url} within {timeout}s")


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]
