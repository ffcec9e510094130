"""Signing keys (streams/auth/keys.py): created once, readable by the deployment only, rotated without losing the old ones."""

from __future__ import annotations

import json
import stat

import pytest

from streams.auth.keys import KeyFileError, load, rotate


def test_a_key_file_is_created_once_and_only_its_owner_may_read_it(tmp_path):
    path = tmp_path / "auth" / "tokens.json"
    first = load(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load(path)
    assert again.active == first.active and set(again.private) == {first.active}
    assert again.public(first.active).public_bytes_raw() == first.public(first.active).public_bytes_raw()
    assert again.public("no-such-kid") is None


def test_rotation_signs_with_a_new_key_and_keeps_the_old_one_for_verifying(tmp_path):
    path = tmp_path / "tokens.json"
    old = load(path)
    new = rotate(path)
    assert new.active != old.active and set(new.private) == {old.active, new.active}
    assert load(path).active == new.active


def test_a_missing_file_is_not_created_when_asked_not_to(tmp_path):
    with pytest.raises(KeyFileError, match="no key file"):
        load(tmp_path / "absent.json", create=False)
    assert not (tmp_path / "absent.json").exists()


@pytest.mark.parametrize("content", ["not json", "{}", '{"active": "a", "keys": {}}', '{"active": "a", "keys": {"a": "junk"}}',
                                     "[]"])
def test_a_damaged_key_file_is_refused_with_its_path(tmp_path, content):
    path = tmp_path / "tokens.json"
    path.write_text(content)
    with pytest.raises(KeyFileError) as refused:
        load(path)
    assert str(path) in str(refused.value)
    assert json.dumps(content) not in str(refused.value)   # the file's content is never echoed


def test_a_ring_file_keeps_the_ring_it_had_when_the_file_turns_unreadable(tmp_path, caplog):
    from streams.auth.keys import RingFile

    path = tmp_path / "tokens.json"
    ring_file = RingFile(path)
    first = ring_file.current()
    path.write_text("{ half a file")
    ring_file._checked = 0.0                     # look again now, not a second later
    with caplog.at_level("ERROR"):
        assert ring_file.current() is first
    assert "keeping the key ring" in caplog.text
    rotated = rotate_after_repair(path, first)
    ring_file._checked = 0.0
    assert ring_file.current().active == rotated.active


def rotate_after_repair(path, ring):
    from streams.auth.keys import _write, rotate
    _write(path, ring.active, ring.private)
    return rotate(path)


def test_a_new_key_file_is_created_once_even_when_two_processes_race(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "auth" / "assertions.json"
    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: load(path), range(16)))
    assert len({ring.active for ring in rings}) == 1 and load(path).active == rings[0].active
    assert oct(path.stat().st_mode & 0o777) == "0o600"
