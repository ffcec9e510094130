"""All of tyndau's configuration, from environment variables with documented defaults.

Broker and database addresses are read here and nowhere else; the topic contract (names,
headers, groups) is in streams/topics.py.
"""

from __future__ import annotations

import math
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number; unset it or give e.g. {name}={default}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SystemExit(f"{name}={raw!r} is not a number of seconds; unset it or give e.g. {name}={default:g}")
    return value


# Kafka bootstrap servers, host:port[,host:port]. KAFKA_BOOTSTRAP_SERVERS is honoured too.
KAFKA_BOOTSTRAP = _env("TYNDAU_KAFKA", os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
# How clients reach the cluster: PLAINTEXT (the development broker), SSL, SASL_PLAINTEXT or SASL_SSL,
# with a SCRAM user for SASL and the cluster's CA (and a client certificate, if it asks for one) for TLS.
KAFKA_SECURITY_PROTOCOL = _env("TYNDAU_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
KAFKA_SASL_MECHANISM = _env("TYNDAU_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
KAFKA_USERNAME = _env("TYNDAU_KAFKA_USERNAME", "")
KAFKA_PASSWORD = _env("TYNDAU_KAFKA_PASSWORD", "")
KAFKA_CA_FILE = _env("TYNDAU_KAFKA_CA_FILE", "")
KAFKA_CERT_FILE = _env("TYNDAU_KAFKA_CERT_FILE", "")
KAFKA_KEY_FILE = _env("TYNDAU_KAFKA_KEY_FILE", "")
# Partitions of appeals.commands and appeals.events (must be equal: they are co-partitioned).
PARTITIONS = _int("TYNDAU_PARTITIONS", 4)
# Replication factor for the topics tyndau creates (1 on a single broker).
REPLICATION = _int("TYNDAU_REPLICATION", 1)
# Where local state lives: the embedded broker's data, chDB data, worker state.
DATA_DIR = Path(_env("TYNDAU_DATA_DIR", str(ROOT / "var")))
# The Avro schema files.
SCHEMAS_DIR = Path(_env("TYNDAU_SCHEMAS_DIR", str(ROOT / "schemas")))
# The worker's HTTP API and dashboard.
HTTP_HOST = _env("TYNDAU_HTTP_HOST", "127.0.0.1")
HTTP_PORT = _int("TYNDAU_HTTP_PORT", 6066)
# Where a process without the api role (a ledger process) serves its /metrics; 0: it serves nothing.
METRICS_PORT = _int("TYNDAU_METRICS_PORT", 0)
# Host names the HTTP API answers to besides loopback names, comma-separated (e.g. tyndau.gov.kz).
HTTP_ALLOWED_HOSTS = _env("TYNDAU_HTTP_ALLOWED_HOSTS", "")
TOKEN = _env("TYNDAU_TOKEN", "")   # the CLI's credential for the HTTP API (unset or empty: anonymous)
HTTP_RATE_LIMIT = _float("TYNDAU_HTTP_RATE_LIMIT", 500.0)   # requests per second per principal (a burst of 2 s)
# Faust application id (consumer group and internal topic prefix).
APP_ID = _env("TYNDAU_APP_ID", "tyndau")
# Embedded broker (tyndau up / the test suite): where Kafka's jars are cached.
KAFKA_CACHE = Path(_env("TYNDAU_KAFKA_CACHE", str(ROOT / ".cache" / "kafka")))

# The signing keys of credentials and of the API's command assertions (streams/auth/keys.py); in
# development the worker and `tyndau token issue` create them here on first use.
AUTH_DIR = Path(_env("TYNDAU_AUTH_DIR", str(DATA_DIR / "auth")))
# ClickHouse: chdb:///<folder> (embedded, one process per folder) or http(s)://user:password@host:8123/db.
CLICKHOUSE_DSN = _env("TYNDAU_CLICKHOUSE", f"chdb://{DATA_DIR / 'clickhouse'}")
# development (keys made on first use, a development pseudonym key) or production (keys provisioned, and
# checked before the worker connects to anything: streams/auth/production.py).
ENV = _env("TYNDAU_ENV", "development").strip().lower() or "development"
if ENV not in ("development", "production"):
    raise SystemExit(f"TYNDAU_ENV={ENV!r} is neither development nor production; unset it or give TYNDAU_ENV=production")
# Key for the citizen pseudonym (HMAC-SHA256 of the IIN). Set a secret of at least 32 bytes in production.
DEVELOPMENT_PSEUDONYM_KEY = "tyndau-development-key"
PSEUDONYM_KEY = _env("TYNDAU_PSEUDONYM_KEY", DEVELOPMENT_PSEUDONYM_KEY)
# Pseudonym keys used before a rotation, comma-separated: events keep the citizen_ref they were written with,
# so an erasure looks a citizen up under each of them too.
PSEUDONYM_KEYS_PREVIOUS = tuple(k for k in _env("TYNDAU_PSEUDONYM_KEYS_PREVIOUS", "").split(",") if k.strip())
# The master key that wraps every appeal's data key (streams/domain/sealing.py): 64 hex digits. The development
# one is public; a production start without a master key of its own is refused. Rotation: the new key here and
# the ones it replaces, comma-separated, in TYNDAU_MASTER_KEYS_PREVIOUS (they still open what they wrapped).
DEVELOPMENT_MASTER_KEY = "7479" * 16
MASTER_KEY = _env("TYNDAU_MASTER_KEY", DEVELOPMENT_MASTER_KEY)
MASTER_KEYS_PREVIOUS = tuple(k.strip() for k in _env("TYNDAU_MASTER_KEYS_PREVIOUS", "").split(",") if k.strip())
# The Ed25519 key that signs the ledger's checkpoints (C2SP signer key: PRIVATE+KEY+NAME+KEYID+KEY; `tyndau checkpoint
# --new-key NAME` makes one). The development one is public; a production start without a key of its own is
# refused. Rotation: a new key (a new name or key id) here and the verifier keys of the retired ones,
# comma-separated, in TYNDAU_CHECKPOINT_KEYS_PREVIOUS (checkpoints they signed still verify).
DEVELOPMENT_CHECKPOINT_KEY = "PRIVATE+KEY+tyndau-development+2d6c802f+AddrOLOcFAp4G4814E4IfSC2amJ1VOiqdu1HedJjAmyJ"
CHECKPOINT_KEY = _env("TYNDAU_CHECKPOINT_KEY", DEVELOPMENT_CHECKPOINT_KEY)
# How often the projector signs a checkpoint of every partition's Merkle tree (seconds; 0: only on demand,
# `tyndau checkpoint`), and the origin the checkpoints name: "<origin>/<partition>" is each partition's log.
CHECKPOINT_SECONDS = _float("TYNDAU_CHECKPOINT_SECONDS", 300)
CHECKPOINT_ORIGIN = _env("TYNDAU_CHECKPOINT_ORIGIN", "tyndau/appeals.events")
CHECKPOINT_KEYS_PREVIOUS = tuple(k.strip() for k in _env("TYNDAU_CHECKPOINT_KEYS_PREVIOUS", "").split(",") if k.strip())
# How many days after an appeal is closed (answered, withdrawn) its personal data is kept, then erased by the
# worker (its data key destroyed). No default: the term comes from the body's retention schedule under the Law
# on Personal Data (No. 94-V) and must be confirmed by the deployment (README: retention). Empty: never.
_RETENTION = _env("TYNDAU_PERSONAL_DATA_RETENTION_DAYS", "").strip()
PERSONAL_DATA_RETENTION_DAYS = _int("TYNDAU_PERSONAL_DATA_RETENTION_DAYS", 0) if _RETENTION else None
if PERSONAL_DATA_RETENTION_DAYS is not None and not 1 <= PERSONAL_DATA_RETENTION_DAYS <= 36600:
    raise SystemExit(f"TYNDAU_PERSONAL_DATA_RETENTION_DAYS={PERSONAL_DATA_RETENTION_DAYS} must be a number of days "
                     "from 1 to 36600, or unset (never erase automatically)")
# How often the worker looks for appeals whose personal data's term has ended (seconds).
RETENTION_CHECK_SECONDS = _float("TYNDAU_RETENTION_CHECK_SECONDS", 3600)
# How long appeals.commands keeps a command (hours): its personal data is in clear there until then. The ledger
# needs a command only until it is judged; this is how long a ledger may be down without losing commands.
COMMANDS_RETENTION_HOURS = _int("TYNDAU_COMMANDS_RETENTION_HOURS", 72)
if not 1 <= COMMANDS_RETENTION_HOURS <= 24 * 90:
    raise SystemExit(f"TYNDAU_COMMANDS_RETENTION_HOURS={COMMANDS_RETENTION_HOURS} must be from 1 to 2160 hours")
# Projector batches: at most this many events, or this many seconds, per ClickHouse insert.
PROJECTOR_BATCH = _int("TYNDAU_PROJECTOR_BATCH", 5000)
PROJECTOR_BATCH_SECONDS = _float("TYNDAU_PROJECTOR_BATCH_SECONDS", 0.2)
# A year's transfer decree over the `holidays` package's working days (format: deploy/calendar/example.json):
# the Government moves days off every year, and a deployment must not wait for a release to apply it.
CALENDAR_FILE = _env("TYNDAU_CALENDAR_FILE", "")
# How far before the ledger's clock a live filing may be dated (days); older history is moved in with
# `tyndau publish FILE --import` by an importer (README: business time).
FILING_WINDOW_DAYS = _int("TYNDAU_FILING_WINDOW_DAYS", 7)
if not 0 <= FILING_WINDOW_DAYS <= 3660:
    raise SystemExit(f"TYNDAU_FILING_WINDOW_DAYS={FILING_WINDOW_DAYS} must be a number of days from 0 to 3660")
FILING_WINDOW = timedelta(days=FILING_WINDOW_DAYS)
# How long after an appeal's latest imported act the deadline watcher leaves it to its import (hours): the
# history's own acts say what happened meanwhile; then a still open appeal is judged from today.
IMPORT_SETTLE_HOURS = _float("TYNDAU_IMPORT_SETTLE_HOURS", 24.0)
IMPORT_SETTLE = timedelta(hours=IMPORT_SETTLE_HOURS)
# How often the deadline watcher looks for appeals past their due date (seconds).
DEADLINE_CHECK_SECONDS = _float("TYNDAU_DEADLINE_CHECK_SECONDS", 30)
# Escalate to the centre by `system` this many working days after an unanswered deadline (0 = never).
ESCALATE_AFTER_WORKING_DAYS = _int("TYNDAU_ESCALATE_AFTER_WORKING_DAYS", 0)
# The ledger judges commands in batches of at most this many, or what arrived within this many seconds.
LEDGER_BATCH = _int("TYNDAU_LEDGER_BATCH", 2000)
LEDGER_BATCH_SECONDS = _float("TYNDAU_LEDGER_BATCH_SECONDS", 0.02)
# The largest record batch the ledger writes. An auditor's read of one event returns the whole
# batch holding it: 128 KB keeps that to a few hundred records, and costs the ledger little.
LEDGER_RECORD_BATCH_BYTES = 128 * 1024
# Where a ledger worker keeps its partitions' states (RocksDB, one database per partition), so a restart
# folds only the events written since. Each ledger process needs its own folder.
LEDGER_STATE_DIR = Path(_env("TYNDAU_LEDGER_STATE_DIR", str(DATA_DIR / "ledger")))
# States kept decoded in memory per partition, beside the database (the most recently used).
LEDGER_CACHE_STATES = _int("TYNDAU_LEDGER_CACHE_STATES", 50_000)
# Workers beyond the active one that keep a copy of each ledger partition's state warm for failover.
STANDBY_REPLICAS = _int("TYNDAU_STANDBY_REPLICAS", 1)
# This process's stable name among the ledger processes (a pod's name; `tyndau up` sets ledger-1, ledger-2, …):
# the ledger's consumer group knows a restarted process by it. Unique per process; empty: no static membership.
WORKER_NAME = _env("TYNDAU_WORKER_NAME", "")
# How long a ledger process may go silent before the group moves its partitions (failover takes this plus a few
# seconds); at least the broker's group.min.session.timeout.ms (6 s by default).
SESSION_TIMEOUT_SECONDS = _float("TYNDAU_SESSION_TIMEOUT_SECONDS", 8.0)
# What this process runs when `tyndau worker` is given no --roles (comma-separated; README: roles).
WORKER_ROLES = _env("TYNDAU_WORKER_ROLES", "ledger,projector,feed,deadlines,api")

# Allocations between collections of Python's youngest GC generation. The default (700) makes a
# worker that folds thousands of events a second spend a third of its time in the collector.
GC_GEN0_THRESHOLD = _int("TYNDAU_GC_GEN0_THRESHOLD", 50_000)
