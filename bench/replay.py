"""Replay, decode ceiling, history and ranking latency, and memory, on a log of ≥ 1,000,000 events.

1. The simulator's commands are judged by the domain code (the ledger's authorize/decide/seal, as
   for commands whose assertion names the importer `simulate`, the principal `tyndau simulate`
   signs them as) and the resulting events are written straight to appeals.events of a fresh
   broker; no command goes through appeals.commands, so none needs its assertion here.
2. This process replays the whole log into an empty chDB with the projector's own code path
   (the consumer loop and ProjectionWriter that `tyndau rebuild` uses): replay_events_per_s.
3. The same messages, already in memory, are decoded with plain fastavro: decode_events_per_s.
4. Synthetic rows bring the event log table to ≥ 10,000,000 rows and the appeals table to
   ≥ 1,000,000; then one appeal's history (lineage query + reading its events from Kafka +
   chain check, as the HTTP endpoint does) and the region ranking are timed.

    python -m bench.replay [--events 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import fastavro
from aiokafka import AIOKafkaProducer

from .harness import percentile, record


def simulated_events(appeals_wanted: int, seed: int = 7):
    """(appeal id, event, state after it) of simulated 2024 appeals, judged by the domain code as the ledger judges
    commands signed as the importer `simulate` (streams/agents/judge.py)."""
    from streams.clients.signing import SIMULATOR
    from streams.devtools.simulate import commands, default_propensities
    from streams.domain.appeal import decide, evolve
    from streams.domain.chain import seal
    from streams.domain.commands import CommandError, parse_command
    from streams.domain.principals import actor_record, authorize

    states, now = {}, datetime.now(timezone.utc)
    for command in commands(appeals_wanted, seed, date(2024, 1, 1), 365, default_propensities()):
        try:
            parsed = parse_command(command)
            authorize(SIMULATOR, parsed, states.get(parsed.appeal_id))
            actor, imported_by = actor_record(SIMULATOR, parsed)
            event = seal(decide(states.get(parsed.appeal_id), parsed, now, actor, imported_by))
        except CommandError:
            continue
        states[parsed.appeal_id] = evolve(states.get(parsed.appeal_id), event)
        yield parsed.appeal_id, event, states[parsed.appeal_id]


def build_log(bootstrap: str, events_wanted: int, seed: int = 7, quiet: bool = False) -> tuple[int, list[str]]:
    from streams import settings, topics
    from streams.avro import codec

    async def run() -> tuple[int, list[str]]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
                                    max_batch_size=settings.LEDGER_RECORD_BATCH_BYTES, compression_type=None)  # as the ledger writes
        await producer.start()
        written, appeals = 0, []
        try:
            # about 3 events an appeal: more than enough, cut at events_wanted
            for appeal_id, event, _ in simulated_events(events_wanted // 2, seed):
                if event["sequence"] == 1:
                    appeals.append(appeal_id)
                await producer.send(topics.EVENTS, key=appeal_id.encode(), value=codec.encode_event(event))
                written += 1
                if written % 100_000 == 0 and not quiet:
                    print(f"  log: {written} events", file=sys.stderr, flush=True)
                if written >= events_wanted:
                    break
            await producer.flush()
        finally:
            await producer.stop()
        return written, appeals
    return asyncio.run(run())


async def read_messages(bootstrap: str) -> list:
    from streams import topics
    from streams.kafka.topic_reader import TopicReader
    out = []
    async with TopicReader(bootstrap, topics.EVENTS, max_records=50_000) as reader:
        async for _, records in reader.batches():
            out.extend(r.value for r in records)
    return out


BENCH_SQL = Path(__file__).resolve().parent / "sql"


def bench_sql(name: str) -> str:
    """A statement of bench/sql/NAME.sql, its comment lines left out."""
    text = (BENCH_SQL / f"{name}.sql").read_text()
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("--")).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--log-rows", type=int, default=10_000_000, help="rows in the event log table for the history figure")
    parser.add_argument("--appeal-rows", type=int, default=1_000_000, help="appeals for the ranking figure")
    args = parser.parse_args()

    from streams.devtools.broker import Broker, free_port
    from streams.kafka.admin import ensure_topics
    from streams.agents.runtime import tune_gc

    tune_gc()   # as `tyndau worker` does at start

    with tempfile.TemporaryDirectory(prefix="tyndau-replay-") as tmp:
        broker = Broker(Path(tmp) / "kafka", port=free_port(), heap="1g")
        broker.start()
        try:
            ensure_topics(broker.bootstrap, 4)
            t0 = time.monotonic()
            written, appeal_ids = build_log(broker.bootstrap, args.events)
            print(f"log of {written} events built in {time.monotonic() - t0:.0f}s", file=sys.stderr)
            # The DSN is passed, not set in the environment: settings were read at import.
            run_figures(broker.bootstrap, f"chdb://{Path(tmp) / 'clickhouse'}", written, appeal_ids, args)
        finally:
            broker.stop()


def run_figures(bootstrap: str, dsn: str, written: int, appeal_ids: list[str], args) -> None:
    from projections.clickhouse import client, migrate, run_query
    from projections.ranking import ranking
    from projections.writer import ProjectionWriter, RawEvent
    from streams import settings, topics
    from streams.avro import codec
    from streams.audit.history import appeal_history
    from streams.kafka.log_reader import LogReader

    db = client(dsn)
    migrate(db)
    writer = ProjectionWriter(db)

    # -- replay: the projector's loop, from offset 0 to the end ------------------------------
    async def replay() -> tuple[int, float]:
        from streams.kafka.topic_reader import TopicReader
        done, pending, started = 0, [], time.monotonic()
        async with TopicReader(bootstrap, topics.EVENTS, max_records=settings.PROJECTOR_BATCH) as reader:
            async for tp, records in reader.batches():
                pending += [RawEvent(tp.topic, tp.partition, m.offset, m.value, m.key) for m in records]
                if len(pending) >= settings.PROJECTOR_BATCH:
                    writer.write(pending)
                    done, pending = done + len(pending), []
        if pending:
            writer.write(pending)
            done += len(pending)
        return done, time.monotonic() - started

    replayed, seconds = asyncio.run(replay())
    replay_rate = replayed / seconds
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Where the replay's time went, in microseconds per event; "fetch" is the rest (Kafka, the loop).
    split = {step: 1e6 * spent / replayed for step, spent in writer.seconds.items()}
    split["fetch_and_loop"] = 1e6 * seconds / replayed - sum(split.values())
    split_text = ", ".join(f"{step} {us:.1f}" for step, us in split.items())
    print(f"replay: {replayed} events in {seconds:.1f}s = {replay_rate:.0f}/s; peak RSS {rss_mb:.0f} MB; "
          f"µs per event: {split_text}", file=sys.stderr)

    # -- decode ceiling: the same messages, in memory, plain fastavro ----------------------------
    messages = asyncio.run(read_messages(bootstrap))
    schema = codec.load(codec.EVENT).parsed
    started = time.monotonic()
    for message in messages:
        fastavro.schemaless_reader(io.BytesIO(message[10:]), schema, None)
    decode_rate = len(messages) / (time.monotonic() - started)
    del messages
    print(f"decode: {decode_rate:.0f}/s", file=sys.stderr)

    # -- history among ≥ 10M log rows, ranking over ≥ 1M appeals ----------------------------------
    extra_rows = max(0, args.log_rows - written)
    if extra_rows:
        db.command(bench_sql("synthetic_events"), parameters={"rows": extra_rows})
    extra_appeals = max(0, args.appeal_rows - len(appeal_ids))
    if extra_appeals:
        db.command(bench_sql("synthetic_appeals"), parameters={"rows": extra_appeals})
    [sizes] = db.query(bench_sql("table_sizes")).named_results()
    log_rows, appeal_rows = sizes["log_rows"], sizes["appeal_rows"]

    reader = LogReader(bootstrap)
    rnd = random.Random(3)
    sample = rnd.sample(appeal_ids, min(500, len(appeal_ids)))

    query_ms: list[float] = []

    async def histories() -> list[float]:
        times = []
        for appeal_id in sample:
            started = time.perf_counter()
            lineage = run_query("history", {"appeal_id": appeal_id}, db)
            query_ms.append(1000 * (time.perf_counter() - started))
            document = await appeal_history(appeal_id, lineage, reader)
            times.append(1000 * (time.perf_counter() - started))
            if not (document and document["chain_ok"]):
                raise SystemExit(f"history of {appeal_id} is not clean: {document and document['problems']}")
        await reader.stop()
        return times

    history_ms = asyncio.run(histories())
    ranking_ms = []
    for _ in range(30):
        started = time.perf_counter()
        rows = ranking("region", today=date(2025, 6, 1), db=db)   # after every appeal's latest act: their current rows
        ranking_ms.append(1000 * (time.perf_counter() - started))
    assert len(rows) == 20 and sum(r["filed"] for r in rows) >= extra_appeals, rows

    workload = (f"{written} events of {len(appeal_ids)} simulated appeals (seed 7) on 4 partitions, "
                f"as the ledger appends them for the importer simulate")
    record({
        "replay_events_per_s": {"value": round(replay_rate), "unit": "events/s", "workload": workload,
                                "how": "projector code path (consumer loop + ProjectionWriter batches of TYNDAU_PROJECTOR_BATCH) "
                                       "replaying appeals.events from offset 0 into an empty embedded chDB, in one process; "
                                       f"µs per event: {split_text}"},
        "decode_events_per_s": {"value": round(decode_rate), "unit": "events/s", "workload": workload,
                                "how": "fastavro.schemaless_reader over the same messages held in memory, same run"},
        "replay_to_decode_ratio": {"value": round(replay_rate / decode_rate, 3), "target": "≥ 0.4", "workload": workload,
                                   "how": "replay_events_per_s / decode_events_per_s"},
        "worker_rss_mb": {"value": round(rss_mb), "unit": "MB", "target": "≤ 1500", "workload": workload,
                          "how": "peak RSS (getrusage ru_maxrss) of the process that ran the replay"},
        "history_p99_ms": {"value": round(percentile(history_ms, 0.99), 1), "unit": "ms", "target": "≤ 50",
                           "workload": f"{log_rows} rows in appeal_events ({written} real, the rest synthetic); {len(sample)} appeals",
                           "how": "lineage query on appeal_events (projections/queries/history.sql) + reading the events from Kafka by offset + chain check "
                                  "(the /history endpoint's code), p99 over random appeals; p50 "
                                  f"{percentile(history_ms, 0.5):.1f} ms; of which the lineage query p50 "
                                  f"{percentile(query_ms, 0.5):.1f} ms, p99 {percentile(query_ms, 0.99):.1f} ms"},
        "ranking_p99_ms": {"value": round(percentile(ranking_ms, 0.99), 1), "unit": "ms", "target": "≤ 500",
                           "workload": f"{appeal_rows} appeals in the appeals table ({len(appeal_ids)} real, the rest synthetic)",
                           "how": f"ranking by region (projections/queries/ranking.sql, FINAL), 30 runs; p50 {percentile(ranking_ms, 0.5):.1f} ms"},
    })
    print(f"history p99 {percentile(history_ms, 0.99):.1f} ms (lineage query p99 {percentile(query_ms, 0.99):.1f} ms), ranking p99 {percentile(ranking_ms, 0.99):.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
