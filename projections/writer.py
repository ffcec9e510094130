"""The projection writer: folds a batch of ledger events and writes it to ClickHouse in two inserts.

Replays are harmless: event rows replace themselves by (appeal_id, sequence), a state row is
written only when an event moved the appeal past the state already stored, and the row with
the highest sequence wins. A failed insert raises, so the caller commits no offset.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Iterable, NamedTuple

from streams import codec, settings
from streams.domain.appeal import AppealState, evolve

from . import rows
from .clickhouse import client


class Record(NamedTuple):
    """One message of appeals.events with its lineage (a tuple: a replay makes a million of them)."""
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None    # the appeal id, checked against the decoded event when given


class ProjectionWriter:
    def __init__(self, db=None, cache_size: int = 200_000, key: str | None = None):
        self.db = db or client()
        self.key = key or settings.PSEUDONYM_KEY
        self.cache: OrderedDict[str, tuple[AppealState, str]] = OrderedDict()
        self.cache_size = cache_size
        self.events_written = 0
        self.seconds: dict[str, float] = {}   # time spent per step (decode, load, fold_and_rows, insert), for profiling

    def _load(self, appeal_ids: Iterable[str]) -> None:
        missing = [a for a in set(appeal_ids) if a not in self.cache]
        if not missing:
            return
        result = self.db.query(
            f"SELECT {', '.join(rows.STATE_COLUMNS)} FROM appeals FINAL WHERE appeal_id IN {{ids:Array(String)}}",
            parameters={"ids": missing},
        )
        for values in result.result_rows:
            state, ref, _ = rows.state_from_row(dict(zip(result.column_names, values)))
            self._remember(state.appeal_id, state, ref)

    def _remember(self, appeal_id: str, state: AppealState, ref: str) -> None:
        self.cache[appeal_id] = (state, ref)
        self.cache.move_to_end(appeal_id)
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)

    def _insert(self, table: str, columns: list[str], values: list) -> None:
        # Column-oriented: zip() transposes in C, which the driver would otherwise do in Python.
        self.db.insert(table, list(zip(*values)), column_names=columns, column_oriented=True)

    def _tick(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - since
        return now

    def write(self, records: list[Record]) -> int:
        """Project a batch; returns the number of events written."""
        if not records:
            return 0
        now = datetime.now(timezone.utc)
        clock = time.perf_counter()
        events = codec.decode_many([r.value for r in records], [r.key.decode() if r.key else None for r in records])
        decoded = list(zip(records, events))
        # Appeals whose first event here is their filing are new: only the others are looked up.
        first_sequence: dict[str, int] = {}
        for _, e in decoded:
            first_sequence.setdefault(e["appeal_id"], e["sequence"])
        clock = self._tick("decode", clock)
        self._load(a for a, seq in first_sequence.items() if seq > 1)
        clock = self._tick("load", clock)
        event_rows: list[list[Any]] = []
        changed: dict[str, tuple[AppealState, str]] = {}
        for record, event in decoded:
            event_rows.append(rows.event_row(event, record.topic, record.partition, record.offset, now, self.key))
            appeal_id = event["appeal_id"]
            state, ref = self.cache.get(appeal_id, (None, ""))
            if state is not None and event["sequence"] <= state.sequence:
                continue
            if state is None and event["event_type"] != "filed":
                continue  # an appeal whose filing this projection never saw; verify reports it
            new_state = evolve(state, event)
            ref = ref or rows.citizen_ref_of(event, self.key)
            self._remember(appeal_id, new_state, ref)
            changed[appeal_id] = (new_state, ref)
        state_rows = [rows.state_row(s, ref, rows.response_working_days(s)) for s, ref in changed.values()]
        clock = self._tick("fold_and_rows", clock)
        self._insert("appeal_events", rows.EVENT_COLUMNS, event_rows)
        if state_rows:
            self._insert("appeals", rows.STATE_COLUMNS, state_rows)
        self._tick("insert", clock)
        self.events_written += len(event_rows)
        return len(event_rows)
