"""streams/agents/ledger_store.py: states round-trip through their encoding, hostile bytes are refused as CorruptState,
and a partition's database keeps states, offsets and the watch index across a reopen, or is discarded when unusable."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types
import typing
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rocksdict import AccessType, Options, Rdict

from streams.agents.ledger_store import FORMAT, CorruptState, LedgerStore, PartitionState, decode_state, encode_state
from streams.domain.state import ANSWERED, ESCALATED, OPEN, WITHDRAWN, AppealState
from streams.settings import ROOT
from tests.support.appeals import FIELDS, FILED_AT, Appeal

HINTS = typing.get_type_hints(AppealState)
NAMES = [f.name for f in dataclasses.fields(AppealState)]
NOTICES = tuple[tuple[str, date, str], ...]


# --- states folded from real events ---------------------------------------------------------------------------------

def folded(appeal_id: str, *acts: str, filed: datetime = FILED_AT) -> AppealState:
    """The state of an appeal filed at `filed`, then the `acts` one day apart, as the ledger folds them."""
    appeal = Appeal(appeal_id=appeal_id)
    for n, kind in enumerate(("file", *acts)):
        appeal.event(kind, filed + timedelta(days=n), **({} if kind == "file" else FIELDS[kind]))
    return appeal.state


def test_the_folded_states_used_here_are_what_their_names_say():
    assert folded("A").status == OPEN
    assert folded("A", "escalate").status == ESCALATED
    assert folded("A", "answer").status == ANSWERED
    assert folded("A", "withdraw").status == WITHDRAWN
    assert folded("A", "route", "extend").notices_owed != ()


# --- the encoding ---------------------------------------------------------------------------------------------------

# Fixed UTC offsets in whole minutes, as the domain's parser and the Avro decoder produce them (ZoneInfo zones are
# left out: their datetimes at a fold compare unequal to any other zone's by Python's rules, whatever the instant).
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2149, 12, 31), timezones=OFFSETS)
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
TEXT = st.text(max_size=30)   # any Unicode but lone surrogates: Cyrillic, Kazakh, emoji, NUL
VALUES: dict[object, st.SearchStrategy] = {
    str: TEXT,
    int: st.integers(-(2 ** 63), 2 ** 63 - 1),
    bool: st.booleans(),
    date: DAYS,
    datetime: MOMENTS,
    frozenset[str]: st.frozensets(TEXT, max_size=6),
    NOTICES: st.lists(st.tuples(TEXT, DAYS, TEXT), max_size=4).map(tuple),
}


def strategy_of(hint) -> st.SearchStrategy:
    """Values of an AppealState field's type; a type not listed here fails, so a new kind of field gets a strategy."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return st.none() | strategy_of(inner)
    return VALUES[hint]


STATES = st.builds(AppealState, **{name: strategy_of(HINTS[name]) for name in NAMES})


def conforms(value, hint) -> bool:
    """Whether `value` is of the field type `hint` exactly (bool is not an int, a date is not a datetime)."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and type(None) in args:
        return value is None or conforms(value, next(a for a in args if a is not type(None)))
    if hint == frozenset[str]:
        return type(value) is frozenset and all(type(x) is str for x in value)
    if hint == NOTICES:
        return type(value) is tuple and all(type(n) is tuple and len(n) == 3 and type(n[0]) is str
                                            and type(n[1]) is date and type(n[2]) is str for n in value)
    if hint is datetime:
        return type(value) is datetime and value.utcoffset() is not None
    return type(value) is hint


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STATES)
def test_any_state_round_trips(state):
    raw = encode_state(state)
    back = decode_state(raw)
    assert back == state
    assert all(conforms(getattr(back, name), HINTS[name]) for name in NAMES)
    assert [getattr(back, n).utcoffset() for n in NAMES if isinstance(getattr(back, n), datetime)] == \
           [getattr(state, n).utcoffset() for n in NAMES if isinstance(getattr(state, n), datetime)]
    assert encode_state(back) == raw


@pytest.mark.parametrize("acts", [(), ("escalate",), ("answer", "rate"), ("withdraw",), ("route", "extend"),
                                  ("answer", "reopen"), ("answer", "rate", "escalate")])
def test_folded_states_round_trip(acts):
    state = folded("Ä-1 апелляция", *acts)
    assert decode_state(encode_state(state)) == state


def test_a_time_given_with_an_offset_in_seconds_round_trips():
    """The domain accepts `at` with an offset in seconds (Python's ISO parser does); the state keeps it as given."""
    state = folded("A-1", filed=datetime(2021, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=7, seconds=48))))
    assert decode_state(encode_state(state)).filed_at == state.filed_at


# --- hostile bytes --------------------------------------------------------------------------------------------------

def refused(raw: bytes) -> bool:
    """True when decode_state refuses `raw` as CorruptState; any other exception fails the test."""
    try:
        decode_state(raw)
    except CorruptState:
        return True
    return False


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_state_or_corrupt_state(raw):
    try:
        state = decode_state(raw)
    except CorruptState:
        return
    assert all(conforms(getattr(state, name), HINTS[name]) for name in NAMES)


GOOD = orjson.loads(encode_state(folded("A-1", "route", "extend")))
JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1) | st.floats(allow_nan=False)
                    | st.text(max_size=12) | DAYS.map(date.isoformat) | MOMENTS.map(datetime.isoformat),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=12)


@settings(max_examples=250, deadline=None)
@given(st.integers(0, len(NAMES) - 1), JSON)
def test_a_field_replaced_by_any_json_gives_a_state_of_the_right_types_or_corrupt_state(index, value):
    fields = list(GOOD)
    fields[index] = value
    try:
        state = decode_state(orjson.dumps(fields))
    except CorruptState:
        return
    assert all(conforms(getattr(state, name), HINTS[name]) for name in NAMES), (NAMES[index], value)


WRONG: dict[object, list] = {   # JSON values that are not of the kind, per kind of field
    str: [1, 1.5, True, [], {}, ["x"]],
    int: ["1", 1.5, True, False, [], {}, 1e30],
    bool: [0, 1, "true", [], {}],
    date: [20210301, "2021-13-01", "2021-03-01T00:00:00+00:00", "yesterday", "", [], {}],
    datetime: ["2021-03-01T09:00:00", "2021-03-01", "2021-03-01T09:00:00+25:00", 1614571200, "", [], {}],
    frozenset[str]: ["c1", [1], [None], [["c1"]], {"c1": 1}, 7],
    NOTICES: ["x", [None], [["extension", "2021-03-05"]], [["extension", "2021-03-05", "body", 1]],
              [["extension", 5, "body"]], [[1, "2021-03-05", "body"]], [["extension", "2021-03-05", None]],
              [["extension", "2021-02-30", "body"]], {"extension": 1}],
}


def base_hint(hint):
    args = typing.get_args(hint)
    return next(a for a in args if a is not type(None)) if isinstance(hint, types.UnionType) else hint


@pytest.mark.parametrize("name,value", [(name, value) for name in NAMES for value in WRONG[base_hint(HINTS[name])]])
def test_a_field_of_the_wrong_type_is_corrupt(name, value):
    fields = list(GOOD)
    fields[NAMES.index(name)] = value
    assert refused(orjson.dumps(fields))


@pytest.mark.parametrize("name", [n for n in NAMES if not (isinstance(HINTS[n], types.UnionType))])
def test_null_in_a_field_that_is_never_null_is_corrupt(name):
    fields = list(GOOD)
    fields[NAMES.index(name)] = None
    assert refused(orjson.dumps(fields))


@pytest.mark.parametrize("raw", [orjson.dumps(GOOD[:-1]), orjson.dumps(GOOD + [None]), orjson.dumps([]),
                                 orjson.dumps(dict(zip(NAMES, GOOD))), b"null", b"7", b'"state"', b"", b"[",
                                 b"\xff\xfe", encode_state(folded("A-1"))[:-1], b'["\\ud800"]'])
def test_anything_but_a_list_of_every_field_is_corrupt(raw):
    assert refused(raw)


def test_the_encoding_is_checked_against_the_domains_own_states():
    """The hostile cases above start from a valid record: it must decode, or they prove nothing."""
    assert decode_state(orjson.dumps(GOOD)) == folded("A-1", "route", "extend")


# --- one partition's database ---------------------------------------------------------------------------------------

def raw_db(path: Path) -> Rdict:
    """The partition's RocksDB opened directly, as a disk fault or another version of the code would leave it."""
    options = Options(raw_mode=True)
    return Rdict(str(path), options=options, access_type=AccessType.read_write())


def tamper(path: Path, changes: dict[bytes, bytes | None]) -> None:
    """Put (or, for None, delete) these keys in the partition's database."""
    db = raw_db(path)
    try:
        for key, value in changes.items():
            if value is None:
                db.delete(key)
            else:
                db.put(key, value)
    finally:
        db.close()


@pytest.fixture
def appeals() -> dict[str, AppealState]:
    return {"open": folded("P-open"), "escalated": folded("P-escalated", "escalate"),
            "answered": folded("P-answered", "answer", "rate"), "withdrawn": folded("P-withdrawn", "withdraw"),
            "extended": folded("P-extended", "route", "extend")}


def written(root: Path, states: dict[str, AppealState], offset: int | None = 41, judged: int | None = 17,
            partition: int = 3) -> None:
    store = LedgerStore(root, cache_size=100)
    store.open(partition).write({s.appeal_id: s for s in states.values()}, offset, judged)
    store.close_all()


def test_states_offsets_and_the_watch_index_survive_a_reopen(tmp_path, appeals):
    written(tmp_path, appeals)
    store = LedgerStore(tmp_path, cache_size=100)
    held = store.open(3)
    assert held.cache == {}   # what follows is read from disk
    assert {a: store.get(3, s.appeal_id) for a, s in appeals.items()} == appeals
    assert (held.offset, held.judged_upto) == (41, 17)
    assert held.watched == {s.appeal_id: s.due_on for s in appeals.values() if s.status in (OPEN, ESCALATED)}
    assert set(held.watched) == {"P-open", "P-escalated", "P-extended"}
    assert store.get(3, "P-unknown") is None and store.get(4, "P-open") is None
    store.close_all()
    assert (tmp_path / "p3").is_dir() and (tmp_path / "p4").is_dir()


def test_an_appeal_leaves_the_watch_index_when_answered_or_withdrawn_and_returns_when_reopened(tmp_path):
    store = LedgerStore(tmp_path, cache_size=100)
    held = store.open(0)
    held.write({"W-1": folded("W-1"), "W-2": folded("W-2", "escalate")}, 1, None)
    assert set(held.watched) == {"W-1", "W-2"}
    held.write({"W-1": folded("W-1", "answer"), "W-2": folded("W-2", "escalate", "withdraw")}, 3, None)
    assert held.watched == {}
    store.close_all()
    store = LedgerStore(tmp_path, cache_size=100)
    assert store.open(0).watched == {}
    reopened = folded("W-1", "answer", "reopen")
    store.open(0).write({"W-1": reopened}, 4, None)
    store.close_all()
    store = LedgerStore(tmp_path, cache_size=100)
    assert store.open(0).watched == {"W-1": reopened.due_on}
    store.close_all()


def test_offsets_only_move_forward(tmp_path, appeals):
    held = PartitionState(tmp_path / "p0", cache_size=10)
    held.write({}, 10, 5)
    held.write({}, 7, 3)          # an older batch, read again in recovery
    assert (held.offset, held.judged_upto) == (10, 5)
    held.write({}, None, None)
    assert (held.offset, held.judged_upto) == (10, 5)
    held.write({}, 12, None)      # rejections only: no events
    held.write({}, 11, 9)
    assert (held.offset, held.judged_upto) == (12, 9)
    held.close()
    again = PartitionState(tmp_path / "p0", cache_size=10)
    assert (again.offset, again.judged_upto) == (12, 9)
    again.close()


def test_a_new_database_has_no_offsets(tmp_path):
    held = PartitionState(tmp_path / "p0", cache_size=10)
    assert (held.offset, held.judged_upto, held.watched) == (None, None, {})
    held.close()
    db = raw_db(tmp_path / "p0")
    assert db.get(b"m:format") == FORMAT.encode()
    db.close()


@pytest.mark.parametrize("size", [1, 3, 7])
def test_the_cache_holds_at_most_cache_size_states(tmp_path, size):
    states = {f"C-{i}": folded(f"C-{i}", *(("answer",) if i % 2 else ())) for i in range(12)}
    held = PartitionState(tmp_path / "p0", cache_size=size)
    held.write(dict(list(states.items())[:6]), 1, None)
    assert len(held.cache) <= size
    held.write(dict(list(states.items())[6:]), 2, None)
    assert len(held.cache) <= size
    for appeal_id, state in states.items():   # evicted ones are read back from disk
        assert held.get(appeal_id) == state
        assert len(held.cache) <= size
    assert held.get("C-11") is held.cache["C-11"]   # the last one read is cached
    held.close()


# --- unusable databases ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    {b"m:format": b"0:0123456789abcdef"},       # written by another version of the fold
    {b"m:format": b""},
    {b"m:format": None},                        # an offset but no format: what a corrupt state leaves (see below)
    {b"m:offset": b"forty-one"},
    {b"m:offset": b"\xff\xfe"},
    {b"m:judged": b"4.5"},
    {b"w:P-open": b"soon"},    # an unreadable watch entry
    {b"w:P-open": b"0"},       # not a day's ordinal
    {b"w:\xff": b"738000"},    # a key that is not UTF-8
], ids=lambda changes: ",".join(f"{k!r}={v!r}" for k, v in changes.items()))
def test_a_database_that_cannot_be_used_is_discarded_on_open(tmp_path, appeals, changes):
    written(tmp_path, appeals, partition=0)
    tamper(tmp_path / "p0", changes)
    store = LedgerStore(tmp_path, cache_size=100)
    held = store.open(0)
    assert (held.offset, held.judged_upto, held.watched) == (None, None, {})
    assert all(store.get(0, s.appeal_id) is None for s in appeals.values())
    held.write({"P-open": appeals["open"]}, 5, 2)   # the fresh database is used, and kept
    store.close_all()
    again = PartitionState(tmp_path / "p0", cache_size=100)
    assert (again.offset, again.judged_upto, set(again.watched)) == (5, 2, {"P-open"})
    assert again.get("P-open") == appeals["open"]
    again.close()


def test_a_database_rocksdb_cannot_open_is_discarded(tmp_path, appeals):
    written(tmp_path, appeals, partition=0)
    (tmp_path / "p0" / "CURRENT").write_bytes(b"MANIFEST-999999\n")   # names a manifest that is not there
    held = PartitionState(tmp_path / "p0", cache_size=10)
    assert (held.offset, held.judged_upto, held.watched) == (None, None, {})
    assert held.get("P-open") is None
    held.close()


def test_a_database_of_this_format_is_kept(tmp_path, appeals):
    written(tmp_path, appeals, partition=0)
    tamper(tmp_path / "p0", {b"m:format": FORMAT.encode()})
    held = PartitionState(tmp_path / "p0", cache_size=10)
    assert held.offset == 41 and held.get("P-open") == appeals["open"]
    held.close()


READ_ONE = """
import sys
from pathlib import Path
from streams.agents.ledger_store import LedgerStore
store = LedgerStore(Path(sys.argv[1]), 10)
state = store.get(0, sys.argv[2])
print("went on with", state, flush=True)
"""


def test_a_corrupt_state_stops_the_process_and_the_next_open_discards_the_database(tmp_path, appeals):
    written(tmp_path, appeals, partition=0)
    record = encode_state(appeals["open"])
    tamper(tmp_path / "p0", {b"s:P-open": record.replace(b'"open"', b'"open",1', 1)})   # one field too many
    done = subprocess.run([sys.executable, "-c", READ_ONE, str(tmp_path), "P-open"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 70, done.stderr
    assert "went on" not in done.stdout
    assert "cannot be read" in done.stderr
    held = PartitionState(tmp_path / "p0", cache_size=10)
    assert (held.offset, held.judged_upto, held.watched) == (None, None, {})
    assert held.get("P-open") is None and held.get("P-escalated") is None
    held.close()


def test_a_good_state_read_in_a_process_of_its_own_does_not_stop_it(tmp_path, appeals):
    written(tmp_path, appeals, partition=0)
    done = subprocess.run([sys.executable, "-c", READ_ONE, str(tmp_path), "P-escalated"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "went on with AppealState(appeal_id='P-escalated'" in done.stdout, done.stderr


# --- the deadline watcher's view ------------------------------------------------------------------------------------

def test_watched_yields_the_open_and_escalated_appeals_due_before_the_day(tmp_path):
    early = folded("D-early")                                             # due 2021-03-26
    late = folded("D-late", "escalate", filed=FILED_AT + timedelta(days=31))
    answered = folded("D-answered", "answer")
    withdrawn = folded("D-withdrawn", "withdraw")
    elsewhere = folded("D-elsewhere")                                     # a partition not asked for
    assert early.due_on < late.due_on
    store = LedgerStore(tmp_path, cache_size=2)
    store.open(0).write({s.appeal_id: s for s in (early, answered)}, 1, None)
    store.open(1).write({s.appeal_id: s for s in (late, withdrawn)}, 1, None)
    store.open(2).write({elsewhere.appeal_id: elsewhere}, 1, None)

    def due(before: date) -> list[str]:
        return sorted(s.appeal_id for s in store.watched([0, 1], before))

    assert due(early.due_on) == []                                        # strictly before the day
    assert due(early.due_on + timedelta(days=1)) == ["D-early"]
    assert due(late.due_on) == ["D-early"]
    assert due(late.due_on + timedelta(days=1)) == ["D-early", "D-late"]
    assert due(date(2100, 1, 1)) == ["D-early", "D-late"]
    assert sorted(s.appeal_id for s in store.watched([2], date(2100, 1, 1))) == ["D-elsewhere"]
    assert list(store.watched([], date(2100, 1, 1))) == []
    store.close_all()
    reopened = LedgerStore(tmp_path, cache_size=2)                        # from disk, with an empty cache
    assert list(reopened.watched([0, 1], date(2100, 1, 1))) == [early, late]
    reopened.close_all()
