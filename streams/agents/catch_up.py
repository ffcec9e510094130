"""Catching the ledger's state on disk up with appeals.events before Faust's recovery runs.

A ledger process that restarts after some time away (a crash loop, an upgrade, a node back from
maintenance) finds its partitions' databases behind the log. Faust's own recovery would fold the
difference one event at a time through its changelog queue (about 2,000 events a second here); this
reads each partition the process holds on disk from the offset after its last folded one to the end,
decodes whole record blocks at once and folds them with the ledger's own code (the same idempotent fold
as the table's), at several times the rate. Faust's recovery then reads only what was written meanwhile.

It needs no fencing: it folds committed events only (read_committed), which are the ledger's truth
whoever wrote them; what it cannot read (an undecodable record) it leaves to the table's recovery,
which logs and skips it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from .. import topics
from ..avro import codec
from ..domain.appeal import AppealState, evolve
from ..kafka.security import connection
from .ledger_store import LedgerStore, PartitionState

log = logging.getLogger(__name__)
CHUNK = 20_000   # events folded and written per atomic write


def fold_event(states: dict[str, AppealState], held: PartitionState, event: dict) -> None:
    """Fold one decoded event into `states` (read through to `held`); an event the state already has changes nothing."""
    key = event["appeal_id"]
    state = states.get(key) or held.get(key)
    if state is None or event["sequence"] > state.sequence:
        states[key] = evolve(state, event)


def judged_offset(source: tuple[int, int] | None, partition: int) -> int | None:
    """The command offset an event's `tyndau-command` header names, if it is a command of this partition."""
    return source[1] if source and source[0] == partition else None


def fold_records(held: PartitionState, records: list, source_of: Callable) -> int:
    """Fold these records of one partition into its database; the number folded."""
    try:
        events = codec.decode_many([r.value for r in records], [r.key.decode() if r.key else None for r in records])
    except Exception:   # noqa: BLE001 — one bad record: decode one by one, leave the bad one out
        events = []
        for record in records:
            try:
                events.append(codec.decode(record.value))
            except Exception as error:   # noqa: BLE001
                log.error("catch-up: skipping %s@%s, not an event: %s", topics.EVENTS, record.offset, type(error).__name__)
                events.append(None)
    states: dict[str, AppealState] = {}
    judged = None
    for record, event in zip(records, events):
        if event is None:
            continue
        try:
            fold_event(states, held, event)
        except Exception as error:   # noqa: BLE001 — as the table's recovery: logged, skipped
            log.error("catch-up: skipping %s@%s, it cannot be folded: %s", topics.EVENTS, record.offset,
                      type(error).__name__)
            continue
        offset = judged_offset(source_of(record.headers), record.partition)
        if offset is not None:
            judged = offset if judged is None else max(judged, offset)
    held.write(states, records[-1].offset, judged)
    return len(records)


async def catch_up(store: LedgerStore, partitions: list[int], source_of: Callable, bootstrap: str | None = None,
                   progress: Callable[[int, int], None] | None = None, topic: str = topics.EVENTS) -> dict[int, int]:
    """Fold every partition in `partitions` from its database's offset to the log's current end; the
    number of events folded per partition."""
    consumer = AIOKafkaConsumer(**connection(bootstrap), group_id=None, enable_auto_commit=False,
                                isolation_level="read_committed", max_partition_fetch_bytes=16 * 1024 * 1024,
                                fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    folded: dict[int, int] = {}
    try:
        tps = {p: TopicPartition(topic, p) for p in partitions}
        consumer.assign(list(tps.values()))
        ends = await consumer.end_offsets(list(tps.values()))
        starts = await consumer.beginning_offsets(list(tps.values()))
        todo = {}
        for p, tp in tps.items():
            offset = store.open(p).offset
            if offset is not None and offset >= ends[tp]:
                # The disk has folded events the log does not hold (a restored or recreated topic): not the truth.
                log.warning("ledger state of partition %d is ahead of %s (offset %d, log end %d); folded again from the log",
                            p, topic, offset, ends[tp])
                store.open(p).discard()
                offset = None
            begin = starts[tp] if offset is None else max(starts[tp], offset + 1)
            if begin < ends[tp]:
                consumer.seek(tp, begin)
                todo[p] = ends[tp] - begin
            else:
                consumer.pause(tp)
        total, done = sum(todo.values()), 0
        pending: dict[int, list] = {p: [] for p in todo}
        while todo:
            batches = await consumer.getmany(*[tps[p] for p in todo], timeout_ms=500, max_records=CHUNK)
            for tp, records in batches.items():
                p = tp.partition
                pending[p].extend(r for r in records if r.offset < ends[tp])
                if len(pending[p]) >= CHUNK:
                    done += fold_records(store.open(p), pending[p], source_of)
                    folded[p] = folded.get(p, 0) + len(pending[p])
                    pending[p] = []
            for p in list(todo):
                if await consumer.position(tps[p]) >= ends[tps[p]]:
                    if pending[p]:
                        done += fold_records(store.open(p), pending[p], source_of)
                        folded[p] = folded.get(p, 0) + len(pending[p])
                        pending[p] = []
                    consumer.pause(tps[p])
                    del todo[p]
            if progress:
                progress(done, total)
        return folded
    finally:
        await consumer.stop()


def catch_up_held(store: LedgerStore, source_of: Callable) -> None:
    """At a ledger process's start: catch up every partition whose database is on this disk."""
    held = sorted(int(path.name[1:]) for path in store.root.glob("p*") if path.name[1:].isdigit())
    if not held:
        return
    started = time.monotonic()
    folded = asyncio.run(catch_up(store, held, source_of))
    if folded:
        log.warning("ledger state caught up with appeals.events: %d events folded in %.1fs (partitions %s)",
                    sum(folded.values()), time.monotonic() - started, ",".join(map(str, sorted(folded))))
