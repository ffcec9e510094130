"""Command assertions (streams/auth/assertions.py): bound to the command's bytes and id, valid when the record was written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from streams.auth.assertions import ASSERTION_SECONDS, sign_assertion, verify_assertion
from streams.auth.keys import load
from streams.auth.tokens import AuthError, issue_token
from streams.domain.principals import Principal

WRITTEN = datetime(2031, 5, 1, 12, tzinfo=timezone.utc)
GATEWAY = Principal("e-otinish", "gateway")
COMMAND = b'{"type": "withdraw", "command_id": "c-1", "appeal_id": "a-1", "at": "2031-05-01T17:00:00+05:00"}'


@pytest.fixture
def ring(tmp_path):
    return load(tmp_path / "assertions.json")


def test_an_assertion_names_the_principal_of_exactly_these_bytes(ring):
    header = sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN)
    assert verify_assertion(ring, header, COMMAND, "c-1", WRITTEN) == GATEWAY
    # A backlog judged long after: what counts is when the record was written.
    assert verify_assertion(ring, header, COMMAND, "c-1", WRITTEN + timedelta(seconds=ASSERTION_SECONDS - 1)) == GATEWAY


def test_an_assertion_copied_onto_other_bytes_or_another_command_id_is_refused(ring):
    header = sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="another command"):
        verify_assertion(ring, header, COMMAND.replace(b"a-1", b"a-2"), "c-1", WRITTEN)
    with pytest.raises(AuthError, match="another command"):
        verify_assertion(ring, header, COMMAND, "c-2", WRITTEN)


def test_an_assertion_on_a_record_written_after_it_expired_or_before_it_was_made_is_refused(ring):
    header = sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="expired"):
        verify_assertion(ring, header, COMMAND, "c-1", WRITTEN + timedelta(seconds=ASSERTION_SECONDS))
    with pytest.raises(AuthError, match="issued after"):
        verify_assertion(ring, header, COMMAND, "c-1", WRITTEN - timedelta(minutes=5))


def test_no_header_a_bearer_token_or_another_key_s_assertion_proves_nothing(ring, tmp_path):
    with pytest.raises(AuthError, match="no tyndau-auth"):
        verify_assertion(ring, None, COMMAND, "c-1", WRITTEN)
    token, _ = issue_token(ring, GATEWAY, 3600, WRITTEN)     # a credential is not an assertion, even from this key
    with pytest.raises(AuthError, match="not meant for"):
        verify_assertion(ring, token.encode(), COMMAND, "c-1", WRITTEN)
    other = sign_assertion(load(tmp_path / "other.json"), GATEWAY, COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="does not know"):
        verify_assertion(ring, other, COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="not ASCII"):
        verify_assertion(ring, "ключ".encode(), COMMAND, "c-1", WRITTEN)
