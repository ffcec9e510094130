"""Intake: commands validated and appended by the ledger per second, delivery guarantee on.

A backlog of simulated commands, each with the API's `tyndau-auth` assertion for the importer
`simulate` (as `tyndau simulate` sends them), is put on appeals.commands of a fresh broker before
the workers start; then they judge them all, verifying one assertion per command. The layout is that of
`tyndau up --ledgers N` (default 2: two processes with the roles ledger,feed,deadlines beside one
projector,api process); `--ledgers 0` runs one process with every role, as `tyndau up` does. The figure is the number of commands judged
divided by the time between the first and the last outcome the ledger recorded (recorded_at of
events, rejected_at of rejections). A command rejected `unauthenticated` stops the run: the
figure would measure rejections, not the ledger's work.

    python -m bench.intake [--commands 60000] [--ledgers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from datetime import date

from aiokafka import AIOKafkaProducer

from .harness import Credentials, record, running_system, signed_headers


def preload(count: int, sent_box: list[int]):
    """Puts `count` simulated commands, signed as the importer `simulate`, on appeals.commands; appends the
    number actually sent to `sent_box`."""
    def load(bootstrap: str, auth: Credentials) -> None:
        from streams import topics
        from streams.devtools.simulate import commands, default_propensities, line

        async def run() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                        max_batch_size=1024 * 1024)
            await producer.start()
            signer = auth.signer()
            try:
                sent = 0
                for command in commands(count // 2, 11, date(2024, 1, 1), 365, default_propensities()):
                    value = line(command).encode()
                    await producer.send(topics.COMMANDS, key=command["appeal_id"].encode(), value=value,
                                        headers=signed_headers(signer, value))
                    sent += 1
                    if sent >= count:
                        break
                await producer.flush()
                sent_box.append(sent)
            finally:
                await producer.stop()
        asyncio.run(run())
    return load


async def outcome_times(bootstrap: str, expected: int, timeout: float, reasons: Counter) -> list[float]:
    """The ledger's time of every outcome; rejection reasons counted in `reasons`."""
    from streams.kafka.outcomes import OutcomeReader
    reader = OutcomeReader(bootstrap)
    await reader.start()
    for tp in reader.consumer.assignment():
        reader.consumer.seek(tp, 0)
    times: list[float] = []

    def on(outcome) -> None:
        stamp = outcome.record["recorded_at"] if outcome.status == "accepted" else outcome.record["rejected_at"]
        if outcome.status != "accepted":
            reasons[outcome.record.get("reason") or outcome.status] += 1
        times.append(stamp.timestamp())

    task = asyncio.create_task(reader.run(on))
    deadline = time.monotonic() + timeout
    while len(times) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    task.cancel()
    await reader.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=60_000)
    parser.add_argument("--ledgers", type=int, default=2, help="ledger processes beside the projector,api one (0: one process)")
    args = parser.parse_args()
    sent: list[int] = []
    reasons: Counter = Counter()
    with running_system(before_worker=preload(args.commands, sent), ledgers=args.ledgers) as system:
        times = asyncio.run(outcome_times(system.bootstrap, sent[0], timeout=900, reasons=reasons))
    judged = len(times)
    if judged < sent[0]:
        raise SystemExit(f"only {judged} of {sent[0]} commands had an outcome within the timeout")
    if reasons["unauthenticated"]:
        raise SystemExit(f"{reasons['unauthenticated']} of {judged} commands were rejected unauthenticated: the worker "
                         "does not verify assertions with the keys the benchmark signed with")
    rate = judged / (max(times) - min(times)) if judged > 1 else 0.0
    layout = (f"{args.ledgers} processes `tyndau worker --roles ledger,feed,deadlines` and one `--roles projector,api` "
              f"(embedded chDB), on {os.cpu_count()} cores" if args.ledgers else
              f"one process with every role (ledger, projector, public feed, deadlines, API), on {os.cpu_count()} cores")
    name = "intake_commands_per_s" if args.ledgers == 2 else f"intake_commands_per_s_{args.ledgers}_ledgers"
    record({name: {
        "value": round(rate), "unit": "commands/s", "target": "≥ 5000",
        "workload": f"{sent[0]} simulated commands (seed 11) preloaded on 4 partitions, each with the API's tyndau-auth "
                    f"assertion (importer simulate); {judged} outcomes seen, rejections by reason: {dict(reasons)}",
        "layout": layout,
        "how": f"{layout} judging a backlog (the ledger: one Kafka transaction per partition and batch, one assertion "
               "verified per command, state on disk); commands judged / (last − first outcome time recorded by the ledger)"}})
    print(f"intake: {rate:.0f} commands/s ({judged} judged)")


if __name__ == "__main__":
    main()
