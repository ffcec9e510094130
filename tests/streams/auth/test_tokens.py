"""Credentials (streams/auth/tokens.py): what they name, and every way a token is refused — forged, expired, revoked, wrong key."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.auth.keys import load, rotate
from streams.auth.tokens import AuthError, issue_token, verify_token
from streams.domain.principals import Principal

NOW = datetime(2031, 5, 1, 12, tzinfo=timezone.utc)
CLERK = Principal("almaty-clerk", "body", bodies=("almaty-akimat", "almaty-roads"), regions=("75",))


@pytest.fixture
def ring(tmp_path):
    return load(tmp_path / "tokens.json")


def test_a_token_names_its_principal_until_it_expires(ring):
    token, claims = issue_token(ring, CLERK, ttl_seconds=3600, now=NOW)
    assert verify_token(ring, token, NOW + timedelta(seconds=3599)) == CLERK
    assert claims["exp"] - claims["iat"] == 3600 and len(claims["jti"]) == 32
    assert jwt.get_unverified_header(token)["kid"] == ring.active
    with pytest.raises(AuthError, match="expired"):
        verify_token(ring, token, NOW + timedelta(seconds=3600))


def test_a_revoked_token_is_refused(ring):
    token, claims = issue_token(ring, CLERK, 3600, NOW)
    with pytest.raises(AuthError, match="revoked"):
        verify_token(ring, token, NOW, revoked={claims["jti"]})
    assert verify_token(ring, token, NOW, revoked={"another-jti"}) == CLERK


def test_a_token_of_another_deployment_is_refused(ring, tmp_path):
    other = load(tmp_path / "other.json")
    token, _ = issue_token(other, CLERK, 3600, NOW)
    with pytest.raises(AuthError, match="does not know"):
        verify_token(ring, token, NOW)


def test_a_token_signed_by_another_key_under_this_kid_is_refused(ring):
    claims = {"iss": "tyndau", "aud": "tyndau-api", "sub": "root", "role": "admin", "iat": 0, "exp": 4_000_000_000, "jti": "x"}
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": ring.active})
    with pytest.raises(AuthError, match="does not verify"):
        verify_token(ring, forged, NOW)


def test_a_token_with_changed_claims_is_refused(ring):
    token, _ = issue_token(ring, CLERK, 3600, NOW)
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "admin"
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(AuthError, match="does not verify"):
        verify_token(ring, f"{head}.{changed}.{signature}", NOW)


def test_an_unsigned_or_hmac_token_is_refused(ring):
    claims = {"iss": "tyndau", "aud": "tyndau-api", "sub": "root", "role": "admin", "iat": 0, "exp": 4_000_000_000, "jti": "x"}
    for token in (jwt.encode(claims, None, algorithm="none", headers={"kid": ring.active}),
                  jwt.encode(claims, "k" * 32, algorithm="HS256", headers={"kid": ring.active})):
        with pytest.raises(AuthError):
            verify_token(ring, token, NOW)


def test_keys_rotate_and_tokens_of_the_old_key_still_verify(tmp_path):
    path = tmp_path / "tokens.json"
    old_token, _ = issue_token(load(path), CLERK, 3600, NOW)
    ring = rotate(path)
    new_token, _ = issue_token(ring, CLERK, 3600, NOW)
    assert jwt.get_unverified_header(new_token)["kid"] == ring.active != jwt.get_unverified_header(old_token)["kid"]
    assert verify_token(ring, old_token, NOW) == verify_token(ring, new_token, NOW) == CLERK


@pytest.mark.parametrize("principal", [Principal("", "body"), Principal("x" * 129, "body"), Principal("a\nb", "body"),
                                       Principal("root", "superuser"), Principal("clerk", "body", bodies=("",))])
def test_a_token_is_not_issued_for_a_principal_out_of_bounds(ring, principal):
    with pytest.raises(AuthError):
        issue_token(ring, principal, 3600, NOW)


def test_a_token_for_the_ledger_is_not_a_credential_for_the_api(ring):
    claims = {"iss": "tyndau", "aud": "tyndau-ledger", "sub": "root", "role": "admin", "iat": 0, "exp": 4_000_000_000, "jti": "x"}
    kid, key = ring.signing_key()
    with pytest.raises(AuthError, match="not meant for"):
        verify_token(ring, jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid}), NOW)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), st.integers(), st.none(), st.lists(st.text(max_size=5))))
def test_any_value_as_a_token_is_refused_with_an_auth_error(tmp_path_factory, value):
    ring = load(tmp_path_factory.getbasetemp() / "fuzz-tokens.json")
    with pytest.raises(AuthError):
        verify_token(ring, value, NOW)


def test_verified_tokens_are_remembered_but_expiry_and_revocation_are_checked_every_time(tmp_path, monkeypatch):
    from streams.auth import tokens
    from streams.auth.tokens import VerifiedTokens

    ring = load(tmp_path / "tokens.json")
    now = datetime.now(timezone.utc)
    token, claims = issue_token(ring, Principal("court-7", "auditor"), 60, now)
    cache = VerifiedTokens()
    assert cache.principal(ring, token, now).name == "court-7"
    calls = []
    monkeypatch.setattr(tokens, "verified_claims", lambda *a: calls.append(a) or pytest.fail("verified again"))
    assert cache.principal(ring, token, now).name == "court-7" and calls == []     # a lookup, no signature check
    with pytest.raises(AuthError, match="revoked"):
        cache.principal(ring, token, now, {claims["jti"]})
    with pytest.raises(AuthError, match="expired"):
        cache.principal(ring, token, now + timedelta(seconds=61))
    monkeypatch.undo()
    other = load(tmp_path / "other.json")
    with pytest.raises(AuthError, match="does not know"):
        cache.principal(other, token, now)          # a new ring forgets what the old one verified
