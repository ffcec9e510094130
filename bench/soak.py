"""Soak: a national workload with 1 % hostile commands, while the worker is SIGKILLed and the broker kill -9ed.

1. A fresh broker and one worker; ≥ 200,000 simulated commands with 1 % hostile ones mixed in
   (random bytes, arbitrary JSON, a valid command with one field replaced by a hostile value,
   nesting thousands deep, lone surrogates, records over 64 KB, wrong keys) go to
   appeals.commands, keyed as a client would key them. Every one carries the API's `tyndau-auth`
   assertion for the importer `simulate`, the hostile ones too (made for their exact bytes and the
   command id the ledger reads from them), so the ledger, which verifies one per command, judges
   them on their content.
2. While the ledger works through them, the worker is killed with SIGKILL 10 times and restarted,
   and once the broker is killed with kill -9 and restarted; a worker that exits is restarted.
3. At the end every command's outcome is looked up by its partition and offset on
   appeals.events (header tyndau-command) and appeals.rejected (source_partition/offset):
   soak_lost (no outcome), soak_duplicated (more than one, or a command id appended twice),
   soak_chain_breaks (`tyndau verify` problems in the log), soak_agent_crashes (Faust's
   "Crashed" log lines) must all be 0.

    python -m bench.soak [--commands 200000] [--kills 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from streams import settings, topics
from streams.avro import codec
from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics
from streams.kafka.topic_reader import TopicReader

from .harness import ROOT, credentials, record, signed_headers, worker_env

HOSTILE_SHARE = 0.01
NASTY = ["\ud800", "x" * 20_000, "9999-01-01T00:00:00+05:00", "", " ", "a\x00b", [], {}, None, 10 ** 30, -1, 1.5, True]


def hostile(rnd: random.Random, sample: dict) -> tuple[bytes | None, bytes]:
    """One hostile command message (key, value), drawn from the kinds that once crashed the ledger."""
    key = sample["appeal_id"].encode()
    kind = rnd.randrange(7)
    if kind == 0:
        return rnd.choice([key, b"\xff\xfe", None]), bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400)))
    if kind == 1:
        return key, json.dumps(rnd.choice(NASTY[3:]) if rnd.random() < 0.5 else [rnd.random(), {"type": []}]).encode()
    if kind == 2:   # a valid command with one field replaced
        command = dict(sample, command_id=f"{sample['command_id']}-hostile-{rnd.randrange(10 ** 9)}")
        command[rnd.choice(sorted(command))] = rnd.choice(NASTY)
        return key, json.dumps(command).encode()
    if kind == 3:
        return key, b"[" * 5000 + b"]" * 5000
    if kind == 4:
        return key, json.dumps(dict(sample, text="x" * 70_000)).encode()
    if kind == 5:
        return b"not-" + key, json.dumps(sample).encode()
    return key, b'{"type": "file", "command_id": "\\ud800", "appeal_id": "%s"}' % key


async def send_all(bootstrap: str, count: int, seed: int, signer) -> tuple[list[tuple[int, int]], int]:
    """Puts the workload, signed by `signer`, on appeals.commands; (partition, offset) of every message, and
    how many were hostile."""
    from streams.devtools.simulate import commands, default_propensities, line

    rnd = random.Random(seed)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                max_batch_size=1024 * 1024)
    await producer.start()
    futures, hostile_count = [], 0
    try:
        for command in commands(count // 2, seed, date(2024, 1, 1), 365, default_propensities()):
            if rnd.random() < HOSTILE_SHARE:
                key, value = hostile(rnd, command)
                futures.append(await producer.send(topics.COMMANDS, key=key, value=value,
                                                   headers=signed_headers(signer, value)))
                hostile_count += 1
            value = line(command).encode()
            futures.append(await producer.send(topics.COMMANDS, key=command["appeal_id"].encode(), value=value,
                                               headers=signed_headers(signer, value)))
            if len(futures) >= count:
                break
        sent = []
        for future in futures:
            meta = await future
            sent.append((meta.partition, meta.offset))
        return sent, hostile_count
    finally:
        await producer.stop()


async def ledger_progress(bootstrap: str) -> tuple[int, int]:
    """(commands whose offsets the ledger has committed, commands on the topic)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(topics.LEDGER_GROUP)
    finally:
        await admin.close()
    async with TopicReader(bootstrap, topics.COMMANDS) as reader:
        ends = reader.ends
    done = sum(min(committed[tp].offset, end) if tp in committed and committed[tp].offset >= 0 else 0 for tp, end in ends.items())
    return done, sum(ends.values())


async def outcomes(bootstrap: str) -> tuple[Counter, Counter, Counter]:
    """Outcomes per (partition, offset) of the command; events per (appeal, command id); rejection reasons."""
    per_command, per_command_id, reasons = Counter(), Counter(), Counter()
    async with TopicReader(bootstrap, topics.EVENTS) as reader:
        async for _, records in reader.batches():
            for r in records:
                headers = dict(r.headers)
                partition, offset = (int(x) for x in headers[topics.SOURCE_HEADER].split(b":"))
                per_command[(partition, offset)] += 1
                per_command_id[(r.key, headers[topics.COMMAND_ID_HEADER])] += 1   # command ids are unique per appeal
    async with TopicReader(bootstrap, topics.REJECTED) as reader:
        async for _, records in reader.batches():
            for r in records:
                rejected = codec.decode(r.value)
                per_command[(rejected["source_partition"], rejected["source_offset"])] += 1
                reasons[rejected["reason"]] += 1
    return per_command, per_command_id, reasons


class Supervised:
    """The worker as a child process that the soak kills, and restarts whenever it is not running."""

    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path, self.proc, self.exits = env, log_path, None, 0

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", "warning"],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.start()

    def keep_running(self) -> None:
        if self.proc.poll() is not None:
            self.exits += 1
            print(f"soak: the worker exited with {self.proc.returncode}; restarting it", flush=True)
            self.start()

    def crashes(self) -> int:
        return sum("Crashed reason" in line for line in self.log_path.read_text(errors="replace").splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=200_000)
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of the worker (default 10)")
    parser.add_argument("--seed", type=int, default=23)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tyndau-soak-") as tmp:
        broker = Broker(Path(tmp) / "kafka", port=free_port())
        broker.start()
        worker = None
        try:
            ensure_topics(broker.bootstrap)
            data_dir = Path(tmp) / "data"
            auth = credentials(data_dir / "auth")   # before the worker starts, so it verifies with these keys
            env = worker_env(broker.bootstrap, data_dir, free_port(), TYNDAU_APP_ID=settings.APP_ID)
            worker = Supervised(env, Path(os.environ.get("TYNDAU_BENCH_WORKER_LOG") or Path(tmp) / "worker.log"))
            worker.start()
            sent, hostile_count = asyncio.run(send_all(broker.bootstrap, args.commands, args.seed, auth.signer()))
            print(f"soak: {len(sent)} commands on {topics.COMMANDS}, {hostile_count} of them hostile", flush=True)
            kills, broker_kills, total = 0, 0, len(sent)
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                time.sleep(1)
                worker.keep_running()
                try:
                    done, total = asyncio.run(ledger_progress(broker.bootstrap))
                except Exception as error:  # the broker is restarting
                    print(f"soak: progress unknown ({type(error).__name__})", flush=True)
                    continue
                if done >= total:
                    break
                if kills < args.kills and done >= total * (kills + 1) / (args.kills + 1):
                    kills += 1
                    print(f"soak: SIGKILL {kills} of the worker at {done}/{total} commands", flush=True)
                    worker.kill()
                elif broker_kills == 0 and done >= total * (args.kills / 2 + 0.5) / (args.kills + 1):
                    broker_kills += 1
                    print(f"soak: kill -9 of the broker at {done}/{total} commands", flush=True)
                    os.kill(broker._proc.pid, signal.SIGKILL)
                    broker._proc.wait()
                    broker.start()
            else:
                raise SystemExit("soak: the ledger did not finish within an hour")
            per_command, per_command_id, reasons = asyncio.run(outcomes(broker.bootstrap))
            lost = [where for where in sent if per_command[where] == 0]
            duplicated = [where for where in sent if per_command[where] > 1] + [
                key for key, n in per_command_id.items() for _ in range(n - 1)]
            for name, found in (("lost", lost), ("duplicated", duplicated)):
                if found:
                    print(f"soak: {name}: {len(found)}, e.g. {found[:5]}", flush=True)
            # `tyndau verify` reads the projection through the named queries: an auditor's credential.
            verified = subprocess.run([sys.executable, "-m", "streams.cli", "verify", "--format", "json",
                                       "--api", f"http://127.0.0.1:{env['TYNDAU_HTTP_PORT']}"],
                                      env=dict(env, TYNDAU_TOKEN=auth.token("auditor", "bench-verify")),
                                      cwd=ROOT, capture_output=True, text=True, timeout=900)
            try:
                report = json.loads(verified.stdout)
            except ValueError:
                raise SystemExit(f"soak: `tyndau verify` gave no report (exit {verified.returncode}): "
                                 f"{verified.stderr.strip()[-2000:]}") from None
            crashes = worker.crashes()
        finally:
            terminate(worker.proc if worker else None)
            broker.stop()
    seconds = round(time.monotonic() - started)
    how = (f"fresh broker + one worker; {len(sent)} simulated commands (seed {args.seed}) with {hostile_count} hostile "
           f"ones put on 4 partitions; {kills} SIGKILLs of the worker at evenly spaced points of the ledger's progress, "
           f"{broker_kills} kill -9 of the broker half-way; every command (hostile ones too) with the API's tyndau-auth "
           f"assertion (importer simulate; the ledger verifies one per command); outcomes matched to commands by "
           f"partition and offset; {seconds} s")
    figures = {
        "soak_commands": {"value": len(sent), "unit": "commands", "target": "≥ 200000"},
        "soak_lost": {"value": len(lost), "unit": "commands", "target": "0"},
        "soak_duplicated": {"value": len(duplicated), "unit": "commands", "target": "0"},
        "soak_chain_breaks": {"value": len(report["problems"]), "unit": "problems", "target": "0"},
        "soak_agent_crashes": {"value": crashes, "unit": "crash log lines", "target": "0"},
        "soak_projection_mismatches": {"value": len(report["projection_mismatches"]) + len(report["projection_errors"]),
                                       "unit": "appeals", "target": "0"},
        "soak_internal_errors": {"value": reasons["internal_error"], "unit": "rejections", "target": "0"},
        "soak_worker_exits": {"value": worker.exits, "unit": "exits", "target": "—",
                              "note": "exits other than the soak's own kills (the ledger stops itself when the broker is gone)"},
    }
    for figure in figures.values():
        figure.update(how=how, workload=f"{len(sent)} commands, 1 % hostile; rejections by reason: {dict(reasons)}")
    record(figures)
    print(json.dumps({name: f["value"] for name, f in figures.items()}))
    bad = [name for name in ("soak_lost", "soak_duplicated", "soak_chain_breaks", "soak_agent_crashes") if figures[name]["value"]]
    if bad:
        raise SystemExit(f"soak: {', '.join(bad)} must be 0")


if __name__ == "__main__":
    main()
