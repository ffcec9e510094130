"""The projection writer: folds a batch of ledger events and writes it to ClickHouse in four inserts (the
fourth: each partition's Merkle tree, projections/tree.py).

Replays are harmless: event rows replace themselves by (appeal_id, sequence); every folded event
writes the state after it to `appeal_versions` under the same key, and a replay folds the same
state again, so the same row; a state row of `appeals` is written only when an event moved the
appeal past the state already stored, and the row with the highest sequence wins. A failed insert
raises, so the caller commits no offset; the state cache learns a batch's states only once the
batch is in, so a retry writes them again.

An event that cannot be projected (it does not decode, cannot be folded, its state cannot become
a row, or the engine refuses its rows while it accepts the others) is recorded in
`projection_errors` with its lineage and the projector moves on; `tyndau verify` reports those rows.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Iterable, NamedTuple

from streams import settings
from streams.avro import codec
from streams.domain.appeal import AppealState, evolve
from streams.domain.privacy import citizen_ref_of

from . import rows
from .clickhouse import client, run_query
from .tree import COLUMNS as TREE_COLUMNS, TreeWriter

log = logging.getLogger(__name__)

ERROR_COLUMNS = ["topic", "partition", "offset", "appeal_id", "error", "recorded_at"]


class RawEvent(NamedTuple):
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
        self.errors_recorded = 0
        self.refusal_pause = 1.0   # seconds before a refused batch is tried again
        self.seconds: dict[str, float] = {}   # time spent per step (decode, load, fold_and_rows, insert), for profiling
        self.tree = TreeWriter(self.db)   # each partition's Merkle tree (projections/tree.py)

    def _load(self, appeal_ids: Iterable[str]) -> None:
        missing = [a for a in set(appeal_ids) if a not in self.cache]
        if not missing:
            return
        for row in run_query("states_by_id", {"ids": missing}, self.db):
            state, ref = rows.state_from_row(row)
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

    def _decode(self, records: list[RawEvent]) -> tuple[list[tuple[RawEvent, dict]], list[tuple[RawEvent, str]]]:
        """(record, event) for every record that decodes; (record, why) for those that do not."""
        keys = [_key_text(r.key) for r in records]
        try:
            return list(zip(records, codec.decode_many([r.value for r in records], keys))), []
        except Exception:  # some record in the batch is not an event: find which, one by one
            decoded, failed = [], []
            for record, key in zip(records, keys):
                try:
                    event = codec.decode(record.value)
                    if key is not None and event["appeal_id"] != key:
                        raise codec.DecodeError("the event's appeal_id is not its Kafka key")
                    decoded.append((record, event))
                except Exception as error:
                    failed.append((record, _why("undecodable", error)))
            return decoded, failed

    def _fold(self, decoded: list[tuple[RawEvent, dict]], now: datetime):
        """Event rows, one version row per folded event, one state row per changed appeal, and those
        appeals' new states; (record, why) for what fails."""
        event_rows: list[tuple[RawEvent, list[Any]]] = []
        version_rows: list[tuple] = []
        changed: dict[str, tuple[AppealState, str]] = {}
        last_row: dict[str, tuple | None] = {}    # each changed appeal's latest version row (None: it could not be made)
        failed: list[tuple[RawEvent, str]] = []
        for record, event in decoded:
            try:
                row = rows.event_row(event, record.topic, record.partition, record.offset, now, self.key)
                appeal_id = event["appeal_id"]
                state, ref = changed.get(appeal_id) or self.cache.get(appeal_id, (None, ""))
                folds = (state is None or event["sequence"] > state.sequence) and (state is not None or event["event_type"] == "filed")
                if folds:
                    # (an appeal whose filing this projection never saw gets no state row; verify reports it)
                    state, ref = evolve(state, event), ref or citizen_ref_of(event, self.key)
                    changed[appeal_id] = (state, ref)
            except Exception as error:
                failed.append((record, _why("cannot be projected", error)))
                continue
            event_rows.append((record, row))
            if folds:
                # Every state the appeal passes through is a version: the as-of figures read them.
                try:
                    last_row[appeal_id] = rows.version_row(state, ref)
                    version_rows.append(last_row[appeal_id])
                except Exception as error:
                    last_row[appeal_id] = None
                    failed.append((record, _why("its state cannot be projected", error)))
        # One state row per changed appeal, its latest version without valid_on; when that one could
        # not be made, the appeal keeps its stored state (the event is already recorded as failed).
        state_rows = []
        for appeal_id in list(changed):
            if last_row[appeal_id] is None:
                del changed[appeal_id]
            else:
                state_rows.append(last_row[appeal_id][:-1])
        return event_rows, version_rows, state_rows, changed, failed

    def write(self, records: list[RawEvent], retry_refused: bool = True) -> int:
        """Project a batch; returns the number of events written (those recorded as errors excluded).

        A batch the engine refuses while it answers is tried once more after a pause (a refusal
        may pass: memory, too many parts), then halved until the event at fault is found."""
        if not records:
            return 0
        now = datetime.now(timezone.utc)
        clock = time.perf_counter()
        decoded, failed = self._decode(records)
        # Appeals whose first event here is their filing are new: only the others are looked up.
        first_sequence: dict[str, int] = {}
        for _, e in decoded:
            first_sequence.setdefault(e["appeal_id"], e["sequence"])
        clock = self._tick("decode", clock)
        self._load(a for a, seq in first_sequence.items() if seq > 1)
        clock = self._tick("load", clock)
        event_rows, version_rows, state_rows, changed, fold_failed = self._fold(decoded, now)
        failed += fold_failed
        events = {(r.partition, r.offset): e for r, e in decoded}
        tree_rows, edges = self.tree.rows((r.partition, r.offset, r.value, events.get((r.partition, r.offset)))
                                          for r in records)
        clock = self._tick("fold_and_rows", clock)
        try:
            if event_rows:
                self._insert("appeal_events", rows.EVENT_COLUMNS, [row for _, row in event_rows])
            if version_rows:
                self._insert("appeal_versions", rows.VERSION_COLUMNS, version_rows)
            if state_rows:
                self._insert("appeals", rows.STATE_COLUMNS, state_rows)
            if tree_rows:
                self._insert("merkle_nodes", TREE_COLUMNS, tree_rows)
        except Exception as error:
            if not self._engine_answers():
                raise   # an outage: the caller retries the batch
            if retry_refused:
                time.sleep(self.refusal_pause)
                return self.write(records, retry_refused=False)
            if len(records) == 1:
                failed.append((records[0], _why("refused by ClickHouse", error)))
                self._record_failures(failed, now)
                if tree_rows:   # the record is in the log all the same: its leaf must be in the tree
                    self._insert("merkle_nodes", TREE_COLUMNS, tree_rows)
                self.tree.advance(edges)
                return 0
            # The engine answers but refused this batch: some event's rows are at fault. Halves
            # find it; rows already inserted on the way are replaced by the same rows.
            log.warning("ClickHouse refused a batch of %d events; looking for the event at fault", len(records))
            middle = len(records) // 2
            return self.write(records[:middle], False) + self.write(records[middle:], False)
        if failed:
            self._record_failures(failed, now)
        for appeal_id, (state, ref) in changed.items():
            self._remember(appeal_id, state, ref)
        self.tree.advance(edges)
        self._tick("insert", clock)
        self.events_written += len(event_rows)
        return len(event_rows)

    def _engine_answers(self) -> bool:
        try:
            run_query("ping", {}, self.db)
            return True
        except Exception:
            return False

    def _record_failures(self, failed: list[tuple[RawEvent, str]], now: datetime) -> None:
        for record, why in failed:
            log.error("could not project %s[%d]@%d: %s", record.topic, record.partition, record.offset, why)
        self._insert("projection_errors", ERROR_COLUMNS,
                     [[r.topic, r.partition, r.offset, _key_text(r.key) or "", why, now] for r, why in failed])
        self.errors_recorded += len(failed)


def _why(what: str, error: Exception) -> str:
    return f"{what}: {type(error).__name__}: {str(error)[:200]}"


def _key_text(key: bytes | None) -> str | None:
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return key.decode("utf-8", "backslashreplace")
