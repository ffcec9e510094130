"""Restart: a ledger process killed with SIGKILL and started again over a log of ≥ 10,000,000 events.

The log and the ledger's state are built once and cached under .cache/bench/restart-<events>/ (a broker's
data folder, the ledger process's state folder and the deployment's keys): the simulator's commands of
20,000 appeals are judged by the domain code (as bench/replay.py does), and their events are written to
appeals.events again and again under new appeal ids (each copy re-chained and re-hashed, a new event id
each), until the log holds the events asked for; the state folder gets each copy's folded states, as the
ledger process that appended them would hold them. With --first-fold, the cost a process without any state
pays once, the catch-up fold of a whole partition, is measured on partition 0 (first_fold_events_per_s).
Then, three times: the ledger process (`tyndau worker --roles ledger`) is killed with SIGKILL while idle,
started again at once, and filings signed as the importer `simulate` are put on appeals.commands from the
moment it is started, one every half second, as live traffic would be; restart_ready_s is the time from the
restart to the first outcome of one of them on the log (the median of three, each one reported).

    python -m bench.restart [--events 10000000] [--first-fold]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from .harness import ROOT, credentials, record, worker_env

CACHE = ROOT / ".cache" / "bench"
TARGET = 10.0


def build_cloned(bootstrap: str, events_wanted: int, state_dir: Path, base_appeals: int = 20_000) -> int:
    """Write ≥ `events_wanted` events (copies of simulated appeals) and the state they fold to; the number written.
    Two processes share the work by partition, each writing its own partitions' state databases."""
    from streams import settings

    from .replay import simulated_events

    base_events = sum(1 for _ in simulated_events(base_appeals, seed=7))
    copies = -(-events_wanted // base_events)
    halves = [[p for p in range(settings.PARTITIONS) if p % 2 == i] for i in (0, 1)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        written = sum(pool.starmap(_clone_part, [(bootstrap, copies, state_dir, half, base_appeals) for half in halves]))
    from streams.agents.ledger_store import LedgerStore
    store = LedgerStore(state_dir, 10)
    for partition, end in asyncio.run(_ends(bootstrap)).items():
        store.open(partition).write({}, end - 1, None)   # every event up to the end is folded in
    store.close_all()
    return written


def _clone_part(bootstrap: str, copies: int, state_dir: Path, partitions: list[int], base_appeals: int) -> int:
    from dataclasses import replace

    from aiokafka import AIOKafkaProducer

    from streams import topics
    from streams.agents.judge import partition_of
    from streams.agents.ledger_store import LedgerStore
    from streams.avro import codec
    from streams.domain.chain import GENESIS_HASH, seal

    from .replay import simulated_events

    base = list(simulated_events(base_appeals, seed=7))
    finals = {appeal_id: state for appeal_id, _, state in base}
    mine = set(partitions)
    store = LedgerStore(state_dir, 1000)

    async def run() -> int:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                    max_batch_size=128 * 1024)
        await producer.start()
        written = 0
        try:
            for copy in range(copies):
                owner = {a: partition_of(f"{a}-c{copy:04d}".encode()) for a in finals}
                last_hash: dict[str, str] = {}
                for appeal_id, event, _ in base:
                    if owner[appeal_id] not in mine:
                        continue
                    new_id = f"{appeal_id}-c{copy:04d}"
                    clone = dict(event, appeal_id=new_id, event_id=str(uuid.uuid4()),
                                 command_id=f"{event['command_id']}-c{copy}", prev_hash=last_hash.get(new_id, GENESIS_HASH))
                    seal(clone)
                    last_hash[new_id] = clone["hash"]
                    await producer.send(topics.EVENTS, codec.encode_event(clone), key=new_id.encode(),
                                        partition=owner[appeal_id])
                    written += 1
                by_partition: dict[int, dict] = {}
                for appeal_id, state in finals.items():
                    if owner[appeal_id] in mine:
                        new_id = f"{appeal_id}-c{copy:04d}"
                        by_partition.setdefault(owner[appeal_id], {})[new_id] = replace(
                            state, appeal_id=new_id, last_hash=last_hash[new_id],
                            command_ids=frozenset(f"{c}-c{copy}" for c in state.command_ids))
                for partition, states in by_partition.items():
                    store.open(partition).write(states, None, None)
                if copy % 20 == 19:
                    print(f"  partitions {partitions}: {written} events", file=sys.stderr, flush=True)
            await producer.flush()
        finally:
            await producer.stop()
            store.close_all()
        return written
    return asyncio.run(run())


async def _ends(bootstrap: str) -> dict[int, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streams import settings, topics

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topics.EVENTS, p) for p in range(settings.PARTITIONS)]
        return {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


def first_fold(bootstrap: str, state_dir: Path) -> tuple[int, float]:
    """(events, seconds) of the catch-up fold of partition 0 into an empty state folder."""
    from streams.agents.catch_up import catch_up
    from streams.agents.ledger import source_of
    from streams.agents.ledger_store import LedgerStore

    store = LedgerStore(state_dir, 50_000)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"  folded {done} of {total} events", file=sys.stderr, flush=True)

    started = time.monotonic()
    folded = asyncio.run(catch_up(store, [0], source_of, bootstrap, progress=progress))
    store.close_all()
    shutil.rmtree(state_dir, ignore_errors=True)
    return folded.get(0, 0), time.monotonic() - started


def judged_in(bootstrap: str, auth, tag: str, wait: float) -> float:
    from .harness import first_outcome_after
    return asyncio.run(first_outcome_after(bootstrap, auth.signer(), tag, wait))


def start_ledger(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger", "--loglevel", os.environ.get("TYNDAU_BENCH_LOGLEVEL", "warning")],
                            env=env, cwd=ROOT, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def log_events(bootstrap: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from streams import settings, topics

    async def run() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        try:
            tps = [TopicPartition(topics.EVENTS, p) for p in range(settings.PARTITIONS)]
            return sum((await consumer.end_offsets(tps)).values())
        finally:
            await consumer.stop()
    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--first-fold", action="store_true",
                        help="also time the catch-up fold of partition 0 into an empty state folder (minutes at 10M events)")
    args = parser.parse_args()

    from streams.devtools.broker import Broker, free_port, terminate
    from streams.kafka.admin import ensure_topics

    folder = CACHE / f"restart-{args.events}"
    built_file = folder / "built.json"
    if not built_file.exists():
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "kafka", port=free_port(), heap="1g")
    broker.start()
    worker = None
    try:
        auth = credentials(folder / "data" / "auth")
        env = worker_env(broker.bootstrap, folder / "data", free_port(), TYNDAU_APP_ID="tyndau-bench",
                         TYNDAU_LEDGER_STATE_DIR=str(folder / "ledger"), TYNDAU_WORKER_NAME="bench-ledger-1",
                         TYNDAU_PARTITIONS="4")
        log = folder / "ledger.log"
        if not built_file.exists():
            ensure_topics(broker.bootstrap, 4)
            t0 = time.monotonic()
            written = build_cloned(broker.bootstrap, args.events, folder / "ledger")
            built_s = time.monotonic() - t0
            print(f"log of {written} events and its state built in {built_s:.0f}s", file=sys.stderr, flush=True)
            built_file.write_text(json.dumps({"events": written, "built_s": round(built_s)}))
        built = json.loads(built_file.read_text())
        if args.first_fold:
            fold_events, fold_s = first_fold(broker.bootstrap, folder / "first-fold")
            built.update(first_fold_events=fold_events, first_fold_s=round(fold_s, 1))
        events = log_events(broker.bootstrap)
        worker = start_ledger(env, log)
        judged_in(broker.bootstrap, auth, "warm", wait=600)   # running, with its state, before the first kill
        rounds = []
        for n in range(args.rounds):
            time.sleep(2)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            started = time.monotonic()
            worker = start_ledger(env, log)
            judged_in(broker.bootstrap, auth, f"round{n}", wait=600)
            rounds.append(round(time.monotonic() - started, 2))
            print(f"  restart {n + 1}: next command judged {rounds[-1]} s after the restart", file=sys.stderr, flush=True)
    finally:
        terminate(worker)
        broker.stop()
    median = statistics.median(rounds)
    how = (f"one ledger process (`tyndau worker --roles ledger`, state on local disk, TYNDAU_WORKER_NAME set) over a log of "
           f"{events} events (4 partitions); killed with SIGKILL while idle and started again at once, filings put on "
           f"appeals.commands from the restart on, one every 0.5 s; seconds from the restart to the first outcome, median of "
           f"{len(rounds)}: {rounds}")
    figures = {
        "restart_ready_s": {"value": median, "unit": "s", "target": f"≤ {TARGET:g}", "how": how,
                            "workload": f"{events} events: copies of 20,000 simulated 2024 appeals, built once and cached"}}
    if "first_fold_s" in built:
        figures["first_fold_events_per_s"] = {
            "value": round(built["first_fold_events"] / built["first_fold_s"]), "unit": "events/s",
            "how": f"the ledger's catch-up fold (what a ledger process runs at its start) folding partition 0 of the log "
                   f"into an empty state folder: {built['first_fold_s']} s for {built['first_fold_events']} events",
            "workload": f"partition 0 of the {built['events']}-event log"}
    record(figures)
    print(f"restart_ready_s {median} (rounds {rounds})" +
          (f"; first fold {built['first_fold_events'] / built['first_fold_s']:.0f} events/s" if "first_fold_s" in built else ""))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
