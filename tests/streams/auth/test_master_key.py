"""The master key from settings (issue 15): the active key wraps, the previous ones still open what they wrapped."""

from __future__ import annotations

import os

import pytest

from streams import settings
from streams.auth import master_key as module
from streams.domain.sealing import data_key_record, master_key_id, open_data_key


@pytest.fixture
def configured(monkeypatch):
    def use(active: str, previous: tuple[str, ...] = ()):
        monkeypatch.setattr(settings, "MASTER_KEY", active)
        monkeypatch.setattr(settings, "MASTER_KEYS_PREVIOUS", previous)
        module.master_key.cache_clear()
        return module.master_key()
    yield use
    module.master_key.cache_clear()


def test_a_rotated_master_key_wraps_new_keys_and_opens_old_ones(configured):
    old, new = os.urandom(32).hex(), os.urandom(32).hex()
    data_key = os.urandom(32)
    record = data_key_record("A-1", "k1", data_key, configured(old), 0)
    rotated = configured(new, (old,))
    assert rotated.key_id == master_key_id(bytes.fromhex(new)) != record["master_key_id"]
    assert open_data_key(record, rotated) == data_key


@pytest.mark.parametrize("active,previous,problem", [
    ("ab" * 31, (), "TYNDAU_MASTER_KEY has 31 bytes"),
    ("g" * 64, (), "TYNDAU_MASTER_KEY is not hexadecimal"),
    ("ab" * 32, ("cd" * 33,), "TYNDAU_MASTER_KEYS_PREVIOUS has 33 bytes"),
])
def test_a_malformed_setting_is_named(configured, active, previous, problem):
    with pytest.raises(module.MasterKeyError, match=problem):
        configured(active, previous)
