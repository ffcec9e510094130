"""Sending commands as a principal without the API: a tool given the deployment's assertion key signs
each command the way the API does (`tyndau-auth`), for the principal its credential names.

`tyndau publish` acts for the principal of TYNDAU_TOKEN, verified with the deployment's token key
and checked against the revocations;
`tyndau simulate` moves a synthetic history in as the importer `simulate`. Whoever holds the
assertion key can speak for any principal, so it is kept like the API's own secrets.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from aiokafka.errors import KafkaError

from .. import settings
from ..topics import REVOCATIONS
from ..auth.assertions import sign_assertion
from ..auth.keys import ASSERTIONS_FILE, TOKENS_FILE, KeyRing, KeyFileError, load
from ..auth.tokens import AuthError, verify_token
from ..domain.principals import Principal

SIMULATOR = Principal("simulate", "importer")   # the synthetic histories of `tyndau simulate`


class Signer(NamedTuple):
    ring: KeyRing
    principal: Principal

    def header(self, command: bytes, command_id: str | None) -> bytes:
        return sign_assertion(self.ring, self.principal, command, command_id, datetime.now(timezone.utc))


def assertion_ring() -> KeyRing:
    try:
        return load(settings.AUTH_DIR / ASSERTIONS_FILE, create=False)
    except KeyFileError as error:
        raise SystemExit(f"{error}. Commands sent without the API are signed with the deployment's assertion key: set "
                         "TYNDAU_AUTH_DIR to the folder that holds it (a development worker creates it on first start)") from None


def token_principal(token: str | None = None) -> Principal:
    """The principal of `token` (default TYNDAU_TOKEN), verified with the deployment's token key."""
    token = settings.TOKEN if token is None else token
    if not token:
        raise SystemExit("this command acts for a principal: set TYNDAU_TOKEN to its credential, e.g. "
                         "export TYNDAU_TOKEN=$(tyndau token issue --role importer | tail -1)")
    try:
        ring = load(settings.AUTH_DIR / TOKENS_FILE, create=False)
    except KeyFileError as error:
        raise SystemExit(f"{error}; TYNDAU_AUTH_DIR must hold the deployment's token key") from None
    import asyncio

    from ..kafka.revocations import revoked_now

    try:
        revoked = asyncio.run(revoked_now())
    except KafkaError as error:
        raise SystemExit(f"cannot read {REVOCATIONS} at {settings.KAFKA_BOOTSTRAP} ({type(error).__name__}) to check "
                         "TYNDAU_TOKEN; start Kafka (`tyndau up`) or set TYNDAU_KAFKA") from None
    try:
        return verify_token(ring, token, datetime.now(timezone.utc), revoked)
    except AuthError as error:
        raise SystemExit(f"TYNDAU_TOKEN is not accepted: {error.detail}") from None


def signer_for(principal: Principal | None = None) -> Signer:
    """A signer for `principal` (default: TYNDAU_TOKEN's)."""
    return Signer(assertion_ring(), principal or token_principal())
