"""The `tyndau-auth` header of a command: the API's signed statement of who sent exactly these bytes.

Bearer tokens never go onto Kafka, where anyone who reads a topic could replay them. The API
verifies the caller's token and writes the command with an assertion instead: a JWT signed by the
API's own key, naming the principal and bound to the SHA-256 of the command's bytes and to its
command_id, valid for a few minutes from the moment it was written. The ledger checks it against
the record's own bytes and the record's timestamp (when it was written), so a backlog judged
later is not refused, while the assertion copied onto other bytes, or onto a record written
later, is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from ..domain.principals import Principal
from .keys import KeyRing
from .tokens import AuthError, principal_from, sign, verified_claims

AUTH_AUDIENCE = "tyndau-ledger"
ASSERTION_SECONDS = 300


def command_digest(command: bytes) -> str:
    return hashlib.sha256(command).hexdigest()


def sign_assertion(ring: KeyRing, principal: Principal, command: bytes, command_id: str | None, now: datetime) -> bytes:
    """The header value for a command of `principal` written at `now`."""
    issued = int(now.timestamp())
    claims = {"iss": "tyndau", "aud": AUTH_AUDIENCE, "sub": principal.name, "role": principal.role,
              "bodies": list(principal.bodies), "regions": list(principal.regions), "iat": issued,
              "exp": issued + ASSERTION_SECONDS, "jti": command_digest(command)[:32],
              "cmd": command_digest(command), "cid": command_id}
    return sign(ring, claims).encode("ascii")


def verify_assertion(ring: KeyRing, header: Any, command: bytes, command_id: str | None, written_at: datetime) -> Principal:
    """The principal that sent `command`, from its header; AuthError when the header is missing, forged,
    expired when the record was written, or made for other bytes or another command id."""
    if header is None:
        raise AuthError("the command carries no tyndau-auth assertion: send it through the intake API")
    try:
        token = header.decode("ascii") if isinstance(header, bytes) else header
    except UnicodeDecodeError:
        raise AuthError("the tyndau-auth header is not ASCII") from None
    claims = verified_claims(ring, token, AUTH_AUDIENCE, written_at)
    if claims.get("cmd") != command_digest(command) or claims.get("cid") != command_id:
        raise AuthError("the tyndau-auth assertion was made for another command")
    issued = claims.get("iat")
    if not isinstance(issued, int) or isinstance(issued, bool) or issued > int(written_at.timestamp()) + 60:
        raise AuthError("the tyndau-auth assertion was issued after the command was written")
    return principal_from(claims)
