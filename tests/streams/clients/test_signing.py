"""Signing commands without the API (streams/clients/signing.py): for TYNDAU_TOKEN's principal, with the assertion key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from streams import settings
from streams.auth.assertions import verify_assertion
from streams.auth.keys import load
from streams.auth.tokens import issue_token
from streams.clients import signing
from streams.domain.principals import Principal


@pytest.fixture
def auth_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "AUTH_DIR", tmp_path)
    return tmp_path


@pytest.fixture
def broker(kafka, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    return kafka


def test_the_signer_speaks_for_the_token_s_principal_over_exactly_these_bytes(auth_dir, broker):
    token, _ = issue_token(load(auth_dir / "tokens.json"), Principal("legacy", "importer"), 600)
    load(auth_dir / "assertions.json")
    signer = signing.signer_for(signing.token_principal(token))
    header = signer.header(b'{"command_id": "c-1"}', "c-1")
    ring = load(auth_dir / "assertions.json", create=False)
    now = datetime.now(timezone.utc)
    assert verify_assertion(ring, header, b'{"command_id": "c-1"}', "c-1", now) == Principal("legacy", "importer")


def test_without_a_token_the_message_says_how_to_get_one(auth_dir, monkeypatch):
    monkeypatch.setattr(settings, "TOKEN", "")
    with pytest.raises(SystemExit, match="TYNDAU_TOKEN.*tyndau token issue --role importer"):
        signing.token_principal()


def test_a_revoked_token_is_not_accepted(auth_dir, broker):
    import asyncio

    from streams.kafka.revocations import revoke

    token, claims = issue_token(load(auth_dir / "tokens.json"), Principal("leaver", "importer"), 600)
    asyncio.run(revoke(claims["jti"], "cli:test", broker))
    with pytest.raises(SystemExit, match="revoked"):
        signing.token_principal(token)


def test_a_token_of_another_deployment_is_not_accepted(auth_dir, broker, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    token, _ = issue_token(load(other / "tokens.json"), Principal("x", "importer"), 600)
    load(auth_dir / "tokens.json")
    with pytest.raises(SystemExit, match="TYNDAU_TOKEN is not accepted"):
        signing.token_principal(token)


def test_without_the_assertion_key_the_message_says_where_it_is_looked_for(auth_dir):
    with pytest.raises(SystemExit, match="TYNDAU_AUTH_DIR"):
        signing.assertion_ring()
    assert not (auth_dir / "assertions.json").exists()   # a tool never creates the deployment's key


def test_simulations_are_moved_in_as_an_importer():
    assert signing.SIMULATOR.role == "importer"
