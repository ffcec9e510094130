"""The per-appeal hash chain: canonical bytes, the event hash, sealing and finding every break."""

from __future__ import annotations

import copy
import hashlib
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.chain import GENESIS_HASH, canonical_bytes, canonical_bytes_reference, chain_problems, event_hash, seal
from tests.support.appeals import build

EVERY_TYPE = ["file", "route", "extend", "notify", "escalate", "answer", "rate", "reopen", "overdue", "withdraw"]

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20) | st.uuids()
           | st.binary(max_size=8) | st.dates() | st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2149, 12, 30),
                                                                 timezones=offsets))
keys = st.text(max_size=8)
values = scalars | st.lists(scalars, max_size=2) | st.dictionaries(keys, scalars, max_size=2)
events = st.dictionaries(keys, values, max_size=4).map(lambda body: {**body, "prev_hash": GENESIS_HASH})


_, CHAIN = build(EVERY_TYPE)


def chain() -> list[dict]:
    """One sealed event of every type, as the domain code builds them (a fresh copy each call)."""
    return copy.deepcopy(CHAIN)


def leaves(value, path=()):
    """(path, value) of every scalar in an event, the hash excluded."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if path or key != "hash":
                yield from leaves(inner, path + (key,))
    else:
        yield path, value


def changed(value, k: int):
    """A different value of the same kind (k ≥ 1)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + k
    if isinstance(value, datetime):
        return value + timedelta(microseconds=k)
    if isinstance(value, date):
        return value + timedelta(days=k)
    if isinstance(value, str):
        return value + "x" * k
    if value is None:
        return "x" * k
    if isinstance(value, list):   # an actor's empty scope (bodies, regions)
        return value + ["x" * k]
    raise AssertionError(f"no change for {value!r}")


def set_at(event: dict, path: tuple, value) -> None:
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@settings(max_examples=200, deadline=None)
@given(events)
def test_canonical_bytes_match_the_standard_library_definition(event):
    assert canonical_bytes(event) == canonical_bytes_reference(event)


def test_canonical_bytes_of_a_real_chain_match_the_standard_library_definition():
    for event in chain():
        assert canonical_bytes(event) == canonical_bytes_reference(event)


def test_canonical_form_is_sorted_compact_utf8_with_utc_times():
    """README, the hash chain: sorted keys, no spaces, UTF-8 as is, times UTC YYYY-MM-DDTHH:MM:SS.ffffffZ,
    dates YYYY-MM-DD, UUIDs in their text form; the hash itself is left out."""
    event = {"prev_hash": GENESIS_HASH, "hash": "ignored", "b": "Жол жөндеу", "a": 1, "flag": True, "none": None,
             "at": datetime(2021, 3, 1, 9, 15, tzinfo=timezone(timedelta(hours=6))), "on": date(2021, 3, 22),
             "id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "nested": {"z": [1, 2], "y": "ә"}}
    expected = ('{"a":1,"at":"2021-03-01T03:15:00.000000Z","b":"Жол жөндеу","flag":true,'
                '"id":"12345678-1234-5678-1234-567812345678","nested":{"y":"ә","z":[1,2]},"none":null,"on":"2021-03-22",'
                f'"prev_hash":"{GENESIS_HASH}"}}')
    assert canonical_bytes(event) == expected.encode("utf-8")


def test_the_same_instant_in_any_offset_has_the_same_bytes():
    at = datetime(2021, 3, 1, 9, 15, 0, 123456, tzinfo=timezone(timedelta(hours=6)))
    elsewhere = at.astimezone(timezone(timedelta(hours=-3, minutes=-30)))
    assert canonical_bytes({"prev_hash": GENESIS_HASH, "at": at}) == canonical_bytes({"prev_hash": GENESIS_HASH, "at": elsewhere})


def test_canonical_bytes_refuse_a_value_they_cannot_write():
    with pytest.raises(TypeError):
        canonical_bytes({"prev_hash": GENESIS_HASH, "odd": {1, 2}})


def test_event_hash_is_sha256_of_prev_hash_then_canonical_bytes():
    for event in chain():
        expected = hashlib.sha256(event["prev_hash"].encode("ascii") + canonical_bytes_reference(event)).hexdigest()
        assert event_hash(event) == expected == event["hash"]


def test_seal_sets_the_hash_on_the_event_itself():
    _, events = build(["file"])
    event = dict(events[0], hash="")
    sealed = seal(event)
    assert sealed is event
    assert len(event["hash"]) == 64 and set(event["hash"]) <= set("0123456789abcdef")
    assert event["hash"] == event_hash(dict(event, hash="anything else"))


def test_a_built_chain_starts_at_genesis_links_every_event_and_has_no_problems():
    events = chain()
    assert GENESIS_HASH == "0" * 64 and events[0]["prev_hash"] == GENESIS_HASH
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:]))
    assert chain_problems(events) == []
    assert chain_problems([]) == []


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_changing_any_field_of_any_event_changes_its_hash_and_is_reported(data):
    events = CHAIN
    n = data.draw(st.integers(0, len(events) - 1), label="event")
    paths = sorted(dict(leaves(events[n])), key=repr)
    path = data.draw(st.sampled_from(paths), label="field")
    k = data.draw(st.integers(1, 5), label="change")
    tampered = copy.deepcopy(events)
    old = dict(leaves(events[n]))[path]
    set_at(tampered[n], path, changed(old, k))
    if path == ("prev_hash",):
        assert (n + 1, "prev_hash does not match the previous event's hash") in chain_problems(tampered)
    assert event_hash(tampered[n]) != events[n]["hash"]
    assert (tampered[n]["sequence"], "hash does not match the event's content") in chain_problems(tampered)


def test_adding_or_removing_a_field_changes_the_hash():
    event = chain()[5]
    assert event["event_type"] == "answered"
    assert event_hash(dict(event, extra=None)) != event["hash"]
    smaller = {k: v for k, v in event.items() if k != "region"}
    assert event_hash(smaller) != event["hash"]
    payload = {k: v for k, v in event["payload"].items() if k != "text"}
    assert event_hash(dict(event, payload=payload)) != event["hash"]


def test_the_hash_field_itself_is_not_hashed():
    event = chain()[2]
    assert event_hash(dict(event, hash="f" * 64)) == event["hash"]


def test_a_resealed_forgery_breaks_the_link_to_the_next_event():
    events = copy.deepcopy(chain())
    events[3]["payload"]["reason"] = "repeated"
    seal(events[3])
    assert chain_problems(events) == [(5, "prev_hash does not match the previous event's hash")]


def test_a_missing_event_is_reported_by_sequence_and_link():
    events = chain()
    problems = chain_problems(events[:2] + events[3:])
    assert problems == [(4, "sequence 4 where 3 was expected"), (4, "prev_hash does not match the previous event's hash")]


def test_swapped_events_are_reported():
    events = chain()
    problems = chain_problems([events[0], events[2], events[1]] + events[3:])
    assert (3, "sequence 3 where 2 was expected") in problems and (2, "sequence 2 where 4 was expected") in problems
    assert {seq for seq, _ in problems} == {2, 3, 4}


def test_a_first_event_that_does_not_start_at_genesis_is_reported():
    events = chain()
    assert chain_problems(events[1:])[:2] == [(2, "sequence 2 where 1 was expected"),
                                              (2, "prev_hash does not match the previous event's hash")]
