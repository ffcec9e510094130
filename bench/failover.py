"""Failover: one of two ledger processes killed with SIGKILL during a steady 1,000 commands a second.

A fresh broker (4 partitions) and two ledger processes (`tyndau worker --roles ledger`, each with its own
state folder and TYNDAU_WORKER_NAME, one standby replica of every partition: TYNDAU_STANDBY_REPLICAS=1).
Filings signed as the importer `simulate` are put on appeals.commands at a steady rate; a follower reads
appeals.events and appeals.rejected (read_committed) and notes when each partition's outcomes arrive. After
`--kill-after` seconds one ledger process is killed with SIGKILL and not restarted. failover_s is, over the
partitions, the longest time from the kill to the end of the silence that follows it (the killed process's
partitions fall silent until the survivor judges them). Every command sent must have exactly one outcome.

    python -m bench.failover [--rate 1000] [--seconds 45] [--kill-after 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams import settings, topics

from .harness import ROOT, credentials, record, signed_headers, worker_env

TARGET = 15.0


def filing(n: int) -> tuple[str, bytes]:
    appeal_id = f"failover-{n:08d}"
    return appeal_id, json.dumps({"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id,
                                  "at": "2024-03-01T09:00:00+05:00", "region": "71", "body": "akimat",
                                  "category": "roads", "channel": "eotinish",
                                  "citizen": {"iin": "900101301233", "name": "Aida"}}).encode()


async def drive(bootstrap: str, signer, rate: int, seconds: float, sent: list[int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        started, n = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            due = int((time.monotonic() - started) * rate)
            while n < due:
                appeal_id, value = filing(n)
                await producer.send(topics.COMMANDS, value, key=appeal_id.encode(), headers=signed_headers(signer, value))
                n += 1
            await asyncio.sleep(0.01)
        await producer.flush()
        sent.append(n)
    finally:
        await producer.stop()


async def follow(bootstrap: str, arrivals: dict[int, list[float]], outcomes: Counter, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(t, p) for t in (topics.EVENTS, topics.REJECTED) for p in range(4)])
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for tp, records in batches.items():
                arrivals.setdefault(tp.partition, []).extend([now] * len(records))
                for rec in records:
                    outcomes[dict(rec.headers).get("tyndau-command-id", b"").decode() or f"r:{tp}:{rec.offset}"] += 1
    finally:
        await consumer.stop()


async def partitions_of(bootstrap: str, group: str, instance: str) -> set[int]:
    """The appeals.commands partitions the group member started as `instance` (TYNDAU_WORKER_NAME) holds."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.coordinator.protocol import ConsumerProtocol

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
        for member in response.groups[0][5]:   # (error, group, state, protocol type, protocol, members, …)
            if str(member[0]).startswith(f"{instance}-"):
                assignment = ConsumerProtocol.ASSIGNMENT.decode(member[-1])
                return {p for topic, parts in assignment.assignment if topic == topics.COMMANDS for p in parts}
        return set()
    finally:
        await admin.close()


async def outcomes_on_log(bootstrap: str) -> Counter:
    """Outcomes per command as a fresh read_committed reader of both outcome topics finds them."""
    from streams.kafka.topic_reader import TopicReader

    found: Counter = Counter()
    for topic in (topics.EVENTS, topics.REJECTED):
        async with TopicReader(bootstrap, topic) as reader:
            async for tp, records in reader.batches():
                for rec in records:
                    found[dict(rec.headers).get("tyndau-command-id", b"").decode() or f"r:{tp}:{rec.offset}"] += 1
    return found


def silence_after(times: list[float], kill: float) -> float:
    """The end of the longest silence in `times` that starts at or after `kill`, as seconds after `kill`."""
    later = sorted(t for t in times if t >= kill)
    points = [kill, *later]
    gaps = [(b - a, b) for a, b in zip(points, points[1:])]
    if not gaps:
        return float("inf")
    length, end = max(gaps)
    return end - kill if length > 1.0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--kill-after", type=float, default=15)
    parser.add_argument("--logs", help="copy the ledger processes' logs into this folder")
    args = parser.parse_args()

    from streams.devtools.broker import Broker, free_port, terminate
    from streams.kafka.admin import ensure_topics

    with tempfile.TemporaryDirectory(prefix="tyndau-failover-") as tmp:
        broker = Broker(Path(tmp) / "kafka", port=free_port())
        broker.start()
        ledgers: list[subprocess.Popen] = []
        try:
            ensure_topics(broker.bootstrap, 4)
            auth = credentials(Path(tmp) / "data" / "auth")
            for i in (1, 2):
                env = worker_env(broker.bootstrap, Path(tmp) / "data", free_port(), TYNDAU_APP_ID="tyndau-bench",
                                 TYNDAU_PARTITIONS="4", TYNDAU_LEDGER_STATE_DIR=str(Path(tmp) / f"ledger-{i}"),
                                 TYNDAU_WORKER_NAME=f"ledger-{i}", TYNDAU_STANDBY_REPLICAS="1")
                ledgers.append(subprocess.Popen(
                    [sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger", "--loglevel", os.environ.get("TYNDAU_BENCH_LOGLEVEL", "warning")],
                    env=env, cwd=ROOT, stdout=open(Path(tmp) / f"ledger-{i}.log", "wb"), stderr=subprocess.STDOUT))
            time.sleep(15)   # both have joined and recovered: the group is stable before the stream starts

            victims: set[int] = set()

            async def run() -> tuple[dict, Counter, list[int], float]:
                arrivals: dict[int, list[float]] = {}
                outcomes: Counter = Counter()
                sent: list[int] = []
                stop = asyncio.Event()
                follower = asyncio.create_task(follow(broker.bootstrap, arrivals, outcomes, stop))
                driver = asyncio.create_task(drive(broker.bootstrap, auth.signer(), args.rate, args.seconds, sent))
                await asyncio.sleep(args.kill_after)
                victims.update(await partitions_of(broker.bootstrap, "tyndau-bench", "ledger-1"))
                os.kill(ledgers[0].pid, signal.SIGKILL)
                killed_at = time.monotonic()
                await driver
                deadline = time.monotonic() + 120
                while sum(outcomes.values()) < sent[0] and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
                stop.set()
                await follower
                return arrivals, outcomes, sent, killed_at

            arrivals, outcomes, sent, killed_at = asyncio.run(run())
            followed = len(outcomes)
            outcomes = asyncio.run(outcomes_on_log(broker.bootstrap))   # a fresh reader, after the run
        finally:
            for ledger in ledgers:
                terminate(ledger)
            broker.stop()
            if args.logs:
                Path(args.logs).mkdir(parents=True, exist_ok=True)
                for log in Path(tmp).glob("ledger-*.log"):
                    shutil.copy(log, Path(args.logs) / log.name)
    per_partition = {p: round(silence_after(times, killed_at), 2) for p, times in sorted(arrivals.items())}
    if not victims:
        raise SystemExit("could not tell which partitions the killed process held")
    failover = max(per_partition[p] for p in victims)
    others = max((per_partition[p] for p in per_partition if p not in victims), default=0.0)
    lost = sent[0] - len(outcomes)
    duplicated = sum(n - 1 for n in outcomes.values() if n > 1)
    how = (f"fresh broker, 4 partitions, two ledger processes (`tyndau worker --roles ledger`, one standby replica each, "
           f"session timeout {settings.SESSION_TIMEOUT_SECONDS:g} s); {args.rate} filings/s for {args.seconds:g} s, one process killed with SIGKILL after "
           f"{args.kill_after:g} s and not restarted; per partition, seconds from the kill to the end of the silence "
           f"after it, as a read_committed reader sees the outcomes: {per_partition}; the figure is the longest over the "
           f"killed process's partitions {sorted(victims)}")
    record({
        "failover_s": {"value": failover, "unit": "s", "target": f"≤ {TARGET:g}", "how": how,
                       "workload": f"{sent[0]} filings signed as the importer simulate; lost {lost}, duplicated {duplicated}"},
        "failover_pause_others_s": {
            "value": others, "unit": "s", "how": "the same run: the longest silence after the kill on the partitions the "
            "surviving process held all along (the rebalance pauses them too)", "workload": "as failover_s"},
    })
    print(f"followed {followed} outcomes live, {len(outcomes)} on the log afterwards")
    print(f"failover_s {failover} (killed process's partitions {sorted(victims)}; per partition {per_partition}); sent {sent[0]}, lost {lost}, duplicated {duplicated}")
    if lost or duplicated:
        raise SystemExit("commands were lost or duplicated")


if __name__ == "__main__":
    main()
