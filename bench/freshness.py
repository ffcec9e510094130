"""Freshness: from a command's acceptance by the ledger to its effect in the ranking query.

A steady stream of commands (files and answers) runs at --rate events/s for --seconds. Every
tenth of a second one of them files an appeal in a category of its own ("probe-N"); a poller
asks the worker's ranking by category every 50 ms, and a probe's delay is the moment its row
first appears minus the ledger's recorded_at of its event (one clock: this machine). Every
command carries the API's `tyndau-auth` assertion for the importer `simulate` (the ledger verifies
one per command); the poller reads the ranking with a monitor's bearer token.

    python -m bench.freshness [--rate 500] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from collections import Counter

from aiokafka import AIOKafkaProducer

from streams import topics
from streams.kafka.outcomes import OutcomeReader

from streams.clients.signing import Signer

from .harness import get_json, percentile, record, running_system, signed_headers

IIN = "900101301233"


def command(kind: str, appeal_id: str, at: str, **fields) -> bytes:
    return json.dumps({"type": kind, "command_id": f"{appeal_id}-{kind}", "appeal_id": appeal_id, "at": at, **fields}).encode()


async def drive(bootstrap: str, rate: int, seconds: int, accepted: dict[str, float], signer: Signer,
                rejected: Counter) -> int:
    reader = OutcomeReader(bootstrap)
    await reader.start()

    def on_outcome(outcome) -> None:
        if outcome.status == "accepted" and outcome.record["payload"].get("category", "").startswith("probe-"):
            accepted[outcome.record["payload"]["category"]] = outcome.record["recorded_at"].timestamp()
        elif outcome.status != "accepted":
            rejected[outcome.record.get("reason") or outcome.status] += 1

    reading = asyncio.create_task(reader.run(on_outcome))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await producer.start()

    async def send(appeal_id: str, value: bytes) -> None:
        await producer.send(topics.COMMANDS, key=appeal_id.encode(), value=value, headers=signed_headers(signer, value))

    sent, probe, filed = 0, 0, []
    start = time.monotonic()
    tick = 0.02
    try:
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * rate)
            while sent < due:
                if sent % max(1, rate // 10) == 0:
                    appeal_id, category = f"probe-{uuid.uuid4().hex[:10]}", f"probe-{probe}"
                    probe += 1
                elif filed and sent % 2:
                    answered = filed.pop(0)
                    await send(answered, command("answer", answered, "2012-02-10T10:00:00+05:00", outcome="resolved"))
                    sent += 1
                    continue
                else:
                    appeal_id, category = f"load-{uuid.uuid4().hex[:10]}", "roads"
                    filed.append(appeal_id)
                await send(appeal_id, command(
                    "file", appeal_id, "2012-02-01T10:00:00+05:00", region="75", body="almaty-akimat", category=category,
                    channel="eotinish", citizen={"iin": IIN, "name": "Bench"}))
                sent += 1
            await asyncio.sleep(tick)
        await producer.flush()
        await asyncio.sleep(3)
    finally:
        await producer.stop()
        reading.cancel()
        await reader.stop()
    return sent


def poll(base: str, token: str, seen: dict[str, float], stop: threading.Event) -> None:
    url = f"{base}/v1/ranking?by=category&from=2012-01-01&to=2012-12-31"
    while not stop.is_set():
        now = time.time()
        for row in get_json(url, token):
            if row["key"].startswith("probe-") and row["key"] not in seen:
                seen[row["key"]] = now
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=500, help="commands per second (default 500)")
    parser.add_argument("--seconds", type=int, default=30, help="how long the steady stream runs (default 30)")
    args = parser.parse_args()
    rejected: Counter = Counter()
    with running_system() as system:
        token = system.auth.token("monitor")   # the ranking is a figure: a monitor reads it
        get_json(f"{system.base}/v1/ranking?by=category", token)
        seen: dict[str, float] = {}
        accepted: dict[str, float] = {}
        stop = threading.Event()
        poller = threading.Thread(target=poll, args=(system.base, token, seen, stop), daemon=True)
        poller.start()
        sent = asyncio.run(drive(system.bootstrap, args.rate, args.seconds, accepted, system.auth.signer(), rejected))
        time.sleep(2)
        stop.set()
        poller.join()
    if rejected["unauthenticated"]:
        raise SystemExit(f"{rejected['unauthenticated']} commands were rejected unauthenticated: the worker does not "
                         "verify assertions with the keys the benchmark signed with")
    delays = [1000 * (seen[k] - accepted[k]) for k in accepted if k in seen]
    missing = len(accepted) - len(delays)
    p50, p99 = percentile(delays, 0.50), percentile(delays, 0.99)
    how = (f"{sent} commands at {args.rate}/s for {args.seconds}s (files and answers), each with the API's tyndau-auth "
           f"assertion (importer simulate; the ledger verifies one per command), through one worker with embedded chDB; "
           f"{len(delays)} probe appeals, each in its own category, polled in the ranking by category every 50 ms "
           f"with a monitor's bearer token; delay = first seen − ledger recorded_at")
    workload = (f"{sent} commands, {len(accepted)} probes, {missing} probes never seen; "
                f"rejections by reason: {dict(rejected)}")
    record({
        "freshness_p50_ms": {"value": round(p50, 1), "unit": "ms", "how": how, "workload": workload},
        "freshness_p99_ms": {"value": round(p99, 1), "unit": "ms", "target": "≤ 1000", "how": how, "workload": workload},
    })
    print(f"freshness p50 {p50:.0f} ms, p99 {p99:.0f} ms over {len(delays)} probes ({missing} not seen); {sent} commands sent")


if __name__ == "__main__":
    main()
