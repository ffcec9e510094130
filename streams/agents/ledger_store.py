"""The ledger's state on local disk: one RocksDB database (rocksdict) per partition of appeals.events.

Each database holds, written together in one atomic batch:
- `s:<appeal id>` → the appeal's folded state (JSON of AppealState's fields, checked field by field when read);
- `w:<appeal id>` → the due day of an appeal still open or escalated (what the deadline watcher looks at);
- `c:<appeal id>` → the day of the latest act of an appeal answered or withdrawn (what the retention job
  looks at: streams/agents/retention.py), until its personal data is erased;
- `m:offset` → the last offset of appeals.events[p] folded in (Faust's recovery resumes after it);
- `m:judged` → every command of appeals.commands[p] up to this offset has its outcome on the log;
- `k:<appeal id>` → the appeal's data key as appeals.keys holds it (Avro AppealDataKey, wrapped by the
  master key), or `E` and the time of its erasure; `m:keys` → the last offset of appeals.keys[p] read in
  (streams/agents/data_keys.py);
- `m:format` → FORMAT: the fold's version and AppealState's fields. A database of another format, or one
  that cannot be read, is discarded and the partition is folded again from the log, which is the truth.

The disk is the worker's own, but a byte read back is still checked: a state that does not decode to an
AppealState makes the partition's database start afresh rather than feed the judge a wrong state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import types
import typing
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from rocksdict import AccessType, Options, Rdict, WriteBatch

from ..domain.state import ANSWERED, ESCALATED, OPEN, WITHDRAWN, AppealState

log = logging.getLogger(__name__)

# Bump FOLD_VERSION whenever evolve() folds some event differently, or the database gains an index of the
# states: every persisted state is then refolded. 2: the index of closed appeals (`c:`).
FOLD_VERSION = 2
_FIELDS = typing.get_type_hints(AppealState)
FORMAT = f"{FOLD_VERSION}:" + hashlib.sha256(repr([(f.name, str(_FIELDS[f.name])) for f in dataclasses.fields(AppealState)])
                                               .encode()).hexdigest()[:16]
WATCHED = (OPEN, ESCALATED)
CLOSED = (ANSWERED, WITHDRAWN)

_STATE, _WATCH = b"s:", b"w:"
_KEY, _ERASED, _CLOSED = b"k:", b"E", b"c:"
_OFFSET, _JUDGED, _FORMAT, _KEYS_OFFSET = b"m:offset", b"m:judged", b"m:format", b"m:keys"


class CorruptState(ValueError):
    """A persisted record that is not what this code writes."""


def _kind(hint: Any) -> tuple[str, bool]:
    """How a field is written: (kind, may be null)."""
    args = typing.get_args(hint)
    nullable = isinstance(hint, types.UnionType) and type(None) in args
    if nullable:
        hint = next(a for a in args if a is not type(None))
    origin = typing.get_origin(hint)
    if origin is frozenset:
        return "set", nullable
    if origin is tuple:   # notices_owed: ((kind, due day, stage), ...)
        return "notices", nullable
    for kind in (bool, int, str, date, datetime):
        if hint is kind:
            return kind.__name__, nullable
    raise TypeError(f"AppealState field type {hint!r} has no encoding")   # a new field type: add one here


_NAMES = tuple(f.name for f in dataclasses.fields(AppealState))
_KINDS = tuple(_kind(_FIELDS[name]) for name in _NAMES)
_PLAIN = {"bool": bool, "int": int, "str": str}


def _default(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, (date, datetime)):   # isoformat keeps a UTC offset's seconds, which orjson rounds off
        return value.isoformat()
    raise TypeError(type(value).__name__)


def encode_state(state: AppealState) -> bytes:
    """The state's fields in AppealState's order (FORMAT names that order)."""
    values = state.__dict__
    return orjson.dumps([values[name] for name in _NAMES], default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def _day(value: Any) -> date:
    if type(value) is not str:
        raise CorruptState("a day that is not text")
    return date.fromisoformat(value)


def _moment(value: Any) -> datetime:
    if type(value) is not str:
        raise CorruptState("a time that is not text")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise CorruptState("a naive time")
    return moment


def _decode_value(kind: str, value: Any) -> Any:
    if kind in _PLAIN:
        if type(value) is not _PLAIN[kind]:
            raise CorruptState(f"expected {kind}, found {type(value).__name__}")
        return value
    if kind == "date":
        return _day(value)
    if kind == "datetime":
        return _moment(value)
    if type(value) is not list:
        raise CorruptState(f"expected a list for {kind}")
    if kind == "set":
        if any(type(x) is not str for x in value):
            raise CorruptState("a command id that is not text")
        return frozenset(value)
    notices = []
    for notice in value:
        if type(notice) is not list or len(notice) != 3 or type(notice[0]) is not str or type(notice[2]) is not str:
            raise CorruptState("a notice that is not (kind, day, stage)")
        notices.append((notice[0], _day(notice[1]), notice[2]))
    return tuple(notices)


def decode_state(raw: bytes) -> AppealState:
    """The AppealState `encode_state` wrote, every field checked against its type."""
    try:
        values = orjson.loads(raw)
        if type(values) is not list or len(values) != len(_NAMES):
            raise CorruptState("not the fields of an AppealState")
        fields = {}
        for name, (kind, nullable), value in zip(_NAMES, _KINDS, values):
            if value is None:
                if not nullable:
                    raise CorruptState(f"{name} is null")
                fields[name] = None
            else:
                fields[name] = _decode_value(kind, value)
    except CorruptState:
        raise
    except (ValueError, TypeError) as error:
        raise CorruptState(str(error)) from None
    state = object.__new__(AppealState)   # every field is set and checked above: the frozen __init__ adds nothing
    state.__dict__.update(fields)
    return state


def _int_or_none(raw: bytes | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise CorruptState("an offset that is not a number") from None


def _due_day(raw: bytes) -> date:
    try:
        return date.fromordinal(int(raw.decode("ascii")))
    except (UnicodeDecodeError, ValueError, OverflowError):
        raise CorruptState("a watched appeal's due day that is not a day") from None


class PartitionState:
    """One partition's database and a cache of its most recently used states."""

    def __init__(self, path: Path, cache_size: int) -> None:
        self.path, self.cache_size = path, cache_size
        self.cache: dict[str, AppealState] = {}
        self.watched: dict[str, date] = {}
        self.db = self._open()

    def _open(self) -> Rdict:
        try:
            db = self._open_db()
            if db.get(_FORMAT) not in (None, FORMAT.encode()):
                raise CorruptState("written by another version of the fold")
            if db.get(_FORMAT) is None and next(iter(db.keys()), None) is not None:
                raise CorruptState("records without a format")
            self.offset, self.judged_upto = _int_or_none(db.get(_OFFSET)), _int_or_none(db.get(_JUDGED))
            self.keys_offset = _int_or_none(db.get(_KEYS_OFFSET))
            # Copied out first: an error while decoding must not keep an iterator (and the database's lock) alive.
            entries = [(key, value) for key, value in db.items(from_key=_WATCH) if key.startswith(_WATCH)]
            self.watched = {key[2:].decode(): _due_day(value) for key, value in entries}
        except Exception as error:   # noqa: BLE001 — any unreadable database is folded again from the log
            if "lock" in str(error).lower():   # another process holds it: never delete a live database
                raise RuntimeError(f"the ledger state in {self.path} is in use by another process: give each ledger "
                                   "process its own TYNDAU_LEDGER_STATE_DIR") from error
            log.warning("ledger state in %s cannot be used (%s); this partition is folded again from appeals.events",
                        self.path, error)
            try:
                db.close()
            except Exception:   # noqa: BLE001 — it may never have opened
                pass
            shutil.rmtree(self.path, ignore_errors=True)
            db = self._open_db()
            self.offset, self.judged_upto, self.watched, self.keys_offset = None, None, {}, None
        if db.get(_FORMAT) is None:
            db.put(_FORMAT, FORMAT.encode())
        return db

    def _open_db(self) -> Rdict:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        return Rdict(str(self.path), options=options, access_type=AccessType.read_write())

    def get(self, appeal_id: str) -> AppealState | None:
        state = self.cache.pop(appeal_id, None)
        if state is not None:
            self.cache[appeal_id] = state   # most recently used: evicted last
        else:
            raw = self.db.get(_STATE + appeal_id.encode())
            if raw is None:
                return None
            try:
                state = decode_state(raw)
            except CorruptState as error:
                self.db.delete(_FORMAT)   # the next start discards this database and folds the partition again
                log.critical("ledger state of an appeal in %s cannot be read (%s); stopping, the partition is "
                             "folded again from appeals.events at the next start", self.path, error)
                os._exit(70)
            self._cache(appeal_id, state)
        return state

    def _cache(self, appeal_id: str, state: AppealState) -> None:
        cache = self.cache
        cache.pop(appeal_id, None)
        cache[appeal_id] = state
        if len(cache) > self.cache_size:
            del cache[next(iter(cache))]

    def write(self, states: dict[str, AppealState], offset: int | None, judged_upto: int | None) -> None:
        """Persist these states with the offsets they reach, in one atomic write."""
        batch = WriteBatch(raw_mode=True)
        for appeal_id, state in states.items():
            key = appeal_id.encode()
            batch.put(_STATE + key, encode_state(state))
            if state.status in WATCHED:
                batch.put(_WATCH + key, str(state.due_on.toordinal()).encode())
            elif appeal_id in self.watched:
                batch.delete(_WATCH + key)
            if state.status in CLOSED:
                batch.put(_CLOSED + key, str(state.last_at.date().toordinal()).encode())
            elif state.sequence > 1:
                batch.delete(_CLOSED + key)   # reopened or escalated again (a new appeal was never closed)
        if offset is not None and (self.offset is None or offset > self.offset):
            batch.put(_OFFSET, str(offset).encode())
        if judged_upto is not None and (self.judged_upto is None or judged_upto > self.judged_upto):
            batch.put(_JUDGED, str(judged_upto).encode())
        self.db.write(batch)
        for appeal_id, state in states.items():
            self._cache(appeal_id, state)
            if state.status in WATCHED:
                self.watched[appeal_id] = state.due_on
            else:
                self.watched.pop(appeal_id, None)
        if offset is not None and (self.offset is None or offset > self.offset):
            self.offset = offset
        if judged_upto is not None and (self.judged_upto is None or judged_upto > self.judged_upto):
            self.judged_upto = judged_upto

    def key_of(self, appeal_id: str) -> bytes | datetime | None:
        """The appeal's data key record as appeals.keys holds it, the time of its erasure, or None."""
        raw = self.db.get(_KEY + appeal_id.encode())
        if raw is None or not raw.startswith(_ERASED):
            return raw
        try:
            return _moment(raw[1:].decode("ascii"))
        except (UnicodeDecodeError, ValueError, CorruptState):
            return datetime.min.replace(tzinfo=timezone.utc)   # erased, the time unreadable: still erased

    def write_keys(self, entries: dict[str, bytes | datetime], keys_offset: int | None = None) -> None:
        """Keep data key records (bytes) and erasures (their time) in one atomic write, with the offset of
        appeals.keys they reach when they were read from it. An erasure overwrites the key and compacts its
        range, so the wrapped key does not linger in the database's files."""
        batch = WriteBatch(raw_mode=True)
        erased = []
        for appeal_id, entry in entries.items():
            key = _KEY + appeal_id.encode()
            if isinstance(entry, datetime):
                batch.put(key, _ERASED + entry.isoformat().encode())
                batch.delete(_CLOSED + appeal_id.encode())   # nothing left for the retention job
                erased.append(key)
            else:
                batch.put(key, entry)
        if keys_offset is not None and (self.keys_offset is None or keys_offset > self.keys_offset):
            batch.put(_KEYS_OFFSET, str(keys_offset).encode())
        self.db.write(batch)
        if keys_offset is not None and (self.keys_offset is None or keys_offset > self.keys_offset):
            self.keys_offset = keys_offset
        if erased:
            self.db.flush()
            self.db.compact_range(min(erased), max(erased))

    def closed(self) -> Iterator[tuple[str, date]]:
        """(appeal id, day of its latest act) of every closed appeal whose personal data is not yet erased."""
        for key, value in self.db.items(from_key=_CLOSED):
            if not key.startswith(_CLOSED):
                return
            yield key[2:].decode(), _due_day(value)

    def forget_keys(self) -> None:
        """Remove every data key from this database (a partition that moved away: its erasures are no longer
        read here); taken again, the partition reads appeals.keys from its beginning."""
        first = next(iter(self.db.keys(from_key=_KEY)), None)
        if (first is None or not first.startswith(_KEY)) and self.keys_offset is None:
            return   # nothing to forget
        self.db.delete_range(_KEY, _KEY[:-1] + bytes([_KEY[-1] + 1]))
        self.db.delete(_KEYS_OFFSET)
        self.keys_offset = None
        self.db.flush()
        self.db.compact_range(_KEY, _KEY[:-1] + bytes([_KEY[-1] + 1]))

    def close(self) -> None:
        self.db.close()

    def discard(self) -> None:
        """Start this partition afresh: its states are folded again from the log."""
        self.db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self.cache, self.watched, self.offset, self.judged_upto, self.keys_offset = {}, {}, None, None, None
        self.db = self._open_db()
        self.db.put(_FORMAT, FORMAT.encode())


class LedgerStore:
    """The partitions this worker holds (active or standby), each in `<root>/p<partition>`."""

    def __init__(self, root: Path, cache_size: int) -> None:
        self.root, self.cache_size = root, cache_size
        self.partitions: dict[int, PartitionState] = {}

    def open(self, partition: int) -> PartitionState:
        held = self.partitions.get(partition)
        if held is None:
            held = self.partitions[partition] = PartitionState(self.root / f"p{partition}", self.cache_size)
        return held

    def close(self, partition: int) -> None:
        held = self.partitions.pop(partition, None)
        if held is not None:
            held.close()

    def close_all(self) -> None:
        for partition in list(self.partitions):
            self.close(partition)

    def get(self, partition: int, appeal_id: str) -> AppealState | None:
        return self.open(partition).get(appeal_id)

    def watched(self, partitions: Iterable[int], before: date) -> Iterator[AppealState]:
        """States of the open or escalated appeals of these partitions due before `before`."""
        for partition in partitions:
            held = self.open(partition)
            for appeal_id, due_on in list(held.watched.items()):
                if due_on < before:
                    state = held.get(appeal_id)
                    if state is not None:
                        yield state
