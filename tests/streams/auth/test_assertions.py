"""Command assertions (streams/auth/assertions.py): bound to the command's bytes and id, valid when the record was written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from streams.auth.assertions import AUTH_AUDIENCE, ASSERTION_SECONDS, mac_key, sign_assertion, verify_assertion
from streams.auth.keys import KeyRing, load
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
    with pytest.raises(AuthError, match="does not know"):
        verify_assertion(ring, token.encode(), COMMAND, "c-1", WRITTEN)
    # Made with the assertion key but for the API's audience (or any other): not for the ledger.
    claims = jwt.decode(sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN), options={"verify_signature": False})
    for audience in ("tyndau-api", None):
        elsewhere = jwt.encode(dict(claims, aud=audience), mac_key(ring, ring.active), "HS256", headers={"kid": ring.active})
        with pytest.raises(AuthError, match="not meant for the ledger"):
            verify_assertion(ring, elsewhere.encode(), COMMAND, "c-1", WRITTEN)
    other = sign_assertion(load(tmp_path / "other.json"), GATEWAY, COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="does not know"):
        verify_assertion(ring, other, COMMAND, "c-1", WRITTEN)
    same_kid = KeyRing(ring.path, ring.active, {ring.active: Ed25519PrivateKey.generate()})
    with pytest.raises(AuthError, match="does not verify"):
        verify_assertion(ring, sign_assertion(same_kid, GATEWAY, COMMAND, "c-1", WRITTEN), COMMAND, "c-1", WRITTEN)
    with pytest.raises(AuthError, match="compact JWS"):
        verify_assertion(ring, "ключ".encode(), COMMAND, "c-1", WRITTEN)


def test_an_assertion_is_a_standard_jws_that_pyjwt_verifies(ring):
    header = sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN)
    claims = jwt.decode(header, mac_key(ring, ring.active), algorithms=["HS256"], audience=AUTH_AUDIENCE,
                        options={"verify_exp": False, "verify_iat": False})
    assert (claims["sub"], claims["role"], claims["cid"], claims["iss"]) == ("e-otinish", "gateway", "c-1", "tyndau")
    assert jwt.get_unverified_header(header) == {"alg": "HS256", "kid": ring.active, "typ": "JWT"}


def test_a_rotated_ring_still_verifies_what_the_older_key_made(tmp_path):
    from streams.auth.keys import rotate
    ring = load(tmp_path / "assertions.json")
    header = sign_assertion(ring, GATEWAY, COMMAND, "c-1", WRITTEN)
    rotated = rotate(tmp_path / "assertions.json")
    assert verify_assertion(rotated, header, COMMAND, "c-1", WRITTEN) == GATEWAY
    assert jwt.get_unverified_header(sign_assertion(rotated, GATEWAY, COMMAND, "c-1", WRITTEN))["kid"] == rotated.active


@given(st.one_of(st.binary(max_size=300), st.text(max_size=300), st.none(), st.integers(),
                 st.lists(st.binary(max_size=40), max_size=3).map(b".".join)))
def test_any_header_value_is_a_principal_or_an_auth_error(value):
    ring = RING
    try:
        verify_assertion(ring, value, COMMAND, "c-1", WRITTEN)
    except AuthError as error:
        assert error.reason == "unauthenticated" and error.detail


RING = KeyRing(__import__("pathlib").Path("/nonexistent"), "k", {"k": Ed25519PrivateKey.generate()})


@given(st.binary(min_size=1, max_size=60))
def test_a_tampered_assertion_never_verifies(junk):
    header = sign_assertion(RING, GATEWAY, COMMAND, "c-1", WRITTEN)
    at = len(junk) % len(header)
    tampered = header[:at] + junk + header[at + 1:]
    if tampered != header:
        with pytest.raises(AuthError):
            verify_assertion(RING, tampered, COMMAND, "c-1", WRITTEN)


def test_a_hostile_command_id_of_any_length_still_makes_a_checkable_assertion():
    long_id = "x" * 60_000
    command = ('{"type": "withdraw", "command_id": "%s"}' % long_id).encode()
    header = sign_assertion(RING, GATEWAY, command, long_id, WRITTEN)
    assert len(header) < 1024
    assert verify_assertion(RING, header, command, long_id, WRITTEN) == GATEWAY
    with pytest.raises(AuthError, match="another command"):
        verify_assertion(RING, header, command, long_id + "y", WRITTEN)
