"""What every benchmark shares: a real broker and worker, the deployment's keys, the machine's description,
the results file.

The ledger judges only commands that carry the API's `tyndau-auth` assertion, and the HTTP API answers
protected endpoints only with a bearer token; a benchmark makes the worker's key files itself, before
the worker starts, and signs every command and every request with them (`Credentials`)."""

from __future__ import annotations

import asyncio
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
from typing import Any, NamedTuple

import orjson

from streams import topics
from streams.auth.keys import ASSERTIONS_FILE, TOKENS_FILE, KeyRing, load
from streams.auth.tokens import issue_token
from streams.clients.signing import SIMULATOR, Signer
from streams.devtools.broker import Broker, free_port, terminate
from streams.devtools.supervisor import Supervisor, layout
from streams.domain.bounds import MAX_COMMAND_BYTES
from streams.domain.principals import Principal
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


def command_id_of(value: Any) -> str | None:
    """The command id the ledger reads from a record's value (and checks the assertion against): the
    JSON's "command_id" when it is a string; None for what it cannot parse or will not read (over 64 KB)."""
    raw = value if isinstance(value, bytes) else b""
    try:
        obj = orjson.loads(raw) if len(raw) <= MAX_COMMAND_BYTES else None
    except orjson.JSONDecodeError:
        obj = None
    command_id = obj.get("command_id") if isinstance(obj, dict) else None
    return command_id if isinstance(command_id, str) else None


class Credentials(NamedTuple):
    """The deployment's key rings in the worker's auth folder: assertions for commands, tokens for HTTP."""
    auth_dir: Path
    assertions: KeyRing
    tokens: KeyRing

    def signer(self, principal: Principal = SIMULATOR) -> Signer:
        return Signer(self.assertions, principal)

    def token(self, role: str = "monitor", name: str = "bench", ttl_seconds: int = 6 * 3600) -> str:
        """A bearer token for the API: role "monitor" reads figures, "auditor" histories, "admin" /v1/admin/*."""
        return issue_token(self.tokens, Principal(name, role), ttl_seconds)[0]


def credentials(auth_dir: Path) -> Credentials:
    """The key rings in `auth_dir`, created when missing; call it before the worker starts, so the worker
    uses the same keys and commands put on Kafka before it starts are signed with them."""
    return Credentials(auth_dir, load(auth_dir / ASSERTIONS_FILE), load(auth_dir / TOKENS_FILE))


def signed_headers(signer: Signer, value: Any, headers: list | None = None) -> list[tuple[str, bytes]]:
    """`headers` with the `tyndau-auth` assertion of `signer` for the record value `value` (any bytes:
    hostile ones are signed too, so the ledger judges them on their content)."""
    raw = value if isinstance(value, bytes) else b""
    return [*(headers or []), (topics.AUTH_HEADER, signer.header(raw, command_id_of(raw)))]


def worker_env(bootstrap: str, data_dir: Path, port: int, **extra: str) -> dict:
    """The worker's environment: this broker, this data folder and its auth folder (whatever the caller's
    environment says), no credential of the caller's own."""
    env = dict(os.environ, TYNDAU_KAFKA=bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_AUTH_DIR=str(data_dir / "auth"),
               TYNDAU_HTTP_PORT=str(port), TYNDAU_DEADLINE_CHECK_SECONDS="0")
    env.pop("TYNDAU_TOKEN", None)
    env.update(extra)
    return env


class System(NamedTuple):
    bootstrap: str
    base: str          # the worker's HTTP address
    env: dict          # the worker's environment
    worker: subprocess.Popen
    auth: Credentials
    supervisor: Supervisor | None = None   # the processes of a multi-process layout


@contextmanager
def running_system(partitions: int = 4, extra_env: dict | None = None, before_worker=None, ledgers: int = 0):
    """A fresh broker and one worker (embedded chDB) in a temporary folder; yields a System (bootstrap,
    http base, env, worker process, credentials). `before_worker(bootstrap, credentials)` runs once the
    topics and the key files exist and before the worker starts (to preload signed commands).
    With `ledgers` N > 0: the layout of `tyndau up --ledgers N` instead (N processes with the roles
    ledger,feed,deadlines and one projector,api; System.worker is the projector,api one)."""
    with tempfile.TemporaryDirectory(prefix="tyndau-bench-") as tmp:
        broker = Broker(Path(tmp) / "kafka", port=free_port())
        broker.start()
        worker = None
        try:
            ensure_topics(broker.bootstrap, partitions)
            data_dir = Path(tmp) / "data"
            auth = credentials(data_dir / "auth")
            if before_worker is not None:
                before_worker(broker.bootstrap, auth)
            port = free_port()
            env = worker_env(broker.bootstrap, data_dir, port, TYNDAU_PARTITIONS=str(partitions), TYNDAU_APP_ID="tyndau-bench")
            env.update(extra_env or {})
            base = f"http://127.0.0.1:{port}"
            if ledgers:
                supervisor = Supervisor(out=sys.stderr)
                layout(supervisor, ledgers, data_dir, env, "warning")
                supervisor.start()
                worker = supervisor.processes[-1].proc
                wait_http(base + "/health", worker)
                try:
                    yield System(broker.bootstrap, base, env, worker, auth, supervisor)
                finally:
                    supervisor.stop()
            else:
                log = open(os.environ.get("TYNDAU_BENCH_WORKER_LOG") or Path(tmp) / "worker.log", "wb")
                worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"],
                                          env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                wait_http(base + "/health", worker)
                yield System(broker.bootstrap, base, env, worker, auth, None)
        finally:
            terminate(worker)
            broker.stop()


async def first_outcome_after(bootstrap: str, signer: Signer, tag: str, timeout: float, every: float = 0.5) -> float:
    """Seconds until a probe filing sent now (and another every `every` s, as live traffic would) has its outcome."""
    from aiokafka import AIOKafkaProducer

    from streams.kafka.outcomes import OutcomeReader

    reader = OutcomeReader(bootstrap)
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    ours: set[str] = set()
    seen = asyncio.Event()
    task = asyncio.create_task(reader.run(lambda outcome: seen.set() if outcome.command_id in ours else None))
    started = time.monotonic()
    try:
        n = 0
        while time.monotonic() - started < timeout:
            appeal_id = f"probe-{tag}-{n}-{os.urandom(4).hex()}"
            value = json.dumps({"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id,
                                "at": "2024-03-01T09:00:00+05:00", "region": "71", "body": "probe", "category": "roads",
                                "channel": "eotinish", "citizen": {"iin": "900101301233", "name": "Probe"}}).encode()
            ours.add(f"{appeal_id}-1")
            await producer.send_and_wait(topics.COMMANDS, value, key=appeal_id.encode(), headers=signed_headers(signer, value))
            n += 1
            try:
                await asyncio.wait_for(seen.wait(), every)
                return time.monotonic() - started
            except asyncio.TimeoutError:
                continue
        raise SystemExit(f"no probe ({tag}) had an outcome within {timeout}s")
    finally:
        task.cancel()
        await producer.stop()
        await reader.stop()


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


def get_json(url: str, token: str | None = None):
    """GET `url` as JSON; with `token`, as its bearer (every endpoint but /health, /, /static, /openapi.json
    and /v1/regions needs one)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))
    return ordered[index]
