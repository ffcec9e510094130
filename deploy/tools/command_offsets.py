"""Before a ledger judges an appeals.commands other than the one its log was judged from (a DR cluster fed by
MirrorMaker 2, a repartitioned copy): is every partition's end beyond every command offset the log names?

The ledger takes the largest command offset named by a partition's events (their `tyndau-command` header,
"<partition>:<offset>") as "judged up to here", and the offsets its rejections name (`source_offset`) as
judged too (streams/agents/ledger.py, streams/kafka/rejection_index.py). Those offsets are the *original*
topic's. A copy of appeals.commands whose offsets differ (MirrorMaker 2 does not keep offsets), or a new
one starting at 0, would have its next commands at offsets the ledger believes judged: it would skip them.
So each partition's end must be above the largest offset the log names; `--pad` appends empty records
until it is (the ledger never reads them: reset its group to the end afterwards, deploy/BACKUP.md).

    python deploy/tools/command_offsets.py                     # report; exit status 1 if a partition is unsafe
    python deploy/tools/command_offsets.py --pad               # pad each unsafe partition to one past what is named
    python deploy/tools/command_offsets.py --pad --at-least N  # pad every partition to at least N (a repartitioning)

It connects with the TYNDAU_KAFKA* settings of streams/settings.py, as the operator (a user that may write
appeals.commands). The log is read from each partition's tail (`--tail` records): events and rejections are
appended in command order per partition; after a repartitioning, give `--at-least` the old cluster's largest
appeals.commands end offset instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402

from streams import topics  # noqa: E402
from streams.avro import codec  # noqa: E402
from streams.kafka.security import connection  # noqa: E402


def source_offset(headers) -> int:
    """The command offset of an event's `tyndau-command` header ("<partition>:<offset>"), as the ledger reads it."""
    for name, value in headers or ():
        if name == topics.SOURCE_HEADER:
            try:
                return int(value.split(b":")[1])
            except (IndexError, ValueError):
                return -1
    return -1


async def named_offsets(tail: int) -> dict[int, int]:
    """Per partition, the largest command offset its events' headers and its rejections name (-1: none)."""
    named: dict[int, int] = {}
    for topic in (topics.EVENTS, topics.REJECTED):   # a consumer each: one reassigned to the other topic fetches nothing
        for partition, offset in (await _named_in(topic, tail)).items():
            named[partition] = max(named.get(partition, -1), offset)
    return named


async def _named_in(topic: str, tail: int) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**connection(), group_id=None, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(parts)
        ends, starts = await consumer.end_offsets(parts), await consumer.beginning_offsets(parts)
        named = {tp.partition: -1 for tp in parts}
        for tp in parts:
            consumer.seek(tp, max(starts[tp], ends[tp] - tail))
            idle = 0
            # Until the end; a marker at the tail may hold the position short of it while no record is left
            # to hand over, so three empty fetches end the partition too.
            while await consumer.position(tp) < ends[tp] and idle < 3:
                records = (await consumer.getmany(tp, timeout_ms=1000)).get(tp, [])
                idle = 0 if records else idle + 1
                for record in records:
                    if topic == topics.EVENTS:
                        offset = source_offset(record.headers)
                    else:
                        try:
                            offset = codec.decode(record.value)["source_offset"]
                        except Exception:   # noqa: BLE001 — not a rejection the ledger wrote: it names nothing
                            offset = -1
                    named[tp.partition] = max(named[tp.partition], offset)
        return named
    finally:
        await consumer.stop()


async def command_ends() -> dict[int, int]:
    consumer = AIOKafkaConsumer(**connection(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = [TopicPartition(topics.COMMANDS, p) for p in sorted(consumer.partitions_for_topic(topics.COMMANDS) or [])]
        return {tp.partition: end for tp, end in (await consumer.end_offsets(parts)).items()}
    finally:
        await consumer.stop()


async def pad(missing: dict[int, int]) -> None:
    """Append this many empty records (no key, empty value) to each partition of appeals.commands."""
    producer = AIOKafkaProducer(**connection(), acks="all", enable_idempotence=True, linger_ms=50)
    await producer.start()
    try:
        for partition, count in missing.items():
            for start in range(0, count, 10_000):
                sent = [await producer.send(topics.COMMANDS, b"", partition=partition)
                        for _ in range(min(10_000, count - start))]
                await asyncio.gather(*sent)
    finally:
        await producer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pad", action="store_true", help="append empty records until every partition is safe")
    parser.add_argument("--at-least", type=int, default=0, metavar="N", help="with --pad: every partition's end at least N")
    parser.add_argument("--tail", type=int, default=5000, help="records read from the end of each log partition")
    args = parser.parse_args()
    named, ends = asyncio.run(named_offsets(args.tail)), asyncio.run(command_ends())
    wanted = {p: max(named.get(p, -1) + 1, args.at_least if args.pad else 0) for p in ends}
    report = {p: {"commands_end": ends[p], "highest_named": named.get(p, -1), "safe": ends[p] >= wanted[p]} for p in ends}
    print(json.dumps(report, indent=1))
    unsafe = {p: wanted[p] - ends[p] for p in ends if ends[p] < wanted[p]}
    if unsafe and args.pad:
        asyncio.run(pad(unsafe))
        ends = asyncio.run(command_ends())
        print(f"padded {sum(unsafe.values())} records; commands ends now {json.dumps(ends)}", file=sys.stderr)
        unsafe = {p: wanted[p] - ends[p] for p in ends if ends[p] < wanted[p]}
    return 1 if unsafe else 0


if __name__ == "__main__":
    raise SystemExit(main())
