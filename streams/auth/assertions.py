"""The `tyndau-auth` header of a command: the API's signed statement of who sent exactly these bytes.

Bearer tokens never go onto Kafka, where anyone who reads a topic could replay them. The API
verifies the caller's token and writes the command with an assertion instead: a JWT (HS256, with
the key's `kid`) made with the API's assertion key, naming the principal and bound to the
SHA-256 of the command's bytes and to its command_id, valid for a few minutes from the moment it
was written. The ledger checks it against the record's own bytes and the record's timestamp (when
it was written), so a backlog judged later is not refused, while the assertion copied onto other
bytes, or onto a record written later, is.

Why a MAC and not a signature: the ledger checks one assertion per command, and an Ed25519
verification through PyJWT costs about 0.85 ms here (measured: 2,000 assertions), eight times the
ledger's whole domain work per command; HMAC-SHA256 checked with the standard library costs
microseconds. Only the API and the ledger hold the assertion key, and the ledger is the one writer
of the events anyway, so a signature would prove nothing more. The key of each `kid` is derived
(HKDF-SHA256) from the 32 random bytes the key ring keeps for it. Verification is written out over
`hmac`, `base64` and orjson rather than PyJWT's decoder for the same reason; the tests check that
PyJWT accepts what `sign_assertion` makes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ..domain import bounds
from ..domain.principals import Principal
from .keys import KeyRing
from .tokens import ISSUER, MAX_TOKEN_CHARS, AuthError, principal_from

AUTH_AUDIENCE = "tyndau-ledger"
ASSERTION_SECONDS = 300
ALGORITHM = "HS256"
_SEGMENT = re.compile(rb"[A-Za-z0-9_-]*")   # base64url without padding, as JWS writes it


def command_digest(command: bytes) -> str:
    return hashlib.sha256(command).hexdigest()


def bound_id(command_id: str | None) -> str | None:
    """The command id as the assertion names it: itself when it is an id's length, else its SHA-256
    (a hostile 60 KB id must not make an assertion too long to check; the bytes' digest binds it anyway)."""
    if command_id is None or len(command_id) <= bounds.MAX_ID_CHARS:
        return command_id
    return "sha256:" + hashlib.sha256(command_id.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=64)
def _mac_key(key: Ed25519PrivateKey) -> bytes:   # by the key object: derived once per key and process
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tyndau-auth assertion").derive(seed)


def mac_key(ring: KeyRing, kid: str) -> bytes | None:
    """The assertion key of `kid`, or None when the ring does not hold it."""
    key = ring.private.get(kid)
    return _mac_key(key) if key is not None else None


def sign_assertion(ring: KeyRing, principal: Principal, command: bytes, command_id: str | None, now: datetime) -> bytes:
    """The header value for a command of `principal` written at `now`."""
    issued = int(now.timestamp())
    digest = command_digest(command)
    claims = {"iss": ISSUER, "aud": AUTH_AUDIENCE, "sub": principal.name, "role": principal.role,
              "bodies": list(principal.bodies), "regions": list(principal.regions), "iat": issued,
              "exp": issued + ASSERTION_SECONDS, "cmd": digest, "cid": bound_id(command_id),
              "jti": secrets.token_hex(8)}   # every assertion its own, even of the same bytes in the same second
    return jwt.encode(claims, mac_key(ring, ring.active), algorithm=ALGORITHM, headers={"kid": ring.active}).encode("ascii")


def _segment(raw: bytes) -> bytes:
    if _SEGMENT.fullmatch(raw) is None:
        raise AuthError("the tyndau-auth assertion is not a compact JWS (base64url segments)")
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise AuthError("the tyndau-auth assertion is not a compact JWS (base64url segments)") from None


def _json(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(_segment(raw))
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise AuthError(f"the tyndau-auth assertion's {what} is not a JSON object")
    return value


def _seconds(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuthError(f"the tyndau-auth assertion's {name} is not a whole number of seconds")
    return value


def verify_assertion(ring: KeyRing, header: Any, command: bytes, command_id: str | None, written_at: datetime) -> Principal:
    """The principal that sent `command`, from its header; AuthError when the header is missing, forged,
    expired when the record was written, or made for other bytes or another command id."""
    if header is None:
        raise AuthError("the command carries no tyndau-auth assertion: send it through the intake API")
    token = header.encode("utf-8", "replace") if isinstance(header, str) else header
    if not isinstance(token, bytes) or len(token) > MAX_TOKEN_CHARS or token.count(b".") != 2:
        raise AuthError("the tyndau-auth assertion is not a compact JWS of at most 8192 bytes")
    head, payload, signature = token.split(b".")
    protected = _json(head, "header")
    kid = protected.get("kid")
    key = mac_key(ring, kid) if isinstance(kid, str) else None
    if protected.get("alg") != ALGORITHM or key is None:
        raise AuthError(f"the tyndau-auth assertion is made with a key this deployment does not know (kid {bounds.shown(kid)})")
    if not hmac.compare_digest(hmac.digest(key, head + b"." + payload, "sha256"), _segment(signature)):
        raise AuthError("the tyndau-auth assertion does not verify")
    claims = _json(payload, "claims")
    if claims.get("iss") != ISSUER or claims.get("aud") != AUTH_AUDIENCE:
        raise AuthError("the tyndau-auth assertion is not meant for the ledger")
    if claims.get("cmd") != command_digest(command) or claims.get("cid") != bound_id(command_id):
        raise AuthError("the tyndau-auth assertion was made for another command")
    written = int(written_at.timestamp())
    if _seconds(claims, "exp") <= written:
        raise AuthError("the tyndau-auth assertion had expired when the command was written")
    if _seconds(claims, "iat") > written + 60:
        raise AuthError("the tyndau-auth assertion was issued after the command was written")
    return principal_from(claims)
