"""Credentials: signed, expiring JWTs (EdDSA over Ed25519, with the signing key's `kid`) naming a principal.

Claims: `sub` (the principal's name), `role`, `bodies`, `regions`, `iat`, `exp`, `jti`, and `aud`
saying what the token is for. Verification is total: any string gets a Principal or an AuthError
saying why not (malformed, unknown key, bad signature, expired, revoked, claims out of bounds).
Time is a parameter, so a caller decides which moment a token must be valid at.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Container

import jwt

from ..domain import bounds
from ..domain.principals import ROLES, Principal
from .keys import KeyRing

ALGORITHM = "EdDSA"
ISSUER = "tyndau"
TOKEN_AUDIENCE = "tyndau-api"
MAX_TOKEN_CHARS = 8 * 1024
MAX_SCOPE_ENTRIES = 1000     # bodies or regions one credential may name


class AuthError(Exception):
    """A credential that proves nothing: `reason` is the rejection reason, `detail` says why."""

    def __init__(self, detail: str, reason: str = "unauthenticated"):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def sign(ring: KeyRing, claims: dict[str, Any]) -> str:
    kid, key = ring.signing_key()
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


def verified_claims(ring: KeyRing, token: Any, audience: str, now: datetime) -> dict[str, Any]:
    """The claims of a token signed by a key of `ring` for `audience` and unexpired at `now`; AuthError otherwise."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise AuthError(f"a credential is a JWT of at most {MAX_TOKEN_CHARS} ASCII characters")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("the credential is not a JWT") from None
    kid = header.get("kid")
    key = ring.public(kid) if isinstance(kid, str) else None
    if key is None or header.get("alg") != ALGORITHM:
        raise AuthError(f"the credential is signed with a key this deployment does not know (kid {bounds.shown(kid)})")
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience, issuer=ISSUER,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["sub", "role", "exp", "iat", "jti", "aud", "iss"]})
    except jwt.InvalidAudienceError:
        raise AuthError(f"the credential is not meant for {audience}") from None
    except jwt.PyJWTError as error:
        raise AuthError(f"the credential does not verify ({type(error).__name__})") from None
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise AuthError("the credential's exp is not a time")
    if exp <= _seconds(now):
        raise AuthError("the credential has expired")
    return claims


def _identifiers(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_SCOPE_ENTRIES:
        raise AuthError(f"the credential's {what} are a list of at most {MAX_SCOPE_ENTRIES} ids")
    for item in value:
        if not isinstance(item, str) or bounds.text_problem(item, bounds.MAX_ID_CHARS, free_text=False):
            raise AuthError(f"the credential's {what} hold an id that is not printable text of at most {bounds.MAX_ID_CHARS}")
    return tuple(value)


def principal_from(claims: dict[str, Any]) -> Principal:
    name, role = claims.get("sub"), claims.get("role")
    if not isinstance(name, str) or bounds.text_problem(name, bounds.MAX_ID_CHARS, free_text=False):
        raise AuthError(f"the credential's sub is not printable text of at most {bounds.MAX_ID_CHARS} characters")
    if role not in ROLES:
        raise AuthError(f"the credential's role {bounds.shown(role)} is none of {', '.join(ROLES)}")
    return Principal(name, role, _identifiers(claims.get("bodies"), "bodies"), _identifiers(claims.get("regions"), "regions"))


def issue_token(ring: KeyRing, principal: Principal, ttl_seconds: int, now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """A token for `principal`, valid `ttl_seconds` from `now`; with its claims (the `jti` revokes it)."""
    principal_from({"sub": principal.name, "role": principal.role, "bodies": list(principal.bodies),
                    "regions": list(principal.regions)})   # the same bounds as on the way in
    if ttl_seconds <= 0:
        raise ValueError("a credential's lifetime is a positive number of seconds")
    issued = _seconds(now or datetime.now(timezone.utc))
    claims = {"iss": ISSUER, "aud": TOKEN_AUDIENCE, "sub": principal.name, "role": principal.role,
              "bodies": list(principal.bodies), "regions": list(principal.regions),
              "iat": issued, "exp": issued + ttl_seconds, "jti": secrets.token_hex(16)}
    return sign(ring, claims), claims


def _verified(ring: KeyRing, token: Any, now: datetime) -> tuple[Principal, float, str]:
    """(principal, exp, jti) of a token that verifies and is unexpired at `now`; revocation is the caller's."""
    claims = verified_claims(ring, token, TOKEN_AUDIENCE, now)
    if not isinstance(claims["jti"], str):
        raise AuthError("the credential's jti is not a string")
    return principal_from(claims), claims["exp"], claims["jti"]


def verify_token(ring: KeyRing, token: Any, now: datetime, revoked: Container[str] = frozenset()) -> Principal:
    """The principal a bearer token names; AuthError when it does not verify, has expired or is revoked."""
    return VerifiedTokens(size=0).principal(ring, token, now, revoked)


class VerifiedTokens:
    """The bearer tokens already verified with the current key ring: a client sends the same token
    on every request, and a second request with it costs a lookup instead of a signature check
    (about 0.85 ms through PyJWT here). Expiry and revocation are still checked every time; a new
    ring (a rotation, a key removed) forgets them all."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.ring: KeyRing | None = None
        self.known: OrderedDict[str, tuple[Principal, float, str]] = OrderedDict()

    def principal(self, ring: KeyRing, token: Any, now: datetime, revoked: Container[str] = frozenset()) -> Principal:
        if ring is not self.ring:
            self.ring = ring
            self.known.clear()
        hit = self.known.get(token) if isinstance(token, str) else None
        if hit is None:
            hit = _verified(ring, token, now)
            if self.size > 0:
                self.known[token] = hit
                if len(self.known) > self.size:
                    self.known.popitem(last=False)
        principal, exp, jti = hit
        if exp <= _seconds(now):
            self.known.pop(token, None)
            raise AuthError("the credential has expired")
        if jti in revoked:
            raise AuthError("the credential has been revoked")
        return principal
