"""Sealing personal fields under an appeal's data key (issue 15; Law on Personal Data No. 94-V: data
destroyed when its term ends, here by destroying the key): what is sealed opens only with its key, on its own
event, and the chain covers the sealed bytes."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from streams.domain.chain import chain_problems, seal
from streams.domain.sealing import (KeyUnavailable, LocalMasterKey, data_key_record, master_key_id, open_data_key,
                                    parse_key, personal_values, seal_event, unsealed_fields, withhold_personal)

MASTER = LocalMasterKey(bytes(range(32)))


def answered(text: str | None) -> dict:
    return {"event_id": "e1", "appeal_id": "A-1", "sequence": 1, "event_type": "answered", "prev_hash": "0" * 64,
            "payload": {"answered_on": "2026-01-05", "outcome": "granted", "on_time": True, "text": text}, "sealed": None}


def filed(citizen: dict) -> dict:
    return {"event_id": "e0", "appeal_id": "A-1", "sequence": 1, "event_type": "filed", "prev_hash": "0" * 64,
            "payload": {"category": "roads", "citizen": citizen}, "sealed": None}


@hsettings(max_examples=60, deadline=None)
@given(st.text(min_size=12, max_size=300))
def test_a_sealed_field_opens_with_its_key_only_and_the_clear_field_is_gone(text):
    key = os.urandom(32)
    sealed = seal_event(answered(text), key, "k1", os.urandom(12))
    assert sealed["payload"]["text"] is None and sealed["sealed"]["fields"] == ["text"]
    assert text.encode() not in sealed["sealed"]["ciphertext"]
    assert unsealed_fields(sealed, key) == {"text": text}
    with pytest.raises(KeyUnavailable):
        unsealed_fields(sealed, os.urandom(32))


def test_a_sealed_block_moved_onto_another_event_does_not_open():
    key = os.urandom(32)
    sealed = seal_event(answered("secret"), key, "k1", os.urandom(12))
    moved = {**answered(None), "event_id": "e2", "sealed": sealed["sealed"]}
    with pytest.raises(KeyUnavailable):
        unsealed_fields(moved, key)


def test_the_citizen_record_is_sealed_whole_and_the_chain_verifies_without_the_key():
    citizen = {"iin": "900101300123", "bin": None, "name": "Айгүл Серікқызы", "contact": "+77010000000", "text": "Жол"}
    event = seal(seal_event(filed(citizen), os.urandom(32), "k1", os.urandom(12)))
    assert event["payload"]["citizen"] is None and personal_values(event) == {}
    assert chain_problems([event]) == []        # the hash covers the ciphertext: no key is needed to verify


def test_an_event_without_personal_values_is_left_as_it_is():
    event = answered(None)
    assert seal_event(event, os.urandom(32), "k1", os.urandom(12)) is event
    assert withhold_personal(answered("x"))["payload"]["text"] is None


def test_a_data_key_wrapped_by_a_retired_master_key_still_opens_and_an_unknown_one_says_so():
    data_key = os.urandom(32)
    record = data_key_record("A-1", "k1", data_key, MASTER, 0)
    rotated = LocalMasterKey(os.urandom(32), (bytes(range(32)),))
    assert record["master_key_id"] == master_key_id(bytes(range(32))) != rotated.key_id
    assert open_data_key(record, rotated) == data_key
    with pytest.raises(KeyUnavailable, match="not among the configured ones"):
        open_data_key(record, LocalMasterKey(os.urandom(32)))
    with pytest.raises(KeyUnavailable):   # bound to its appeal: the same bytes under another appeal id do not open
        open_data_key({**record, "appeal_id": "A-2"}, MASTER)


@pytest.mark.parametrize("text,problem", [("ab" * 31, "has 31 bytes"), ("zz" * 32, "not hexadecimal"), ("", "has 0 bytes")])
def test_a_master_key_setting_must_be_64_hex_digits(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_key(text, "TYNDAU_MASTER_KEY")
