"""Intake: commands validated and appended by the ledger per second, delivery guarantee on.

A backlog of simulated commands is put on appeals.commands of a fresh broker before the
worker starts; the worker (ledger, projector, public feed, API: the whole job) then judges
them all. The figure is the number of commands judged divided by the time between the first
and the last outcome the ledger recorded (recorded_at of events, rejected_at of rejections).

    python -m bench.intake [--commands 60000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

from aiokafka import AIOKafkaProducer

from .harness import record, running_system


def preload(count: int, sent_box: list[int]):
    """Puts `count` simulated commands on appeals.commands; appends the number actually sent to `sent_box`."""
    def load(bootstrap: str) -> None:
        from streams import topics
        from streams.devtools.simulate import commands, default_propensities, line

        async def run() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                        max_batch_size=1024 * 1024)
            await producer.start()
            try:
                sent = 0
                for command in commands(count // 2, 11, date(2024, 1, 1), 365, default_propensities()):
                    await producer.send(topics.COMMANDS, key=command["appeal_id"].encode(), value=line(command).encode())
                    sent += 1
                    if sent >= count:
                        break
                await producer.flush()
                sent_box.append(sent)
            finally:
                await producer.stop()
        asyncio.run(run())
    return load


async def outcome_times(bootstrap: str, expected: int, timeout: float) -> list[float]:
    from streams.kafka.outcomes import OutcomeReader
    reader = OutcomeReader(bootstrap)
    await reader.start()
    for tp in reader.consumer.assignment():
        reader.consumer.seek(tp, 0)
    times: list[float] = []

    def on(outcome) -> None:
        stamp = outcome.record["recorded_at"] if outcome.status == "accepted" else outcome.record["rejected_at"]
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
    args = parser.parse_args()
    sent: list[int] = []
    with running_system(before_worker=preload(args.commands, sent)) as (bootstrap, base, env, worker):
        times = asyncio.run(outcome_times(bootstrap, sent[0], timeout=900))
    judged = len(times)
    if judged < sent[0]:
        raise SystemExit(f"only {judged} of {sent[0]} commands had an outcome within the timeout")
    rate = judged / (max(times) - min(times)) if judged > 1 else 0.0
    record({"intake_commands_per_s": {
        "value": round(rate), "unit": "commands/s", "target": "≥ 5000",
        "workload": f"{sent[0]} simulated commands (seed 11) preloaded on 4 partitions; {judged} outcomes seen",
        "how": "one worker (ledger at-least-once + log-derived dedup, projector, public feed, API) judging a backlog; "
               "commands judged / (last − first outcome time recorded by the ledger)"}})
    print(f"intake: {rate:.0f} commands/s ({judged} judged)")


if __name__ == "__main__":
    main()
