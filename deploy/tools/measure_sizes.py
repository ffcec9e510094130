"""What one event and one appeal cost on disk and in memory, measured through the real pipeline (deploy/CAPACITY.md).

A fresh embedded broker (deploy/kafka/pom.xml's Kafka) and one `tyndau worker` with every role (embedded
chDB) in a temporary folder; `tyndau simulate` sends the simulator's appeal lifecycles to it twice:

1. bulk: --appeals A as fast as the worker takes them (big transactions, full record batches);
2. trickle: --appeals T at --rate R commands/s, the national load's regime (a few commands a second:
   nearly every command is its own transaction, so its own record batch and its own commit marker).

Then, from the broker's own files and the worker's own stores:
- appeals.events, .public, .rejected, .commands: bytes of the partitions' .log files per record, in each
  regime, and after the broker stopped the indexes' bytes; the records' key, value (the Avro encoding) and
  header bytes, read back from the topic;
- the ledger's RocksDB (TYNDAU_LEDGER_STATE_DIR): the encode_state bytes per appeal, the folder's bytes
  after a full compaction, and the memory of one decoded state (tracemalloc);
- ClickHouse (chDB, the same engine as the server): system.parts bytes per table before and after the
  merges (OPTIMIZE ... FINAL), per event and per appeal.

    .venv/bin/python deploy/tools/measure_sizes.py [--appeals 30000] [--trickle-appeals 100] [--rate 5] [--partitions 12]

It prints a JSON document; deploy/CAPACITY.md quotes it. About eight minutes on two (shared) cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TOPICS = ("appeals.events", "appeals.public", "appeals.rejected", "appeals.commands")


def log_bytes(kraft_logs: Path, topic: str, suffixes: tuple[str, ...] = (".log",)) -> int:
    """Bytes of the files with these suffixes in every partition folder of `topic`."""
    return sum(f.stat().st_size for d in kraft_logs.glob(f"{topic}-*") if d.name.rsplit("-", 1)[1].isdigit()
               for f in d.iterdir() if f.suffix in suffixes)


async def scan(bootstrap: str, topic: str) -> dict:
    """Every committed record of `topic`: how many, and their key, value and header bytes."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed",
                                auto_offset_reset="earliest")
    await consumer.start()
    out = {"records": 0, "key_bytes": 0, "value_bytes": 0, "header_bytes": 0, "types": Counter(), "ends": {}}
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or
                                                            await _partitions(consumer, topic))]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        while True:
            behind = [ends[tp] - await consumer.position(tp) for tp in parts]
            if max(behind) <= 0:
                break
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if not batches and max(behind) <= 1:
                break   # only a commit marker is left before the end
            for records in batches.values():
                for r in records:
                    out["ends"][TopicPartition(r.topic, r.partition)] = r.offset + 1
                    out["records"] += 1
                    out["key_bytes"] += len(r.key or b"")
                    out["value_bytes"] += len(r.value or b"")
                    out["header_bytes"] += sum(len(k.encode()) + len(v or b"") for k, v in r.headers)
                    if topic == "appeals.events":
                        from streams.avro import codec
                        out["types"][codec.decode(r.value)["event_type"]] += 1
    finally:
        await consumer.stop()
    out["types"] = dict(out["types"])
    return out


async def _partitions(consumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def simulate(env: dict, appeals: int, seed: int, rate: float) -> dict:
    done = subprocess.run([sys.executable, "-m", "streams.cli", "simulate", "--appeals", str(appeals), "--seed", str(seed),
                           "--start", "2024-01-01", "--days", "365", "--rate", str(rate), "--wait", "120"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"tyndau simulate failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def followers_caught_up(bootstrap: str, timeout: float = 300.0) -> None:
    """Wait until the projector and the public feed have committed every record of appeals.events."""
    from aiokafka.admin import AIOKafkaAdminClient

    from streams import topics

    async def wait() -> bool:
        ends = (await scan(bootstrap, topics.EVENTS))["ends"]
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                groups = [await admin.list_consumer_group_offsets(g) for g in (topics.PROJECTOR_GROUP, topics.PUBLIC_FEED_GROUP)]
                if all(all(tp in c and c[tp].offset >= end for tp, end in ends.items()) for c in groups):
                    return True
                await asyncio.sleep(0.5)
            return False
        finally:
            await admin.close()
    if not asyncio.run(wait()):
        raise SystemExit(f"the projector and the public feed did not catch up within {timeout:.0f} s")


def phase(kafka_logs: Path, bootstrap: str) -> dict:
    followers_caught_up(bootstrap)
    out = {}
    for topic in TOPICS:
        out[topic] = {"log_bytes": log_bytes(kafka_logs, topic), **asyncio.run(scan(bootstrap, topic))}
        del out[topic]["ends"]
    return out


def per_record(before: dict, after: dict) -> dict:
    out = {}
    for topic in TOPICS:
        n = after[topic]["records"] - before.get(topic, {}).get("records", 0)
        if n:
            out[topic] = {"records": n, **{f"{k}_per_record": round((after[topic][k] - before.get(topic, {}).get(k, 0)) / n, 1)
                                           for k in ("log_bytes", "key_bytes", "value_bytes", "header_bytes")}}
    return out


def ledger_state(state_dir: Path) -> dict:
    from rocksdict import AccessType, Options, Rdict

    from streams.agents.ledger_store import decode_state

    values, raw_sample, open_appeals = [], [], 0
    for db_dir in sorted(state_dir.glob("p*")):
        options = Options(raw_mode=True)
        db = Rdict(str(db_dir), options=options, access_type=AccessType.read_write())
        for key, value in db.items():
            if key.startswith(b"s:"):
                values.append(len(value))
                if len(raw_sample) < 10_000:
                    raw_sample.append(value)
            elif key.startswith(b"w:"):
                open_appeals += 1
        db.compact_range(None, None)
        db.close()
    folder = sum(f.stat().st_size for f in state_dir.rglob("*") if f.is_file())
    sst = sum(f.stat().st_size for f in state_dir.rglob("*.sst"))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    decoded = [decode_state(raw) for raw in raw_sample]
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    return {"appeals": len(values), "watched_open_appeals": open_appeals,
            "encode_state_bytes_per_appeal": round(sum(values) / len(values), 1),
            "folder_bytes_after_compaction": folder, "sst_bytes": sst,
            "sst_bytes_per_appeal": round(sst / len(values), 1),
            "decoded_state_memory_bytes": round(grown / len(decoded), 1)}


def clickhouse(dsn: str, events: int, appeals: int) -> dict:
    from projections.clickhouse import client, statements

    db = client(dsn)
    parts = (HERE / "parts.sql").read_text()

    def sizes() -> dict:
        return {row[0]: {"rows": row[1], "bytes_on_disk": row[2], "uncompressed_bytes": row[3]}
                for row in db.query(parts).result_rows}
    unmerged = sizes()
    for statement in statements(HERE / "optimize.sql"):
        db.command(statement)
    merged = sizes()
    per = {"appeal_events": events, "appeal_versions": events, "appeals": appeals}
    return {"unmerged": unmerged, "merged": merged,
            "merged_bytes_per_event": {t: round(merged[t]["bytes_on_disk"] / per[t], 1) for t in per if t in merged and t != "appeals"},
            "merged_bytes_per_appeal": {"appeals": round(merged["appeals"]["bytes_on_disk"] / appeals, 1)} if "appeals" in merged else {},
            "unmerged_bytes_per_event": {t: round(unmerged[t]["bytes_on_disk"] / per[t], 1) for t in per if t in unmerged and t != "appeals"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=30_000)
    parser.add_argument("--trickle-appeals", type=int, default=100)
    parser.add_argument("--rate", type=float, default=5.0, help="commands per second of the trickle phase")
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tyndau-sizes-"))
    data = tmp / "data"
    # Settings are read when streams is imported: this process's environment is the worker's.
    sys.path.insert(0, str(ROOT))
    port, http_port = _free_port(), _free_port()
    env = dict(os.environ, TYNDAU_KAFKA=f"127.0.0.1:{port}", TYNDAU_DATA_DIR=str(data), TYNDAU_HTTP_PORT=str(http_port),
               TYNDAU_APP_ID="tyndau-sizes", TYNDAU_PARTITIONS=str(args.partitions), TYNDAU_DEADLINE_CHECK_SECONDS="3600")
    os.environ.update(env)
    from streams.devtools.broker import Broker, terminate
    broker = Broker(tmp / "kafka", port=port, heap="512m")
    broker.start()
    worker = None
    try:
        from streams.kafka.admin import ensure_topics
        ensure_topics(broker.bootstrap, args.partitions)
        log = open(tmp / "worker.log", "wb")
        worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"], env=env, cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=2)
                break
            except OSError:
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the worker did not start:\n{(tmp / 'worker.log').read_text()[-3000:]}")
                time.sleep(0.5)
        kafka_logs = broker.data_dir / "kraft-logs"
        t0 = time.monotonic()
        bulk_report = simulate(env, args.appeals, 7, 0.0)
        bulk = phase(kafka_logs, broker.bootstrap)
        bulk_s = time.monotonic() - t0
        trickle_report = simulate(env, args.trickle_appeals, 8, args.rate)
        trickle = phase(kafka_logs, broker.bootstrap)
    finally:
        terminate(worker)
        broker.stop()
    events = trickle["appeals.events"]["records"]
    types = trickle["appeals.events"]["types"]
    appeals = types.get("filed", 0)
    result = {
        "workload": {"bulk": bulk_report, "trickle": trickle_report, "partitions": args.partitions,
                     "trickle_rate_commands_per_s": args.rate, "bulk_seconds": round(bulk_s, 1)},
        "events": events, "appeals": appeals, "events_per_appeal": round(events / appeals, 2), "event_types": types,
        "kafka_bulk": per_record({}, bulk),
        "kafka_trickle": per_record(bulk, trickle),
        "kafka_index_bytes_after_stop": {t: log_bytes(kafka_logs, t, (".index", ".timeindex", ".snapshot", ".txnindex"))
                                         for t in TOPICS},
        "kafka_log_bytes_after_stop": {t: log_bytes(kafka_logs, t) for t in TOPICS},
        "ledger_state": ledger_state(data / "ledger"),
        "clickhouse": clickhouse(f"chdb://{data / 'clickhouse'}", events, appeals),
        "folder": str(tmp),
    }
    print(json.dumps(result, indent=1))
    if not args.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
