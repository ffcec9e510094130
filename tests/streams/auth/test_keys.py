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
